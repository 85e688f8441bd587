#!/usr/bin/env python3
"""`make bench`: the performance report. Seeds a bidder with --campaigns campaigns and --users
users in audiences, runs it on one thread pinned to CPU 0, and from CPU 1 measures:
  1. nginx (one worker, CPU 0) answering a fixed JSON bid response: the machine's HTTP ceiling,
     with wrk and with vetrina-loadgen --max;
  2. Vetrina doing full auctions, with the same drivers and settings (wrk replays one request;
     the load generator sends realistic traffic, and also the same fixed request);
  3. an open-loop sweep at 25, 50, 75 and 90% of Vetrina's peak (realistic traffic);
  4. overload: three times the peak, open loop, over 4,096 connections with tmax 50 ms, counting
     the bids answered within tmax;
  5. pixel events (wrk on GET /px, a new user per event) to applied memberships;
then runs the microbenchmarks (audience lookups at 10M users among them), prints the report
with every target of the performance table marked met or missed, and writes it into
docs/benchmarks.md between the "bench:begin" and "bench:end" markers.

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
import threading
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
# Overload: an exchange with this many connections offers OVERLOAD times the measured peak and
# gives up on an auction it cannot send within TMAX_MS of its due time.
OVERLOAD = 3.0
OVERLOAD_CONNECTIONS = 4096
TMAX_MS = 50


def raise_descriptor_limit(wanted):
    """Lets this process (and the drivers it starts) open `wanted` files; False if it can't."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return True
    if hard != resource.RLIM_INFINITY and hard < wanted:
        return False
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return True


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
    status, body = admin_call(port, bench_token, "PUT", "/v1/audiences/viewers",
                              {"name": "viewers", "kind": "pixel", "ttl_days": 30,
                               "rule": {"events": ["view"]}})
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


def loadgen(url, duration, rate=None, body_file=None, extra=(), connections=CONNECTIONS):
    args = ["taskset", "-c", "1", LOADGEN, "run", "--url", url, "--connections", str(connections),
            "--duration", str(duration), "--json", "--quiet", *extra]
    args += ["--rate", str(rate)] if rate else ["--max"]
    if body_file:
        args += ["--body", body_file]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(args, capture_output=True, text=True, check=True,
                         timeout=duration + 120).stdout
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


def overload(url, users, duration=12, fixtures=True, on_sample=None):
    """Peak (closed loop, 64 connections), then OVERLOAD times that offered open loop over
    OVERLOAD_CONNECTIONS connections by an exchange that drops what it cannot send within tmax.
    Returns the peak run, the overload run and the bids a second answered within tmax in each.
    `fixtures`: the IAB examples among the requests (else the generator's own mobile requests
    only). `on_sample` is called every quarter second during the overload run."""
    common = ["--users", str(users), "--tmax", str(TMAX_MS), "--kernel-times"]
    if fixtures:
        common += ["--fixtures", FIXTURES]
    peak_seconds = 3
    peak = loadgen(url, peak_seconds, extra=common)
    stop = threading.Event()

    def sample():
        while not stop.wait(0.25):
            on_sample()

    sampler = threading.Thread(target=sample) if on_sample else None
    if sampler:
        sampler.start()
    try:
        over = loadgen(url, duration, rate=int(OVERLOAD * peak["achieved_rate"]),
                       extra=common + ["--give-up-ms", str(TMAX_MS)],
                       connections=OVERLOAD_CONNECTIONS)
    finally:
        stop.set()
        if sampler:
            sampler.join()
    return {"peak": peak, "run": over, "duration": duration,
            "peak_bids_per_s": peak["bids_in_tmax"] / peak_seconds,
            "goodput_per_s": over["bids_in_tmax"] / duration}


