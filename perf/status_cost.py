#!/usr/bin/env python3
"""What the status page costs the server: seeds a bidder as `make bench` does, answers
GET /v1/status --polls times with the admin token, and reports the server's CPU time per poll
(from /proc/PID/stat) and what one open page (a poll every 5 s) takes of one core; then the
server's whole CPU while idle for --idle seconds, an upper bound of the status sampler's cost
(it wakes every 10 s), since every background thread counts.

  python3 perf/status_cost.py [--campaigns 10000] [--users 100000] [--polls 2000] [--idle 30]

Needs the Release build. Loopback only.
"""
import argparse
import http.client
import os
import shutil
import sys
import tempfile
import time

import bench  # also puts tests/integration on the path
from vetrina_process import VetrinaProcess  # noqa: E402

PAGE_POLL_SECONDS = 5


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--idle", type=int, default=30)
    args = parser.parse_args()
    campaigns_dir = tempfile.mkdtemp(prefix="vetrina-status-cost-")
    server = VetrinaProcess(os.path.join(bench.BUILD, "app", "vetrina"), campaigns_dir, threads=1)
    try:
        bench.seed(server, args.campaigns, args.users)
        token = server.admin_token()
        conn = http.client.HTTPConnection("127.0.0.1", server.admin_port, timeout=30)
        size = 0
        before, started = cpu_seconds(server.proc.pid), time.monotonic()
        for _ in range(args.polls):
            conn.request("GET", "/v1/status", headers={"Authorization": "Bearer " + token})
            response = conn.getresponse()
            size = len(response.read())
            if response.status != 200:
                sys.exit("status_cost: /v1/status answered %d" % response.status)
        used, elapsed = cpu_seconds(server.proc.pid) - before, time.monotonic() - started
        conn.close()
        per_poll_ms = 1000 * used / args.polls
        print("%d campaigns: %d polls of GET /v1/status (%d bytes) in %.2f s; server CPU %.2f ms "
              "per poll; one open page (a poll every %d s) takes %.3f%% of a core" % (
                  args.campaigns, args.polls, size, elapsed, per_poll_ms, PAGE_POLL_SECONDS,
                  100 * per_poll_ms / 1000 / PAGE_POLL_SECONDS))
        before = cpu_seconds(server.proc.pid)
        time.sleep(args.idle)  # what the background threads, the status sampler among them, use
        print("idle for %d s: the whole server used %.3f%% of a core" % (
            args.idle, 100 * (cpu_seconds(server.proc.pid) - before) / args.idle))
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)
        shutil.rmtree(campaigns_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
