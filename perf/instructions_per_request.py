#!/usr/bin/env python3
"""Instructions the bidder spends per bid request, counted by callgrind: repeatable where
wall-clock figures are not (a shared VM moves wrk's figure by 10% or more between runs), so it
is how two builds are compared within a few percent. Each build serves the demo campaigns on one
thread under callgrind and answers N1, then N2 requests of docs/examples/bid-request.json over one
keep-alive connection; (instructions at N2 - at N1) / (N2 - N1) is the cost of one request.

  python3 perf/instructions_per_request.py [BINARY ...] [--n1 500] [--n2 2500]

BINARY defaults to build/app/vetrina. Needs valgrind. Loopback only.
"""
import argparse
import glob
import http.client
import os
import re
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def instructions(binary, requests, port):
    data, out = tempfile.mkdtemp(), tempfile.mkdtemp()
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/callgrind.out", binary,
         "serve", "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{port + 1}",
         "--threads", "1", "--data-dir", data, "--campaigns", os.path.join(ROOT, "schemas/examples")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
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
    total = 0
    for path in glob.glob(out + "/callgrind.out*"):
        with open(path) as f:
            for line in f:
                m = re.match(r"(?:summary|totals): (\d+)", line)
                if m:
                    total += int(m.group(1))
                    break
    return total, bids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binaries", nargs="*", default=[os.path.join(ROOT, "build/app/vetrina")])
    parser.add_argument("--n1", type=int, default=500)
    parser.add_argument("--n2", type=int, default=2500)
    args = parser.parse_args()
    for i, binary in enumerate(args.binaries):
        port = 21080 + 10 * i
        low, bids_low = instructions(binary, args.n1, port)
        high, bids_high = instructions(binary, args.n2, port + 4)
        per_request = (high - low) / (args.n2 - args.n1)
        print(f"{binary}: {per_request:,.0f} instructions per request "
              f"({bids_low}/{args.n1} and {bids_high}/{args.n2} answered with a bid)")


if __name__ == "__main__":
    main()
