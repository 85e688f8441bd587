#!/usr/bin/env python3
"""Notice throughput on one server core: starts `vetrina serve --threads 1` pinned to CPU 0,
mints --count signed win notices for a campaign without a budget, drives /ev/win with wrk
(pinned to CPU 1) for --duration seconds, and checks that every acknowledged notice is in the
campaign's stats (each one was journaled with group commit before its 200).

  python3 perf/notice_bench.py --count 600000 --connections 256 --duration 5

Needs the Release build (build/app/vetrina, build/perf/mint_notices) and wrk. Loopback only.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from vetrina_process import VetrinaProcess  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=600_000)
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = parser.parse_args()

    campaigns = tempfile.mkdtemp(prefix="vetrina-notice-bench-")
    with open(os.path.join(campaigns, "n-bench.json"), "w") as f:
        json.dump({"id": "n-bench", "advertiser": "bench", "status": "active",
                   "bid": {"strategy": "cpm", "max_bid": 1.0},
                   "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50,
                                  "markup": "<img>"}]}, f)
    binary = os.path.join(args.build, "app", "vetrina")
    server = VetrinaProcess("taskset", campaigns, data_dir=None,
                            prefix_args=["-c", "0", binary], threads=1)
    try:
        paths = os.path.join(server.data_dir, "notices.txt")
        subprocess.run([os.path.join(args.build, "perf", "mint_notices"), server.data_dir,
                        "n-bench", str(args.count), paths], check=True)
        env = dict(os.environ, PATHS_FILE=paths)
        wrk = subprocess.run(
            ["taskset", "-c", "1", "wrk", "-t1", "-c%d" % args.connections,
             "-d%ds" % args.duration, "--latency", "-s", os.path.join(ROOT, "perf", "wrk", "paths.lua"),
             "http://127.0.0.1:%d" % server.public_port],
            env=env, capture_output=True, text=True, check=True)
        print(wrk.stdout)
        done = int(re.search(r"(\d+) requests in", wrk.stdout).group(1))
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk.stdout).group(1))
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk.stdout)
        if done > args.count:
            print("warning: more requests than minted notices; repeats are duplicates")
        conn = http.client.HTTPConnection("127.0.0.1", server.admin_port, timeout=10)
        conn.request("GET", "/v1/campaigns/n-bench/stats",
                     headers={"Authorization": "Bearer " + server.admin_token()})
        stats = json.loads(conn.getresponse().read())
        print("notices/s: %.0f on one server thread; acknowledged %d; wins in stats %d; "
              "non-2xx %s" % (rps, done, stats["wins"], non2xx.group(1) if non2xx else 0))
        # wrk counts requests whose responses it read; notices in flight when it stopped may
        # be durable but unread, so the stats may hold a few more, never fewer.
        if stats["wins"] < done - (non2xx and int(non2xx.group(1)) or 0):
            print("ERROR: acknowledged notices missing from the stats")
            return 1
        return 0
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)
        shutil.rmtree(campaigns, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
