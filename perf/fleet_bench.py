#!/usr/bin/env python3
"""The fleet's figures (docs/benchmarks.md, "Fleet"): three `vetrina serve --redis` nodes on one
redis-server (AOF, appendfsync always), or on a three-master Redis Cluster with --cluster, all on
loopback, and nginx in front where a measure goes through the load balancer:

  1. campaign change visible on every node: PUT a campaign on A, poll bids on B and C; the time
     from the PUT's acknowledgement to the last of them bidding (p50/p99 over --changes);
  2. pixel event visible fleet-wide: /px on B for a new user, poll bids on A and C for a campaign
     targeting that pixel audience (p50/p99 over --pixels);
  3. --members uploaded ids through A: the upload's duration, then the time from its
     acknowledgement until every node's vetrina_audience_memberships has them; each node's RSS;
  4. notice throughput through nginx over the three nodes (mint_notices, wrk), and every
     acknowledged notice in the campaign's stats on every node;
  5. bids/s through nginx, three nodes against one (wrk, perf/bench.py's request);
  6. frequency cap visible fleet-wide: for each of --caps users, a bid and its impression
     notice on A, then bids for the same user polled on B and C; the time from the notice's
     acknowledgement to the last of them answering no bid (nbr 9, frequency capped);
  7. over-delivery of a cap of 1 a day: --od-users users at a time, each sending ad requests
     at --od-rate a second (Poisson) to a node picked at random, and the impression notice of
     each bid to a node picked at random again; impressions counted beyond the cap over all
     impressions counted.

Every external command is printed before it runs. The bid-path cost in fleet mode is
perf/instructions_per_request.py --fleet.

  python3 perf/fleet_bench.py [--changes 100] [--gap 0.5] [--pixels 100] [--members 10000000]
                              [--notices 300000] [--duration 10] [--caps 200]
                              [--od-rate 2] [--od-users 48] [--od-seconds 60] [--od-requests 3]
                              [--cluster] [--only 1,2]

Needs the Release build (vetrina, mint_notices, vetrina-loadgen), redis-server, nginx, wrk.
"""
import argparse
import http.client
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import fleet  # noqa: E402

REQUEST_FILE = os.path.join(ROOT, "perf", "requests", "inapp-banner.json")
POLL_S = 0.002  # between two bid requests to the same node while waiting for a change


def log(*parts):
    print(*parts, flush=True)


def show(argv, env=None):
    prefix = "".join(f"{k}={v} " for k, v in (env or {}).items())
    log("$", prefix + shlex.join(str(a) for a in argv))


class Client:
    """A keep-alive HTTP connection to one loopback port, reopened after an error."""

    def __init__(self, port, token=None):
        self.port, self.token, self.conn = port, token, None

    def call(self, method, path, body=None, timeout=30):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, data
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def bid_request(bundle, ifa="AAAAAAAA-0000-4000-8000-00000000000A"):
    # "webos" keeps these auctions away from every other campaign of the bench.
    return json.dumps({"id": "r", "imp": [{"id": "1", "banner": {"w": 320, "h": 50}}],
                       "app": {"bundle": bundle}, "device": {"os": "webos", "ifa": ifa}})


def campaign(cid, bundle=None, audiences=None, budget=True):
    c = {"id": cid, "advertiser": "shop", "status": "active",
         "bid": {"strategy": "cpm", "max_bid": 2},
         "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}],
         "targeting": {}}
    if budget:
        c["budget"] = {"lifetime": 1000}
    if bundle:
        c["targeting"]["app_bundle"] = {"include": [bundle]}
    if audiences:
        c["targeting"]["audiences"] = {"any_of": audiences}
    return c


