#!/usr/bin/env python3
"""Instructions the bidder spends per bid request, counted by callgrind: repeatable where
wall-clock figures are not (a shared VM moves wrk's figure by 10% or more between runs), so it
is how two builds are compared within a few percent. Each build serves the demo campaigns on one
thread under callgrind and answers N1, then N2 requests of docs/examples/bid-request.json over one
keep-alive connection; (instructions at N2 - at N1) / (N2 - N1) is the cost of one request.

  python3 perf/instructions_per_request.py [BINARY ...] [--n1 500] [--n2 2500]
      [--fleet] [--serve-args "--flag value ..."]

BINARY defaults to build/app/vetrina. --fleet measures each build both as a single node and as
a fleet node (`--redis` on a redis-server this script starts afresh for each run, `--node-id`),
and prints the difference. --serve-args adds arguments to every `vetrina serve`. Besides the
whole process, it prints the busiest thread's share (the one serving the requests): a fleet
node's follower thread reads Redis every 20 ms whatever the load, and under callgrind's
slowdown that background work lands between N1 and N2 too. Needs valgrind (and redis-server for
--fleet). Loopback only.
"""
import argparse
import glob
import http.client
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))


def instructions(binary, requests, port, extra_args=(), fleet_mode=False):
    """(instructions of the whole process, per thread in creation order, bids answered)."""
    data, out = tempfile.mkdtemp(), tempfile.mkdtemp()
    redis = None
    if fleet_mode:
        import fleet  # scripts/fleet.py
        redis = fleet.start_redis(os.path.join(data, "redis"), port=fleet.free_port())
        extra_args = [*extra_args, "--redis", redis.url, "--node-id", "callgrind"]
    argv = ["valgrind", "--tool=callgrind", "--separate-threads=yes",
            f"--callgrind-out-file={out}/callgrind.out", binary,
            "serve", "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{port + 1}",
            "--threads", "1", "--data-dir", data, "--campaigns",
            os.path.join(ROOT, "schemas/examples"), *extra_args]
    if port % 10 == 0:  # once per build and mode
        print("$", shlex.join(argv), flush=True)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        while "listening admin" not in proc.stdout.readline():
            pass
        with open(os.path.join(ROOT, "docs/examples/bid-request.json"), "rb") as f:
            body = f.read()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        bids = 0
        for _ in range(requests):
            conn.request("POST", "/openrtb2/bid", body=body,
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            bids += response.status == 200
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        if redis is not None:
            redis.stop()
        shutil.rmtree(data, ignore_errors=True)
    threads = []
    # One file per thread, callgrind.out-NN in creation order (callgrind.out itself is empty).
    for path in sorted(glob.glob(out + "/callgrind.out-*"),
                       key=lambda p: int(re.search(r"-(\d+)$", p).group(1))):
        with open(path) as f:
            for line in f:
                m = re.match(r"(?:summary|totals): (\d+)", line)
                if m:
                    threads.append(int(m.group(1)))
                    break
    shutil.rmtree(out, ignore_errors=True)
    return sum(threads), threads, bids


def per_request(binary, args, port, fleet_mode):
    """(instructions per request: whole process, busiest thread; bids at N1 and N2)."""
    low, low_threads, bids_low = instructions(binary, args.n1, port, args.serve_args, fleet_mode)
    high, high_threads, bids_high = instructions(binary, args.n2, port + 4, args.serve_args,
                                                 fleet_mode)
    span = args.n2 - args.n1
    busiest = max(h - l for h, l in zip(high_threads, low_threads)) / span
    return (high - low) / span, busiest, bids_low, bids_high


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binaries", nargs="*", default=[os.path.join(ROOT, "build/app/vetrina")])
    parser.add_argument("--n1", type=int, default=500)
    parser.add_argument("--n2", type=int, default=2500)
    parser.add_argument("--fleet", action="store_true",
                        help="each build as a single node and as a fleet node on a redis-server")
    parser.add_argument("--serve-args", type=shlex.split, default=[],
                        help="more arguments for `vetrina serve`, one shell-quoted string")
    args = parser.parse_args()
    for i, binary in enumerate(args.binaries):
        modes = (False, True) if args.fleet else (False,)
        figures = {}
        for j, fleet_mode in enumerate(modes):
            port = 21080 + 20 * i + 10 * j
            whole, busiest, bids_low, bids_high = per_request(binary, args, port, fleet_mode)
            figures[fleet_mode] = (whole, busiest)
            print(f"{binary}{' (fleet node)' if fleet_mode else ''}: {whole:,.0f} instructions "
                  f"per request, {busiest:,.0f} on the busiest thread "
                  f"({bids_low}/{args.n1} and {bids_high}/{args.n2} answered with a bid)",
                  flush=True)
        if args.fleet:
            (single, single_busy), (node, node_busy) = figures[False], figures[True]
            print(f"fleet node against single node: {100 * (node / single - 1):+.1f}% whole "
                  f"process, {100 * (node_busy / single_busy - 1):+.1f}% busiest thread")


if __name__ == "__main__":
    main()