def metric(port, name):
    """The value of one series on the admin listener's /metrics (0 when absent)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    match = re.search("^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def pixel(server, advertiser, duration):
    """Pixel events a second, wrk on CPU 1 sending GET /px with a new user per event, and how
    many of them the server applied (accepted) or dropped."""
    script = os.path.join(server.data_dir, "px.lua")
    with open(script, "w") as f:
        f.write('local n = 0\nrequest = function()\n  n = n + 1\n'
                '  return wrk.format("GET", "/px?a=%s&e=view&uid=u" .. n)\nend\n' % advertiser)
    name = 'vetrina_pixel_events_total{result="%s"}'
    before = {r: metric(server.admin_port, name % r) for r in ("accepted", "dropped")}
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c32", "-d%ds" % duration,
                          "-s", script, "http://127.0.0.1:%d/" % server.public_port],
                         capture_output=True, text=True, check=True).stdout
    time.sleep(1)  # the membership writer applies what the last requests queued
    after = {r: metric(server.admin_port, name % r) for r in ("accepted", "dropped")}
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "accepted": after["accepted"] - before["accepted"],
            "dropped": after["dropped"] - before["dropped"]}


def micro():
    results = {}
    for binary, filt in (("bid_path_benchmark", "BM_Parse$|BM_FullBidPath|BM_ParseAuctionWrite"),
                         ("money_benchmark", "BM_MoneyPerBid"),
                         ("audience_benchmark",
                          "BM_LookupBatch/1000000$|BM_LookupBatch/10000000$|BM_LookupUnderWrites"),
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


def verdict(met):
    return "met" if met else "**missed**"


def targets_table(nginx_wrk, v_wrk, at75, over, px, micro_results):
    """The performance targets, each with its measured figure and whether it was met."""
    rows = []
    ratio = v_wrk["rps"] / nginx_wrk["rps"]
    rows.append(("full auction, one core, 10k campaigns, 1M users, in-app request, wrk",
                 "≥ 0.8× nginx's fixed answer", "%.2f× (%.0f against %.0f req/s)" % (
                     ratio, v_wrk["rps"], nginx_wrk["rps"]), ratio >= 0.8))
    lat = at75["latency_us"]
    rows.append(("open loop at 75% of peak, from due time", "p99 ≤ 1 ms",
                 "p99 %s µs (driver CPU %.0f%%)" % (lat["p99"], 100 * at75["driver_cpu"]),
                 float(lat["p99"]) <= 1000))
    rows.append(("", "p99.9 ≤ 2 ms", "p99.9 %s µs" % lat["p999"], float(lat["p999"]) <= 2000))
    if over:
        share = over["goodput_per_s"] / over["peak_bids_per_s"]
        rows.append(("bids within tmax at 3× peak (tmax %d ms, %d connections)" % (
            TMAX_MS, OVERLOAD_CONNECTIONS), "≥ 80% of the peak bid rate",
            "%.0f%% (%.0f of %.0f bids/s)" % (100 * share, over["goodput_per_s"],
                                              over["peak_bids_per_s"]), share >= 0.8))
    else:
        rows.append(("bids within tmax at 3× peak", "≥ 80% of the peak bid rate",
                     "not run: the descriptor limit is below %d" % OVERLOAD_CONNECTIONS, False))
    batch = micro_results.get("BM_LookupBatch/10000000")
    if batch:
        rate = batch["items_per_second"] / 1e6
        rows.append(("audience lookups at 10M users, one core", "≥ 20 M/s", "%.1f M/s" % rate,
                     rate >= 20))
    writes = next((b for n, b in micro_results.items() if n.startswith("BM_LookupUnderWrites")),
                  None)
    if writes:
        rows.append(("audience lookup p99.9 under %.0fk writes/s" % (
            writes["updates_per_s"] / 1000), "≤ 1 µs", "%.0f ns (p99 %.0f ns)" % (
                writes["p999_ns"], writes["p99_ns"]), writes["p999_ns"] <= 1000))
    rows.append(("pixel events, one core", "≥ 100k/s", "%.0f/s (%d applied, %d dropped)" % (
        px["rps"], px["accepted"], px["dropped"]), px["rps"] >= 100_000))
    lines = ["| measure | target | result | |", "| --- | --- | --- | --- |"]
    lines += ["| %s | %s | %s | %s |" % (m, t, r, verdict(ok)) for m, t, r, ok in rows]
    return lines


def throughput_section(out, nginx_wrk, nginx_lg, v_wrk, v_lg_fixed, peak):
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
    out("")


def sweep_section(out, sweep):
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
    out("")


def overload_section(out, over):
    if not over:
        return
    r = over["run"]
    out("Overload: peak %.0f req/s and %.0f bids/s within tmax (closed loop, %d connections); "
        "then %.0f req/s offered for %d s over %d connections, tmax %d ms, the exchange dropping "
        "auctions it could not send within tmax: %d answered (%.0f/s), %d dropped by the "
        "exchange, **%.0f bids/s within tmax**, bid p99 %s µs from send to answer, every "
        "answer's p99 %s µs, exchange CPU %.0f%%." % (
            over["peak"]["achieved_rate"], over["peak_bids_per_s"], CONNECTIONS,
            r["target_rate"], over["duration"], OVERLOAD_CONNECTIONS, TMAX_MS, r["requests"],
            r["achieved_rate"], r["dropped"], over["goodput_per_s"], r["bid_answer_us"]["p99"],
            r["answer_us"]["p99"], 100 * r["driver_cpu"]))
    out("")


def pixel_section(out, px, duration):
    out("Pixel: `wrk -t1 -c32 -d%ds` on `GET /px`, a new user per event, against the seeded "
        "server: %.0f events/s; %d applied as memberships, %d dropped." % (
            duration, px["rps"], px["accepted"], px["dropped"]))
    out("")


def micro_section(out, micro_results):
    out("In process (Google Benchmark; p50/p99 per request where measured):")
    out("")
    out("| benchmark | time | rate | p50 | p99 | p99.9 |")
    out("| --- | --- | --- | --- | --- | --- |")
    for name, b in sorted(micro_results.items()):
        rate = "%.1f M/s" % (b["items_per_second"] / 1e6) if "items_per_second" in b else ""
        if "p50_us" in b:
            pct = ("%.2f µs" % b["p50_us"], "%.2f µs" % b["p99_us"], "")
        elif "p50_ns" in b:
            pct = tuple("%.0f ns" % b[k] for k in ("p50_ns", "p99_ns", "p999_ns"))
        else:
            pct = ("", "", "")
        out("| %s | %.0f %s | %s | %s | %s | %s |" % (name, b["real_time"], b["time_unit"],
                                                       rate, *pct))
    full = [b for n, b in micro_results.items() if n.startswith("BM_FullBidPath")]
    if full:
        out("")
        out("Target parse + auction + serialize of the 2.6 mobile fixture, 10k campaigns, 1M users, "
            "p99 ≤ 20 µs: %s (%.2f µs)." % (verdict(full[0]["p99_us"] <= 20), full[0]["p99_us"]))

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
    # Reservations of bids no notice settles expire after 5 s, so the long runs reach a steady
    # state instead of running the budgets dry.
    server = VetrinaProcess("taskset", campaigns_dir, threads=1,
                            prefix_args=["-c", "0", os.path.join(BUILD, "app", "vetrina")],
                            extra_args=["--reservation-timeout", "5"])
    can_overload = raise_descriptor_limit(OVERLOAD_CONNECTIONS + 256)
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
        over = overload(url, args.users) if can_overload else None
        px = pixel(server, "bench", d)
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
    for line in targets_table(nginx_wrk, v_wrk, dict(sweep)[0.75], over, px, micro_results):
        out(line)
    out("")
    throughput_section(out, nginx_wrk, nginx_lg, v_wrk, v_lg_fixed, peak)
    sweep_section(out, sweep)
    overload_section(out, over)
    pixel_section(out, px, d)
    micro_section(out, micro_results)
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