def percentile(values, p):
    """The value at 1-based rank round(p * n / 100 + 0.5): of 100 values, p99 is the largest."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def summary(values):
    return {"n": len(values), "p50_ms": round(1000 * percentile(values, 50), 1),
            "p99_ms": round(1000 * percentile(values, 99), 1),
            "max_ms": round(1000 * max(values), 1), "mean_ms": round(1000 * statistics.mean(values), 1)}


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


class Fleet:
    """Redis (one server, or a three-master cluster) and nodes a, b, c on free loopback ports."""

    def __init__(self, binary, cluster=False):
        self.dir = tempfile.mkdtemp(prefix="vetrina-fleet-bench-")
        self.binary = binary
        self.redis, self.nodes, self.lbs = [], {}, []
        self.token = None
        try:
            self.redis = fleet.start_loopback_redis(self.dir, cluster)
            log("$", shlex.join(self.redis[0].argv), f"(x{len(self.redis)})" if cluster else "")
            for name in ("a", "b", "c"):
                spec = fleet.NodeSpec(f"node-{name}", fleet.free_port(), fleet.free_port())
                node = fleet.start_node(binary, spec, [r.url for r in self.redis],
                                        os.path.join(self.dir, name),
                                        public_url=f"http://127.0.0.1:{spec.public_port}")
                log("$", shlex.join(node.argv))
                node.wait_ready(timeout=120)
                self.nodes[name] = node
                if self.token is None:
                    self.token = node.admin_token()
        except BaseException:
            self.stop()
            raise

    def admin(self, name, token=None):
        return Client(self.nodes[name].spec.admin_port, token)

    def public(self, name):
        return Client(self.nodes[name].spec.public_port)

    def nginx(self, names):
        public, admin = fleet.free_port(), fleet.free_port()
        lb = fleet.start_nginx(os.path.join(self.dir, f"nginx-{len(self.lbs)}"),
                               f"127.0.0.1:{public}", f"127.0.0.1:{admin}",
                               [self.nodes[n].spec for n in names], name=f"nginx-{len(self.lbs)}")
        log("$", shlex.join(lb.argv), f"(over nodes {','.join(names)})")
        self.lbs.append(lb)
        return public

    def secret_hex(self):
        """The fleet's notice secret (32 raw bytes under vt:{secret}), as notice.key holds it."""
        r = self.redis[0]
        argv = [fleet.find_program("redis-cli"), "-h", r.host, "-p", str(r.port), "-c", "--raw",
                "GET", "vt:{secret}"]
        show(argv)
        out = subprocess.run(argv, check=True, capture_output=True).stdout
        assert len(out) == 33 and out.endswith(b"\n"), out
        return out[:32].hex()

    def stop(self):
        fleet.stop_all([*self.nodes.values(), *self.lbs, *self.redis])
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_until(clients, answered, timeout):
    """Polls every client with `answered(client)` until each returned true once; the seconds until
    the last of them did, from now, or None after `timeout`."""
    started = time.monotonic()
    waiting = list(clients)
    while waiting:
        for c in list(waiting):
            if answered(c):
                waiting.remove(c)
        if not waiting:
            break
        if time.monotonic() - started > timeout:
            return None
        time.sleep(POLL_S)
    return time.monotonic() - started


def wait_until_bids(clients, request, timeout):
    """Until every client answered `request` with 200 once (wait_until)."""
    return wait_until(clients, lambda c: c.call("POST", "/openrtb2/bid", request)[0] == 200,
                      timeout)


def measure_campaign_changes(f, shop, n, gap):
    """Two series: changes back to back (each PUT as soon as the last change bids everywhere,
    so each lands within the publisher's min interval of the last publish), then changes `gap`
    seconds apart (isolated ones)."""
    result = {"back_to_back": campaign_series(f, shop, n, 0)}
    if gap > 0:
        result[f"{gap}_s_apart"] = campaign_series(f, shop, n, gap)
    return result


def campaign_series(f, shop, n, gap):
    log(f"\n## 1. campaign change visible on every node ({n} PUTs on A, {gap} s apart, "
        "bids polled on B and C)")
    a = f.admin("a", shop)
    others = [f.public("b"), f.public("c")]
    times, ack = [], []
    tag = uuid.uuid4().hex[:8]
    for i in range(n):
        time.sleep(gap)
        bundle = f"com.bench.prop.{tag}.{i}"
        started = time.monotonic()
        status, body = a.call("PUT", f"/v1/campaigns/prop-{tag}-{i}", campaign(f"prop-{tag}-{i}", bundle))
        assert status == 201, body
        ack.append(time.monotonic() - started)
        t = wait_until_bids(others, bid_request(bundle), 10)
        assert t is not None, f"campaign {i} not bidding on B and C after 10 s"
        times.append(t)
    result = {"visible": summary(times), "put_ack": summary(ack), "load": load()}
    log(json.dumps(result))
    return result


def wait_known(f, shop, cid):
    """Until every node's admin API has campaign `cid`."""
    for n in f.nodes:
        c, deadline = f.admin(n, shop), time.monotonic() + 10
        while c.call("GET", f"/v1/campaigns/{cid}")[0] != 200:
            assert time.monotonic() < deadline, f"{cid} not on node {n}"
            time.sleep(0.01)


