#!/usr/bin/env python3
"""Bid throughput while campaigns change: seeds N campaigns through the admin API, measures
full-auction throughput with wrk on an idle catalog, then again while a client replaces
campaigns at --rate per second, and reports the ratio.

  python3 perf/churn_bench.py --campaigns 100000 --rate 100 --duration 10

Needs the Release build (build/app/vetrina) and wrk. Loopback only.
"""
import argparse
import http.client
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COUNTRIES = ["USA", "IND", "BRA", "IDN", "MEX", "JPN", "DEU", "GBR", "FRA", "TUR"]


def campaign(i, rng, bump=0):
    c = {"id": f"p{i}", "advertiser": f"adv{i % 97}", "status": "active",
         "bid": {"strategy": "cpm", "max_bid": round(rng.uniform(0.1, 20) + bump, 2)},
         "adomain": [f"brand{i % 997}.example"], "cat": [f"IAB{1 + i % 26}"],
         "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50,
                        "markup": f"<a href='https://brand{i % 997}.example'><img></a>"}],
         "targeting": {}}
    t = c["targeting"]
    if rng.random() < 0.85:
        t["country"] = {"include": rng.sample(COUNTRIES, rng.randint(1, 3))}
    if rng.random() < 0.5:
        t["os"] = {"include": [rng.choice(["ios", "android"])]}
    if rng.random() < 0.12:
        t["app_bundle"] = {"include": [f"com.app{rng.randint(0, 4999)}" for _ in range(5)]}
    return c


def call(port, method, path, token, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=json.dumps(body),
                     headers={"Authorization": "Bearer " + token})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wrk(port, duration, connections):
    env = dict(os.environ, BODY_FILE=os.path.join(ROOT, "perf/requests/inapp-banner.json"))
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "-s",
         os.path.join(ROOT, "perf/wrk/post_body.lua"), f"http://127.0.0.1:{port}/openrtb2/bid"],
        capture_output=True, text=True, env=env, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"errors: (.*)", out).group(1)
    return rps, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--campaigns", type=int, default=100_000)
    ap.add_argument("--rate", type=int, default=100, help="campaign replacements per second")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/app/vetrina"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    data_dir = tempfile.mkdtemp(prefix="vetrina-churn-")
    proc = subprocess.Popen([args.binary, "serve", "--listen", "127.0.0.1:0", "--admin-listen",
                             "127.0.0.1:0", "--threads", "1", "--data-dir", data_dir],
                            stdout=subprocess.PIPE, text=True)
    ports = {}
    while len(ports) < 2:
        line = proc.stdout.readline()
        m = re.match(r"listening (public|admin) .*:(\d+)", line)
        if m:
            ports[m.group(1)] = int(m.group(2))
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    token = open(os.path.join(data_dir, "admin.token")).read().strip()
    try:
        rng = random.Random(1)
        started = time.monotonic()
        for base in range(0, args.campaigns, 10_000):
            batch = [campaign(i, rng) for i in range(base, min(base + 10_000, args.campaigns))]
            status, body = call(ports["admin"], "POST", "/v1/campaigns:batch", token, batch)
            assert status == 200, body
        seeded = time.monotonic() - started
        time.sleep(2)  # let the publisher catch up
        idle, idle_errors = wrk(ports["public"], args.duration, args.connections)

        stop = threading.Event()
        pushed = [0]

        # Bodies are prepared up front and sent on one keep-alive connection, so the client's
        # own work takes as little as possible of the machine the bidder is measured on.
        r = random.Random(2)
        updates = []
        for _ in range(args.rate * args.duration + args.rate):
            i = r.randrange(args.campaigns)
            updates.append((f"/v1/campaigns/p{i}", json.dumps(campaign(i, r, bump=0.01))))

        def churn():
            conn = http.client.HTTPConnection("127.0.0.1", ports["admin"], timeout=60)
            headers = {"Authorization": "Bearer " + token}
            next_at = time.monotonic()
            for path, body in updates:
                if stop.is_set():
                    break
                conn.request("PUT", path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                assert resp.status in (200, 201)
                pushed[0] += 1
                next_at += 1.0 / args.rate
                time.sleep(max(0.0, next_at - time.monotonic()))
            conn.close()

        pusher = threading.Thread(target=churn)
        pusher.start()
        busy, busy_errors = wrk(ports["public"], args.duration, args.connections)
        stop.set()
        pusher.join()
        result = {
            "campaigns": args.campaigns, "seed_seconds": round(seeded, 2),
            "idle_rps": idle, "churn_rps": busy, "ratio": round(busy / idle, 3),
            "replacements_per_second": round(pushed[0] / args.duration, 1),
            "wrk_errors_idle": idle_errors, "wrk_errors_churn": busy_errors,
        }
        if args.json:
            print(json.dumps(result))
        else:
            for k, v in result.items():
                print(f"{k:>26}: {v}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
