-- wrk script: POSTs the file named by $BODY_FILE as a JSON bid request on every request, and
-- reports non-2xx responses (wrk's own summary only counts them in aggregate).
--   BODY_FILE=tests/fixtures/openrtb/iab/bid-request-2.6-mobile.json \
--     wrk -t1 -c32 -d10s -s perf/wrk/post_body.lua http://127.0.0.1:8080/openrtb2/bid
local path = os.getenv("BODY_FILE")
local f = assert(io.open(path, "rb"), "BODY_FILE not readable: " .. tostring(path))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-openrtb-version"] = "2.6"

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("errors: connect %d, read %d, write %d, status %d, timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
