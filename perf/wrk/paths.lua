-- wrk script: GETs the paths listed in $PATHS_FILE (one per line) in order, each once per
-- thread, wrapping around at the end; reports statuses and errors.
--   PATHS_FILE=/tmp/notices.txt wrk -t1 -c256 -d5s -s perf/wrk/paths.lua http://127.0.0.1:8080
local paths = {}
local file = assert(os.getenv("PATHS_FILE"), "PATHS_FILE not set")
for line in io.lines(file) do
  paths[#paths + 1] = line
end
local next_path = 1

function request()
  local path = paths[next_path]
  next_path = next_path % #paths + 1
  return wrk.format("GET", path)
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("errors: connect %d, read %d, write %d, status %d, timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
