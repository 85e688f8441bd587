#!/usr/bin/env python3
"""End-to-end audience figures against a running bidder (one public thread, loopback only):

1. pixel events per second, HTTP to membership (wrk on GET /px, then the applied count);
2. an upload of N SHA-256 hashed ids through POST /v1/audiences/{id}/members, timed to the
   durable acknowledgement;
3. restart time with those N users in the data dir.

  python3 perf/audience_bench.py --ids 10000000
"""
import argparse
import hashlib
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start(binary, data_dir):
    proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--admin-listen",
                             "127.0.0.1:0", "--threads", "1", "--data-dir", data_dir],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ports, lines = {}, []
    started = time.monotonic()
    while len(ports) < 2:
        line = proc.stdout.readline()
        lines.append(line)
        m = re.match(r"listening (public|admin) .*:(\d+)", line)
        if m:
            ports[m.group(1)] = int(m.group(2))
    ready = time.monotonic() - started
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    restored = next((l for l in lines if '"audiences_restored"' in l), "").strip()
    return proc, ports, ready, restored


def call(port, method, path, token, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    try:
        conn.request(method, path, body=body, headers={"Authorization": "Bearer " + token})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ids", type=int, default=10_000_000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/app/vetrina"))
    args = ap.parse_args()
    data_dir = tempfile.mkdtemp(prefix="vetrina-audiences-")
    proc, ports, _, _ = start(args.binary, data_dir)
    admin = open(os.path.join(data_dir, "admin.token")).read().strip()
    try:
        _, body = call(ports["admin"], "POST", "/v1/advertisers", admin, json.dumps({"id": "shop"}))
        token = json.loads(body)["token"]
        rule = {"name": "Viewers", "kind": "pixel", "ttl_days": 30,
                "rule": {"events": ["view"], "exclude_events": ["purchase"]}}
        assert call(ports["admin"], "PUT", "/v1/audiences/viewers", token, json.dumps(rule))[0] == 201
        assert call(ports["admin"], "PUT", "/v1/audiences/crm", token,
                    json.dumps({"name": "CRM", "kind": "custom", "ttl_days": 90}))[0] == 201

        # 1. Pixel events: wrk with a Lua script varying the user per request.
        script = os.path.join(data_dir, "px.lua")
        with open(script, "w") as f:
            f.write('local n = 0\nrequest = function()\n  n = n + 1\n'
                    '  return wrk.format("GET", "/px?a=shop&e=view&uid=u" .. n .. "&p.sku=1")\nend\n')
        out = subprocess.run(["wrk", "-t1", "-c32", f"-d{args.duration}s", "-s", script,
                              f"http://127.0.0.1:{ports['public']}/"],
                             capture_output=True, text=True, check=True).stdout
        pixel_rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        time.sleep(1)
        conn = http.client.HTTPConnection("127.0.0.1", ports["admin"])
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        accepted = int(re.search(r'pixel_events_total\{result="accepted"\} (\d+)', metrics).group(1))
        dropped = int(re.search(r'pixel_events_total\{result="dropped"\} (\d+)', metrics).group(1))

        # 2. Upload N hashed ids, streamed from a generator.
        def lines():
            chunk = []
            for i in range(args.ids):
                chunk.append(hashlib.sha256(f"device-{i}".encode()).hexdigest() + "\n")
                if len(chunk) == 10_000:
                    yield "".join(chunk).encode()
                    chunk = []
            if chunk:
                yield "".join(chunk).encode()

        body_file = os.path.join(data_dir, "ids.txt")
        with open(body_file, "wb") as f:
            for piece in lines():
                f.write(piece)
        size = os.path.getsize(body_file)
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", ports["admin"], timeout=3600)
        with open(body_file, "rb") as f:
            conn.request("POST", "/v1/audiences/crm/members", body=f,
                         headers={"Authorization": "Bearer " + token, "Content-Length": str(size)})
            resp = conn.getresponse()
            result = resp.read().decode()
        upload_s = time.monotonic() - started
        os.remove(body_file)
        proc.terminate()
        proc.wait(timeout=30)

        # 3. Restart with everything in the data dir.
        proc, ports, ready_s, restored = start(args.binary, data_dir)
        print(json.dumps({
            "pixel_requests_per_s": pixel_rps, "pixel_events_accepted": accepted,
            "pixel_events_dropped": dropped,
            "upload_ids": args.ids, "upload_status": resp.status, "upload_result": result,
            "upload_seconds": round(upload_s, 2),
            "restart_seconds_to_listening": round(ready_s, 2), "restart_log": restored,
        }, indent=1))
    finally:
        proc.terminate()
        proc.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