def measure_pixels(f, shop, n):
    log(f"\n## 2. pixel event visible fleet-wide ({n} /px on B, bids polled on A and C)")
    a = f.admin("a", shop)
    tag = uuid.uuid4().hex[:8]
    bundle = f"com.bench.px.{tag}"
    assert a.call("PUT", f"/v1/audiences/carts-{tag}",
                  {"name": "Carts", "kind": "pixel", "ttl_days": 30,
                   "rule": {"events": ["add_to_cart"], "recency_days": 7}})[0] == 201
    assert a.call("PUT", f"/v1/campaigns/px-{tag}",
                  campaign(f"px-{tag}", bundle, [f"carts-{tag}"]))[0] == 201
    b, others = f.public("b"), [f.public("a"), f.public("c")]
    # The campaign is on A and C before the first event: each wait is the event's alone.
    wait_known(f, shop, f"px-{tag}")
    # One event first, not counted: known to the admin API is not yet published to the bid path
    # (the publisher runs at most every 250 ms), and that wait belongs to the campaign change.
    warm = str(uuid.uuid4()).upper()
    assert b.call("GET", f"/px?a=shop&e=add_to_cart&ifa={warm}")[0] == 200
    assert wait_until_bids(others, bid_request(bundle, warm), 10) is not None
    times = []
    for i in range(n):
        ifa = str(uuid.uuid4()).upper()
        status, _ = b.call("GET", f"/px?a=shop&e=add_to_cart&ifa={ifa}")
        assert status == 200
        t = wait_until_bids(others, bid_request(bundle, ifa), 10)
        assert t is not None, f"pixel user {i} not bidding on A and C after 10 s"
        times.append(t)
    result = {"visible": summary(times), "slowest_ms": [round(1000 * t, 1) for t in
                                                        sorted(times)[-3:]], "load": load()}
    log(json.dumps(result))
    return result


def memberships(client):
    _, metrics = client.call("GET", "/metrics")
    return int(re.search(rb"^vetrina_audience_memberships (\d+)$", metrics, re.M).group(1))


def measure_members(f, shop, count, build):
    log(f"\n## 3. {count:,} uploaded members through A, visible on every node")
    a = f.admin("a", shop)
    assert a.call("PUT", "/v1/audiences/crm-bench",
                  {"name": "CRM", "kind": "custom", "ttl_days": 90})[0] == 201
    ids = os.path.join(f.dir, "ids.txt")
    argv = [os.path.join(build, "perf", "vetrina-loadgen"), "users", "--count", str(count)]
    show(argv + [">", ids])
    with open(ids, "wb") as out:
        subprocess.run(argv, check=True, stdout=out)
    size = os.path.getsize(ids)
    metrics = {n: f.admin(n) for n in f.nodes}
    before = {n: memberships(c) for n, c in metrics.items()}
    rss_before = {n: rss_mib(node.proc.pid) for n, node in f.nodes.items()}
    log(f"POST /v1/audiences/crm-bench/members on A: {size / 2**20:.0f} MiB of ids, streamed")
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", f.nodes["a"].spec.admin_port, timeout=3600)
    with open(ids, "rb") as body:
        conn.request("POST", "/v1/audiences/crm-bench/members", body=body,
                     headers={"Authorization": "Bearer " + shop, "Content-Length": str(size)})
        resp = conn.getresponse()
        answer = resp.read().decode()
    conn.close()
    upload_s = time.monotonic() - started
    log(f"upload answered {resp.status} {answer} after {upload_s:.1f} s (load {load()})")
    os.remove(ids)
    acked = time.monotonic()
    # After a 503 (nothing acknowledged) the nodes are still watched for a while: what of the
    # upload did reach them is part of the report.
    added = json.loads(answer)["added"] if resp.status == 200 else count
    reached, samples = {}, []
    deadline = acked + (600 if resp.status == 200 else 20)
    while len(reached) < len(metrics) and time.monotonic() < deadline:
        now = time.monotonic() - acked
        counts = {n: memberships(c) - before[n] for n, c in metrics.items()}
        samples.append((round(now, 1), counts))
        for n, got in counts.items():
            if n not in reached and got >= added:
                reached[n] = round(now, 2)
        if len(samples) % 10 == 1:
            log(f"  +{now:.1f} s: {counts}")
        time.sleep(0.25)
    result = {"ids": count, "upload_status": resp.status, "upload_answer": answer,
              "upload_s": round(upload_s, 1),
              "every_node_after_ack_s": max(reached.values()) if len(reached) == 3 else None,
              "per_node_after_ack_s": reached,
              "memberships_at_end": samples[-1][1] if samples else None,
              "node_messages": {n: [l for l in node.lines if "vetrina:" in l][-5:]
                                for n, node in f.nodes.items()},
              "rss_mib_before": rss_before,
              "rss_mib_after": {n: rss_mib(node.proc.pid) for n, node in f.nodes.items()},
              "redis_rss_mib": {r.name: rss_mib(r.proc.pid) for r in f.redis},
              "load": load()}
    log(json.dumps(result))
    return result


