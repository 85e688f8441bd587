#!/usr/bin/env python3
"""`make bench`: the performance report. Seeds a bidder with --campaigns campaigns and --users
users in audiences, runs it on one thread pinned to CPU 0, and from CPU 1 measures:
  1. nginx (one worker, CPU 0) answering a fixed JSON bid response: the machine's HTTP ceiling,
     with wrk and with vetrina-loadgen --max;
  2. Vetrina doing full auctions, with the same drivers and settings (wrk replays one request;
     the load generator sends realistic traffic, and also the same fixed request);
  3. an open-loop sweep at 25, 50, 75 and 90% of Vetrina's peak (realistic traffic);
then runs the microbenchmarks, prints the report and writes it into docs/benchmarks.md between
the "bench:begin" and "bench:end" markers.

  python3 perf/bench.py [--campaigns 10000] [--users 1000000] [--duration 10] [--no-docs]

Needs the Release build, wrk and nginx (scripts/install-deps --bench). Loopback only.
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from vetrina_process import VetrinaProcess  # noqa: E402

BUILD = os.path.join(ROOT, "build")
LOADGEN = os.path.join(BUILD, "perf", "vetrina-loadgen")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "openrtb", "iab")
COUNTRIES = ["USA", "IND", "BRA", "IDN", "MEX", "JPN", "DEU", "GBR", "FRA", "TUR"]
AUDIENCES = 50
CONNECTIONS = 64


def admin_call(port, token, method, path, body=None, raw=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        conn.request(method, path, body=data, headers={"Authorization": "Bearer " + token,
                                                        "Content-Type": "application/json"})
        resp = conn.getresponse()
        payload = resp.read()
        return resp.status, payload
    finally:
        conn.close()


def campaign(i, rng):
    """A campaign that bids on part of the load generator's traffic."""
    creatives = [
        {"id": "b320", "kind": "banner", "w": 320, "h": 50, "markup": "<a href='${VETRINA_CLICK_URL}'><img></a>"},
        {"id": "b300", "kind": "banner", "w": 300, "h": 250, "markup": "<img>"},
        {"id": "i320", "kind": "banner", "w": 320, "h": 480, "markup": "<img>"},
        {"id": "v", "kind": "video", "duration": 15, "rewarded": True, "mime": "video/mp4",
         "w": 720, "h": 1280,
         "vast": "<VAST version=\"4.1\"><Ad><InLine><AdSystem>b</AdSystem>"
                 "<Impression>https://t.example/imp</Impression><AdServingId>b</AdServingId>"
                 "<AdTitle>b</AdTitle><Creatives><Creative>"
                 "<UniversalAdId idRegistry=\"unknown\">unknown</UniversalAdId><Linear>"
                 "<Duration>00:00:15</Duration><MediaFiles><MediaFile delivery=\"progressive\" "
                 "type=\"video/mp4\" width=\"720\" height=\"1280\">https://cdn.example/v.mp4"
                 "</MediaFile></MediaFiles></Linear></Creative></Creatives></InLine></Ad></VAST>"},
        {"id": "n", "kind": "native", "title": "Brand %d" % i, "sponsor": "Brand",
         "image": {"url": "https://cdn.example/%d.jpg" % i, "w": 1200, "h": 627},
         "landing": "https://brand%d.example" % i},
    ]
    c = {"id": "bench-%d" % i, "advertiser": "bench", "status": "active",
         "bid": {"strategy": "cpm", "max_bid": round(rng.uniform(0.1, 8), 2)},
         "adomain": ["brand%d.example" % (i % 997)], "cat": ["IAB%d" % (1 + i % 24)],
         "creatives": rng.sample(creatives, rng.randint(1, 3)), "targeting": {}}
    t = c["targeting"]
    if rng.random() < 0.85:
        t["country"] = {"include": rng.sample(COUNTRIES, rng.randint(1, 3))}
    if rng.random() < 0.5:
        t["os"] = {"include": [rng.choice(["ios", "android"])]}
    if rng.random() < 0.12:
        t["app_bundle"] = {"include": ["com.app%d" % rng.randint(0, 200) for _ in range(5)]}
    if rng.random() < 0.10:
        t["audiences"] = {"any_of": ["seg%d" % rng.randrange(AUDIENCES)]}
    if rng.random() < 0.3:
        c["budget"] = {"daily": 1e6}
        c["frequency_caps"] = [{"max": 100, "per": "day"}]
    return c


