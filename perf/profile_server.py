#!/usr/bin/env python3
"""Where a loaded server's time goes: seeds the bidder as `make bench` does (server pinned to
CPU 0), puts one of `make bench`'s loads on it from CPU 1, records `perf record -g` on the server
for the load's duration, and prints the flat profile (self time per symbol) and the split
between the kernel and user space.

  python3 perf/profile_server.py bid       # wrk replaying the in-app request (throughput)
  python3 perf/profile_server.py pixel     # wrk on GET /px, a new user per event
  python3 perf/profile_server.py overload  # three times peak over 4,096 connections

Needs the Release build, wrk and perf (Debian's linux-perf). Loopback only.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import bench  # also puts tests/integration on the path
from vetrina_process import VetrinaProcess  # noqa: E402


def flat_profile(data, limit):
    def report(sort, extra=()):
        out = subprocess.run(["perf", "report", "-i", data, "--no-children", "-g", "none",
                              "--stdio", "--sort", sort, *extra],
                             capture_output=True, text=True, check=True).stdout
        return [" ".join(line.split()) for line in out.splitlines()
                if line.strip() and not line.startswith("#")]

    return (report("dso,symbol", ["--percent-limit", str(limit)]), report("dso")[:8])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("load", choices=("bid", "pixel", "overload"))
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--percent-limit", type=float, default=1.5)
    args = parser.parse_args()
    if not shutil.which("perf"):
        sys.exit("profile_server: needs perf (apt-get install linux-perf)")
    campaigns_dir = tempfile.mkdtemp(prefix="vetrina-profile-campaigns-")
    server = VetrinaProcess("taskset", campaigns_dir, threads=1,
                            prefix_args=["-c", "0", os.path.join(bench.BUILD, "app", "vetrina")],
                            extra_args=["--reservation-timeout", "5"])
    data = os.path.join(server.data_dir, "perf.data")
    try:
        bench.seed(server, args.campaigns, args.users)
        url = "http://127.0.0.1:%d/openrtb2/bid" % server.public_port
        recorder = subprocess.Popen(["perf", "record", "-g", "-o", data, "-p",
                                     str(server.proc.pid)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        if args.load == "bid":
            result = bench.wrk(url, os.path.join(bench.ROOT, "perf", "requests",
                                                 "inapp-banner.json"), args.duration)
            summary = "%.0f req/s" % result["rps"]
        elif args.load == "pixel":
            result = bench.pixel(server, "bench", args.duration)
            summary = "%.0f events/s" % result["rps"]
        else:
            bench.raise_descriptor_limit(bench.OVERLOAD_CONNECTIONS + 256)
            result = bench.overload(url, args.users, duration=args.duration)
            summary = "%.0f of %.0f peak bids/s within tmax" % (result["goodput_per_s"],
                                                                result["peak_bids_per_s"])
        recorder.send_signal(2)
        recorder.wait(timeout=120)
        rows, by_dso = flat_profile(data, args.percent_limit)
        print("%s load: %s" % (args.load, summary))
        print("\nself time by binary:")
        print("\n".join(by_dso))
        print("\nself time by symbol (over %.1f%%):" % args.percent_limit)
        print("\n".join(rows))
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)
        shutil.rmtree(campaigns_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