def wrk(argv, env=None):
    show(argv, env)
    out = subprocess.run(argv, env=dict(os.environ, **(env or {})), capture_output=True,
                         text=True, check=True).stdout
    log(out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "p99": re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)}


def measure_notices(f, shop, lb_public, count, connections, duration, build):
    log(f"\n## 4. notice throughput through nginx over three nodes ({count:,} minted)")
    a = f.admin("a", shop)
    assert a.call("PUT", "/v1/campaigns/n-bench", campaign("n-bench", budget=False))[0] == 201
    keydir = os.path.join(f.dir, "notice-key")
    os.makedirs(keydir)
    with open(os.path.join(keydir, "notice.key"), "w") as out:
        out.write(f.secret_hex() + "\n")
    paths = os.path.join(keydir, "notices.txt")
    argv = [os.path.join(build, "perf", "mint_notices"), keydir, "n-bench", str(count), paths]
    show(argv)
    subprocess.run(argv, check=True)
    wait_known(f, shop, "n-bench")  # else a node answers "unknown campaign"
    w = wrk(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s",
             os.path.join(ROOT, "perf", "wrk", "paths.lua"), f"http://127.0.0.1:{lb_public}"],
            {"PATHS_FILE": paths})
    acknowledged = w["requests"] - w["non2xx"]
    wins = {}
    deadline = time.monotonic() + 30
    for n in f.nodes:
        c = f.admin(n, shop)
        while True:
            _, body = c.call("GET", "/v1/campaigns/n-bench/stats")
            wins[n] = json.loads(body)["wins"]
            if wins[n] >= acknowledged or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    result = {"notices_per_s": w["rps"], "p99": w["p99"], "requests": w["requests"],
              "non2xx": w["non2xx"], "wins_in_stats": wins,
              "every_200_in_every_node_stats": all(v >= acknowledged for v in wins.values()),
              "repeats": w["requests"] > count, "load": load()}
    log(json.dumps(result))
    return result


def measure_bids(f, shop, lb_three, lb_one, connections, duration):
    log("\n## 5. bids/s through nginx: three nodes against one (perf/bench.py's request)")
    a = f.admin("a", shop)
    body = campaign("bids-bench", budget=False)
    body["targeting"]["app_bundle"] = {"include": ["com.app17"]}
    assert a.call("PUT", "/v1/campaigns/bids-bench", body)[0] == 201
    with open(REQUEST_FILE) as req:
        request = req.read()
    for lb in (lb_three, lb_one):
        deadline = time.monotonic() + 10
        while Client(lb).call("POST", "/openrtb2/bid", request)[0] != 200:
            assert time.monotonic() < deadline, "the bench campaign never bids"
            time.sleep(0.05)
    result = {}
    for name, port in (("three_nodes", lb_three), ("one_node", lb_one)):
        result[name] = wrk(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
                            "-s", os.path.join(ROOT, "perf", "wrk", "post_body.lua"),
                            f"http://127.0.0.1:{port}/openrtb2/bid"], {"BODY_FILE": REQUEST_FILE})
        result[name]["load"] = load()
    result["ratio"] = round(result["three_nodes"]["rps"] / result["one_node"]["rps"], 2)
    log(json.dumps({k: v if not isinstance(v, dict) else {x: v[x] for x in ("rps", "non2xx", "p99")}
                    for k, v in result.items()}))
    return result


def capped_campaign(cid, bundle):
    """One impression per user a day; no budget, so bids polled while a node has not followed
    the impression reserve nothing that could end the campaign."""
    c = campaign(cid, bundle, budget=False)
    c["frequency_caps"] = [{"max": 1, "per": "day"}]
    return c