def seed(server, campaigns, users):
    token = server.admin_token()
    port = server.admin_port
    status, body = admin_call(port, token, "POST", "/v1/advertisers", {"id": "bench"})
    assert status == 201, body
    bench_token = json.loads(body)["token"]
    for a in range(AUDIENCES):
        status, body = admin_call(port, bench_token, "PUT", "/v1/audiences/seg%d" % a,
                                  {"name": "seg%d" % a, "kind": "custom", "ttl_days": 30})
        assert status == 201, body
    started = time.monotonic()
    ids = subprocess.run([LOADGEN, "users", "--count", str(users)], check=True,
                         capture_output=True, text=True).stdout.split()
    by_audience = [[] for _ in range(AUDIENCES)]
    for i, ifa in enumerate(ids):  # two audiences per user
        by_audience[i % AUDIENCES].append(ifa)
        by_audience[(i * 7 + 3) % AUDIENCES].append(ifa)
    for a, members in enumerate(by_audience):
        status, body = admin_call(port, bench_token, "POST", "/v1/audiences/seg%d/members" % a,
                                  raw="\n".join(members) + "\n")
        assert status == 200, body
    print("seeded %d users in %d audiences in %.1f s" % (users, AUDIENCES,
                                                         time.monotonic() - started))
    started = time.monotonic()
    rng = random.Random(7)
    for first in range(0, campaigns, 5000):
        batch = [campaign(i, rng) for i in range(first, min(campaigns, first + 5000))]
        status, body = admin_call(port, bench_token, "POST", "/v1/campaigns:batch", batch)
        assert status == 200, body[:500]
    print("seeded %d campaigns in %.1f s" % (campaigns, time.monotonic() - started))


def wrk(url, body_file, duration):
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", "-c%d" % CONNECTIONS, "-d%ds" % duration,
         "--latency", "-s", os.path.join(ROOT, "perf", "wrk", "post_body.lua"), url],
        env=dict(os.environ, BODY_FILE=body_file), capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "non2xx": int(non2xx.group(1)) if non2xx else 0, "raw": out}


def loadgen(url, duration, rate=None, body_file=None, extra=()):
    args = ["taskset", "-c", "1", LOADGEN, "run", "--url", url, "--connections", str(CONNECTIONS),
            "--duration", str(duration), "--json", "--quiet", *extra]
    args += ["--rate", str(rate)] if rate else ["--max"]
    if body_file:
        args += ["--body", body_file]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out)
    # How busy the driver's own core was: near 100% means its queueing shows in the latencies.
    result["driver_cpu"] = ((after.ru_utime - before.ru_utime) +
                            (after.ru_stime - before.ru_stime)) / duration
    return result