IMP_PATH = re.compile(r'/ev/imp\?t=[^"&<\s]+')


def bid_once(client, request):
    """(bids, the impression tracker's path) for one bid request; bids is False for a no bid."""
    status, body = client.call("POST", "/openrtb2/bid", request)
    if status == 204:
        return False, None
    assert status == 200, (status, body)
    answer = json.loads(body)
    if "seatbid" not in answer:
        assert answer.get("nbr") == 9, answer  # every campaign that would have bid was capped
        return False, None
    adm = answer["seatbid"][0]["bid"][0]["adm"]
    return True, IMP_PATH.search(adm).group(0)


def impression(client, path):
    """The impression notice's answer status ("counted", "duplicate", ...)."""
    status, body = client.call("GET", path)
    assert status == 200, (status, body)
    return json.loads(body)["status"]


def wait_until_capped(clients, request, timeout):
    """Until every client answered `request` with no bid once (wait_until)."""
    return wait_until(clients, lambda c: not bid_once(c, request)[0], timeout)


def new_ifa():
    return str(uuid.uuid4()).upper()


def measure_caps(f, shop, n):
    log(f"\n## 6. frequency cap visible fleet-wide ({n} users: bid and /ev/imp on A, bids "
        "polled on B and C until they answer nbr 9)")
    a = f.admin("a", shop)
    tag = uuid.uuid4().hex[:8]
    bundle = f"com.bench.cap.{tag}"
    assert a.call("PUT", f"/v1/campaigns/cap-{tag}", capped_campaign(f"cap-{tag}", bundle))[0] == 201
    a_public, others = f.public("a"), [f.public("b"), f.public("c")]
    # Every node bids the campaign before the first user: each wait is the notice's alone.
    assert wait_until_bids([a_public, *others], bid_request(bundle, new_ifa()), 10) is not None
    times, acks = [], []
    rng = random.Random(6)
    for i in range(n):
        # A random pause, so that each impression lands at a random point of the other nodes'
        # follow interval: without it, the next user's impression comes a few ms after the
        # slower node's follow ended the last wait, always near the interval's worst phase.
        time.sleep(rng.uniform(0, 0.05))
        request = bid_request(bundle, new_ifa())
        bids, path = bid_once(a_public, request)
        assert bids, f"user {i}: A does not bid"
        started = time.monotonic()
        assert impression(a_public, path) == "counted"
        acks.append(time.monotonic() - started)
        assert not bid_once(a_public, request)[0], f"user {i}: A bids after its own impression"
        t = wait_until_capped(others, request, 10)
        assert t is not None, f"user {i} still bid on B or C 10 s after the impression"
        times.append(t)
    result = {"capped_on_b_and_c": summary(times), "imp_ack": summary(acks),
              "slowest_ms": [round(1000 * t, 1) for t in sorted(times)[-3:]], "load": load()}
    log(json.dumps(result))
    return result