def nginx(body, port):
    d = tempfile.mkdtemp(prefix="vetrina-nginx-")
    conf = os.path.join(d, "nginx.conf")
    # nginx would read "$" as a variable and has no escape for it: same length, no variable.
    escaped = body.replace("$", "%").replace("'", "\\'")
    with open(conf, "w") as f:
        f.write("""worker_processes 1;
daemon off;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %(d)s/body;
  proxy_temp_path %(d)s/proxy;
  fastcgi_temp_path %(d)s/fastcgi;
  uwsgi_temp_path %(d)s/uwsgi;
  scgi_temp_path %(d)s/scgi;
  server {
    listen 127.0.0.1:%(port)d;
    location / { default_type application/json; return 200 '%(body)s'; }
  }
}
""" % {"d": d, "port": port, "body": escaped})
    proc = subprocess.Popen(["taskset", "-c", "0", shutil.which("nginx") or "/usr/sbin/nginx",
                             "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    if proc.poll() is not None:
        with open(os.path.join(d, "error.log")) as f:
            raise RuntimeError("nginx did not start: " + f.read())
    return proc, d


def micro():
    results = {}
    for binary, filt in (("bid_path_benchmark", "BM_Parse$|BM_FullBidPath|BM_ParseAuctionWrite"),
                         ("money_benchmark", "BM_MoneyPerBid"),
                         ("audience_benchmark", "BM_LookupBatch/1000000$"),
                         ("index_benchmark", "BM_IndexOnly/10000$|BM_Auction/10000$")):
        out = subprocess.run([os.path.join(BUILD, "perf", binary), "--benchmark_filter=" + filt,
                              "--benchmark_format=json"], capture_output=True, text=True,
                             check=True).stdout
        for b in json.loads(out)["benchmarks"]:
            results[b["name"]] = b
    return results


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    distro = "Linux"
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    distro = line.split("=", 1)[1].strip().strip('"')
    return "%d vCPU %s, %.0f GiB, %s, kernel %s" % (os.cpu_count(), model, mem_kb / 2**20,
                                                    distro, platform.release())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--serve-only", action="store_true",
                        help="seed, print the bid URL and the server's pid, and wait (for profiling)")
    args = parser.parse_args()
    d = args.duration

    request_file = os.path.join(ROOT, "perf", "requests", "inapp-banner.json")
    campaigns_dir = tempfile.mkdtemp(prefix="vetrina-bench-campaigns-")
    server = VetrinaProcess("taskset", campaigns_dir, prefix_args=["-c", "0", os.path.join(BUILD, "app", "vetrina")],
                            threads=1)
    try:
        seed(server, args.campaigns, args.users)
        url = "http://127.0.0.1:%d/openrtb2/bid" % server.public_port
        if args.serve_only:
            print("serving", url, "pid", server.proc.pid, flush=True)
            while True:
                time.sleep(3600)
        deadline = time.monotonic() + 30
        while loadgen(url, 1, rate=200)["bid_rate"] == 0:
            assert time.monotonic() < deadline, "the seeded campaigns never bid"
        # A real response of ours is what nginx serves: the same bytes on the wire.
        conn = http.client.HTTPConnection("127.0.0.1", server.public_port)
        with open(request_file) as f:
            conn.request("POST", "/openrtb2/bid", body=f.read(), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        response_body = resp.read().decode()
        conn.close()
        if resp.status != 200:
            response_body = '{"id":"perf-1","seatbid":[]}'

        ng, ng_dir = nginx(response_body, server.public_port + 1000)
        ng_url = "http://127.0.0.1:%d/openrtb2/bid" % (server.public_port + 1000)
        try:
            nginx_wrk = wrk(ng_url, request_file, d)
            nginx_lg = loadgen(ng_url, d, body_file=request_file)
        finally:
            ng.terminate()
            ng.wait()
            shutil.rmtree(ng_dir, ignore_errors=True)

        v_wrk = wrk(url, request_file, d)
        v_lg_fixed = loadgen(url, d, body_file=request_file)
        v_lg = loadgen(url, d, extra=["--users", str(args.users), "--fixtures", FIXTURES])
        peak = v_lg["achieved_rate"]
        sweep = []
        for share in (0.25, 0.5, 0.75, 0.9):
            r = loadgen(url, d, rate=int(peak * share),
                        extra=["--users", str(args.users), "--fixtures", FIXTURES,
                               "--kernel-times"])
            sweep.append((share, r))
        micro_results = micro()
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)
        shutil.rmtree(campaigns_dir, ignore_errors=True)

    lines = []
    out = lines.append
    out("Generated by `make bench` (`python3 perf/bench.py --campaigns %d --users %d --duration %d`) "
        "on %s, %s. Server: `vetrina serve --threads 1` pinned to CPU 0; drivers pinned to CPU 1; "
        "%d connections." % (args.campaigns, args.users, d, datetime.date.today().isoformat(),
                             machine(), CONNECTIONS))
    out("")
    out("| server, driver | req/s | Vetrina / nginx |")
    out("| --- | --- | --- |")
    out("| nginx fixed response, wrk | %.0f | |" % nginx_wrk["rps"])
    out("| nginx fixed response, vetrina-loadgen --max | %.0f (driver CPU %.0f%%) | |" % (
        nginx_lg["achieved_rate"], 100 * nginx_lg["driver_cpu"]))
    out("| Vetrina full auction (one request replayed), wrk | %.0f | %.2f |" % (
        v_wrk["rps"], v_wrk["rps"] / nginx_wrk["rps"]))
    out("| Vetrina full auction (one request replayed), vetrina-loadgen --max | %.0f | %.2f |" % (
        v_lg_fixed["achieved_rate"], v_lg_fixed["achieved_rate"] / nginx_lg["achieved_rate"]))
    out("| Vetrina full auction, realistic traffic, vetrina-loadgen --max | %.0f | %.2f |" % (
        peak, peak / nginx_lg["achieved_rate"]))
    out("")
    agree_nginx = nginx_lg["achieved_rate"] / nginx_wrk["rps"] - 1
    agree_v = v_lg_fixed["achieved_rate"] / v_wrk["rps"] - 1
    out("vetrina-loadgen against wrk at peak, same request and connections: %+.1f%% on nginx, "
        "%+.1f%% on Vetrina (target: within 10%%)." % (100 * agree_nginx, 100 * agree_v))
    out("Target full auction ≥ 0.8× nginx: %s (%.2f× with wrk, %.2f× with realistic traffic)." % (
        "met" if v_wrk["rps"] >= 0.8 * nginx_wrk["rps"] else "**missed**",
        v_wrk["rps"] / nginx_wrk["rps"], peak / nginx_lg["achieved_rate"]))
    out("")
    out("Open loop, realistic traffic. Latency from when each request was due (what an exchange "
        "sees, the driver's own queueing included), and from its send to the kernel's receipt of "
        "the answer (`--kernel-times`: the server and loopback only):")
    out("")
    out("| load | target req/s | achieved | bid rate | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | send→answer p99 µs | p99.9 µs | errors | driver CPU |")
    out("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for share, r in sweep:
        l = r["latency_us"]
        a = r["answer_us"]
        out("| %d%% | %.0f | %.0f | %.0f%% | %s | %s | %s | %s | %s | %s | %s | %d | %.0f%% |" % (
            share * 100, r["target_rate"], r["achieved_rate"], 100 * r["bid_rate"], l["p50"],
            l["p90"], l["p99"], l["p999"], l["max"], a["p99"], a["p999"], r["errors"],
            100 * r["driver_cpu"]))
    at75 = dict(sweep)[0.75]["latency_us"]
    answer75 = dict(sweep)[0.75]["answer_us"]
    out("")
    out("Target at 75%% of peak: p99 ≤ 1000 µs: %s (%s µs); p99.9 ≤ 2000 µs: %s (%s µs). "
        "Send to answer: p99 %s µs, p99.9 %s µs." % (
            "met" if float(at75["p99"]) <= 1000 else "**missed**", at75["p99"],
            "met" if float(at75["p999"]) <= 2000 else "**missed**", at75["p999"],
            answer75["p99"], answer75["p999"]))
    out("")
    out("In process (Google Benchmark; p50/p99 per request where measured):")
    out("")
    out("| benchmark | time | p50 µs | p99 µs |")
    out("| --- | --- | --- | --- |")
    for name, b in sorted(micro_results.items()):
        out("| %s | %.0f %s | %s | %s |" % (name, b["real_time"], b["time_unit"],
                                             "%.2f" % b["p50_us"] if "p50_us" in b else "",
                                             "%.2f" % b["p99_us"] if "p99_us" in b else ""))
    full = [b for n, b in micro_results.items() if n.startswith("BM_FullBidPath")]
    if full:
        out("")
        out("Target parse + auction + serialize of the 2.6 mobile fixture, 10k campaigns, 1M users, "
            "p99 ≤ 20 µs: %s (%.2f µs)." % ("met" if full[0]["p99_us"] <= 20 else "**missed**",
                                           full[0]["p99_us"]))
    report = "\n".join(lines)
    print(report)
    if not args.no_docs:
        path = os.path.join(ROOT, "docs", "benchmarks.md")
        with open(path) as f:
            text = f.read()
        begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
        block = begin + "\n" + report + "\n" + end
        if begin in text:
            text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
        else:
            text += "\n## Load test (`make bench`)\n\n" + block + "\n"
        with open(path, "w") as f:
            f.write(text)
        print("wrote", path)


if __name__ == "__main__":
    main()