def measure_over_delivery(f, shop, users, rate, seconds, requests_per_user, threads=8):
    log(f"\n## 7. over-delivery of a cap of 1 a day: {users} users at a time, {rate} ad "
        f"requests/s each (Poisson), {requests_per_user} requests per user, bids and /ev/imp "
        f"each to a random node, {seconds} s")
    a = f.admin("a", shop)
    tag = uuid.uuid4().hex[:8]
    bundle = f"com.bench.od.{tag}"
    assert a.call("PUT", f"/v1/campaigns/od-{tag}", capped_campaign(f"od-{tag}", bundle))[0] == 201
    assert wait_until_bids([f.public(n) for n in f.nodes], bid_request(bundle, new_ifa()),
                           10) is not None
    names = list(f.nodes)
    lock = threading.Lock()
    totals = {"requests": 0, "bids": 0, "counted": 0, "over": 0, "users": 0}
    # Per over-cap impression: the seconds from the acknowledgement of the user's counted
    # impression to the bid that led to the extra one, and whether it went to another node.
    over_gaps = []
    stop_at = time.monotonic() + seconds

    def user_loop(index, rng):
        clients = {n: f.public(n) for n in names}
        # Each thread runs its share of the users interleaved, in order of their next request.
        per_thread = users // threads + (index < users % threads)
        sessions = []  # [next request time, ifa, requests left, counted, last ack, ack node]
        now = time.monotonic()
        for _ in range(per_thread):
            sessions.append([now + rng.expovariate(rate), new_ifa(), requests_per_user, 0,
                             None, None])
        while True:
            sessions.sort(key=lambda s: s[0])
            s = sessions[0]
            wait = s[0] - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if time.monotonic() > stop_at:
                break
            node = rng.choice(names)
            sent = time.monotonic()
            bids, path = bid_once(clients[node], bid_request(bundle, s[1]))
            extra, counted = None, False
            if bids:
                imp_node = rng.choice(names)
                counted = impression(clients[imp_node], path) == "counted"
                if counted:
                    if s[3] >= 1:
                        extra = (round(1000 * (sent - s[4]), 1), node != s[5])
                    s[3] += 1
                    s[4], s[5] = time.monotonic(), imp_node
            with lock:
                totals["requests"] += 1
                totals["bids"] += bids
                totals["counted"] += counted
                if extra is not None:
                    totals["over"] += 1
                    over_gaps.append(extra)
            s[2] -= 1
            s[0] = max(s[0], time.monotonic()) + rng.expovariate(rate)
            if s[2] == 0:  # this user is done: another takes its place
                with lock:
                    totals["users"] += 1
                s[1:] = [new_ifa(), requests_per_user, 0, None, None]

    workers = [threading.Thread(target=user_loop, args=(i, random.Random(i))) for i in
               range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    counted = totals["counted"]
    stats = {}
    for n in names:
        _, body = f.admin(n, shop).call("GET", f"/v1/campaigns/od-{tag}/stats")
        stats[n] = json.loads(body)["impressions"]
    result = {**totals, "requests_per_s": round(totals["requests"] / seconds, 1),
              "per_user_rate": rate, "over_delivery": round(totals["over"] / max(1, counted), 5),
              "over_gaps_ms_node_changed": sorted(over_gaps)[:20],
              "over_gap_max_ms": max((g for g, _ in over_gaps), default=None),
              "impressions_in_stats": stats, "load": load()}
    log(json.dumps(result))
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--gap", type=float, default=0.5,
                    help="seconds between campaign changes in the second, isolated series")
    ap.add_argument("--pixels", type=int, default=100)
    ap.add_argument("--members", type=int, default=10_000_000)
    ap.add_argument("--notices", type=int, default=300_000)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--caps", type=int, default=200, help="users of the cap propagation measure")
    ap.add_argument("--od-rate", type=float, default=2.0,
                    help="ad requests per second per user in the over-delivery measure")
    ap.add_argument("--od-users", type=int, default=48, help="users at a time (over-delivery)")
    ap.add_argument("--od-seconds", type=int, default=60)
    ap.add_argument("--od-requests", type=int, default=3,
                    help="ad requests per user before a new user takes its place")
    ap.add_argument("--cluster", action="store_true", help="on a three-master Redis Cluster")
    ap.add_argument("--only", default="1,2,3,4,5,6,7", help="which measures, e.g. 1,2")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    only = {int(x) for x in args.only.split(",")}
    log(f"load before: {load()}; {os.cpu_count()} CPUs")
    f = Fleet(os.path.join(args.build, "app", "vetrina"), cluster=args.cluster)
    results = {"cluster": args.cluster}
    try:
        status, body = f.admin("a", f.token).call("POST", "/v1/advertisers", {"id": "shop"})
        assert status == 201, body
        shop = json.loads(body)["token"]
        if 1 in only:
            results["campaign_change"] = measure_campaign_changes(f, shop, args.changes,
                                                                 args.gap)
        if 2 in only:
            results["pixel"] = measure_pixels(f, shop, args.pixels)
        if 6 in only:
            results["frequency_cap"] = measure_caps(f, shop, args.caps)
        if 7 in only:
            results["over_delivery"] = measure_over_delivery(f, shop, args.od_users, args.od_rate,
                                                             args.od_seconds, args.od_requests)
        if 4 in only or 5 in only:
            lb_three = f.nginx(["a", "b", "c"])
            if 4 in only:
                results["notices"] = measure_notices(f, shop, lb_three, args.notices,
                                                     256, args.duration, args.build)
            if 5 in only:
                lb_one = f.nginx(["a"])
                results["bids"] = measure_bids(f, shop, lb_three, lb_one, args.connections,
                                               args.duration)
        if 3 in only:
            results["members"] = measure_members(f, shop, args.members, args.build)
    finally:
        f.stop()
    log("\n## results")
    log(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
