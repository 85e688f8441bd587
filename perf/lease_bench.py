#!/usr/bin/env python3
"""The fleet's Redis work for budget leases (docs/benchmarks.md, "Fleet money"): for each
configuration of a small grid (--campaigns 1000,10000 × --nodes 1,3), a fresh redis-server (AOF,
appendfsync always, scripts/fleet.py) and that many `vetrina serve --redis` nodes; every campaign
has a daily and a lifetime budget, seeded through the admin API's batch endpoint. After --settle
seconds (one small campaign change after the seed batches, unless --batch-tail), over a
--window second window:

  - each node's lease FCALLs/s (vt_lease and vt_close), from its /metrics counter
    vetrina_lease_redis_calls_total;
  - Redis' side from `INFO commandstats` deltas: FCALLs/s and their usec per call, EVALs/s (the
    log follows every 20 ms: catalog, market, audiences, notices), every command/s including the
    ones run inside functions and scripts (HGETALL, HSET, TIME, GET, XRANGE: Redis 7.0 counts
    those in commandstats and in total_commands_processed alike), and the calls the nodes send
    (every command but those run inside; FCALL and EVAL when idle), without the bench's own INFO;
  - Redis' CPU from `INFO cpu` (used_cpu_user + used_cpu_sys), in % of one core.

The expected FCALLs/s per node is 5 × Σ over the 16 account buckets of ceil(accounts / 256)
(one vt_lease per bucket and 256 accounts every 200 ms), from the campaign ids' CRC16. With
--bid-rate R > 0 (100 by default) each configuration gets a second window with R bid requests/s through
its first node, to show that bids do not change the call count (and the answers, with each
node's no-bid reasons). No bid traffic otherwise: a
budgeted campaign's lease is renewed whether it bids or not.

Every external command is printed before it runs.

  python3 perf/lease_bench.py [--campaigns 1000,10000] [--nodes 1,3] [--settle 3] [--window 10]
                              [--bid-rate 100] [--batch-tail]

Needs the Release build (build/app/vetrina) and redis-server, redis-cli.
"""
import argparse
import http.client
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import fleet  # noqa: E402

REQUEST_FILE = os.path.join(ROOT, "perf", "requests", "inapp-banner.json")
ACCOUNT_BUCKETS = 16  # adapters/fleet/money_functions.h
ACCOUNTS_PER_CALL = 256  # adapters/money/lease_keeper.cpp
RENEWALS_PER_S = 5  # engine::LeaseTerms::renew_every = 200 ms
BATCH = 10_000  # the batch endpoint's limit
# What the money functions (adapters/fleet/money_functions.cpp) and the log scripts
# (adapters/fleet/redis_log.cpp) call inside Redis. Of these the nodes send only GET and SET of
# the notice secret, at start, and DEL of an upload's staging list.
INSIDE_SCRIPTS = {"time", "hgetall", "hset", "hdel", "get", "set", "del", "exists", "persist",
                  "rename", "llen", "lrange", "xrange", "xrevrange", "xadd", "xtrim"}


def log(*parts):
    print(*parts, flush=True)


def show(argv):
    log("$", shlex.join(str(a) for a in argv))


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def crc16(data):
    """Redis' key-slot CRC16 (XMODEM), as adapters/redis/key_slot.cpp."""
    crc = 0
    for byte in data.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def expected_fcalls_per_s(ids):
    """vt_lease calls per second per node: one per bucket and 256 accounts, every 200 ms."""
    per_bucket = [0] * ACCOUNT_BUCKETS
    for cid in ids:
        per_bucket[crc16(cid) % ACCOUNT_BUCKETS] += 1
    return RENEWALS_PER_S * sum(math.ceil(n / ACCOUNTS_PER_CALL) for n in per_bucket)


def campaign(cid):
    # No targeting: every campaign may win the bench's bid request (perf/requests/inapp-banner).
    return {"id": cid, "advertiser": "bench", "status": "active",
            "bid": {"strategy": "cpm", "max_bid": 1.5},
            "budget": {"daily": 100, "lifetime": 1000},
            "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}],
            "targeting": {}}


def call(port, method, path, token=None, body=None, timeout=120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body),
                     headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def metrics(port):
    """{series: value} of a node's admin /metrics, for the series the bench reads."""
    _, body = call(port, "GET", "/metrics")
    out = {}
    for m in re.finditer(r'^(vetrina_lease_\w+|vetrina_leases_closed_total|'
                         r'vetrina_no_bids_total\{reason="\w+"\}) (\S+)$', body.decode(), re.M):
        out[m.group(1)] = int(float(m.group(2)))
    return out


def redis_info(redis):
    """{name: value} of INFO stats, cpu and commandstats; cmdstat_X as {calls, usec}."""
    argv = [fleet.find_program("redis-cli"), "-h", redis.host, "-p", str(redis.port),
            "INFO", "stats", "cpu", "commandstats"]
    show(argv)
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    info = {"at": time.monotonic()}
    for line in out.splitlines():
        if ":" not in line or line.startswith("#"):
            continue
        key, value = line.strip().split(":", 1)
        if key.startswith("cmdstat_"):
            fields = dict(kv.split("=") for kv in value.split(","))
            info[key[len("cmdstat_"):]] = {"calls": int(fields["calls"]),
                                           "usec": int(fields["usec"])}
        else:
            info[key] = value
    return info


class Fleet:
    """A fresh redis-server and `count` nodes on free loopback ports."""

    def __init__(self, binary, count):
        self.dir = tempfile.mkdtemp(prefix="vetrina-lease-bench-")
        self.redis, self.nodes, self.token = None, [], None
        try:
            [self.redis] = fleet.start_loopback_redis(self.dir)
            log("$", shlex.join(str(a) for a in self.redis.argv))
            for i in range(count):
                spec = fleet.NodeSpec(f"node-{i}", fleet.free_port(), fleet.free_port())
                node = fleet.start_node(binary, spec, [self.redis.url],
                                        os.path.join(self.dir, f"node-{i}"),
                                        public_url=f"http://127.0.0.1:{spec.public_port}")
                show(node.argv)
                node.wait_ready(timeout=120)
                self.nodes.append(node)
                if self.token is None:
                    self.token = node.admin_token()
        except BaseException:
            self.stop()
            raise

    def stop(self):
        fleet.stop_all([*self.nodes, *([self.redis] if self.redis else [])])
        shutil.rmtree(self.dir, ignore_errors=True)


def seed(f, count, small_tail):
    node = f.nodes[0].spec.admin_port
    status, body = call(node, "POST", "/v1/advertisers", f.token, {"id": "bench"})
    assert status == 201, body
    ids = [f"lease-{i}" for i in range(count)]
    for start in range(0, count, BATCH):
        part = [campaign(cid) for cid in ids[start:start + BATCH]]
        log(f"POST /v1/campaigns:batch on node-0: {len(part)} campaigns")
        status, body = call(node, "POST", "/v1/campaigns:batch", f.token, part)
        assert status == 200, body
    last = ids[-1]
    if small_tail:
        # Each log follow reads the stream's newest record whole (XREVRANGE COUNT 1): after the
        # batch that is megabytes, every 20 ms on every node, until the next change. One small
        # change, as a live catalog has, keeps that cost out of the lease figures.
        c = campaign("lease-tail")
        del c["budget"]
        log("PUT /v1/campaigns/lease-tail on node-0 (no budget)")
        status, body = call(node, "PUT", "/v1/campaigns/lease-tail", f.token, c)
        assert status == 201, body
        last = "lease-tail"
    # Every node lists every campaign before the window (the last one written).
    for n in f.nodes:
        deadline = time.monotonic() + 60
        while call(n.spec.admin_port, "GET", f"/v1/campaigns/{last}", f.token)[0] != 200:
            assert time.monotonic() < deadline, f"{last} not on {n.name}"
            time.sleep(0.05)
    return ids


class Bids:
    """`rate` bid requests a second to one node's public port on one keep-alive connection."""

    def __init__(self, port, rate):
        with open(REQUEST_FILE) as r:
            self.body = r.read()
        self.port, self.rate = port, rate
        self.counts = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        next_at = time.monotonic()
        while not self.stop.is_set():
            conn.request("POST", "/openrtb2/bid", body=self.body,
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            self.counts[resp.status] = self.counts.get(resp.status, 0) + 1
            next_at += 1.0 / self.rate
            time.sleep(max(0.0, next_at - time.monotonic()))
        conn.close()

    def finish(self):
        self.stop.set()
        self.thread.join()
        return self.counts


def window(f, seconds):
    """Each node's lease calls and Redis' counters over `seconds`."""
    ports = [n.spec.admin_port for n in f.nodes]
    m0 = [metrics(p) for p in ports]
    node_t0 = time.monotonic()
    before = redis_info(f.redis)
    time.sleep(seconds)
    after = redis_info(f.redis)
    node_dt = time.monotonic() - node_t0
    m1 = [metrics(p) for p in ports]
    dt = after["at"] - before["at"]

    def node_delta(name):
        return [b.get(name, 0) - a.get(name, 0) for a, b in zip(m0, m1)]

    no_bids = {}
    for a, b in zip(m0, m1):
        for k, v in b.items():
            if k.startswith("vetrina_no_bids_total") and v - a.get(k, 0):
                reason = k.split('"')[1]
                no_bids[reason] = no_bids.get(reason, 0) + v - a.get(k, 0)

    def delta(name, field="calls"):
        return after.get(name, {field: 0})[field] - before.get(name, {field: 0})[field]

    commands = {k: delta(k) for k in after if isinstance(after[k], dict)}
    # The bench's own INFO (the first snapshot's; a command is counted once it ran) is not the
    # fleet's work.
    commands["info"] = commands.get("info", 0) - 1
    fcalls = delta("fcall")
    cpu = sum(float(after[k]) - float(before[k]) for k in ("used_cpu_user", "used_cpu_sys"))
    # Redis 7.0 counts the commands a function or script runs in commandstats and in
    # total_commands_processed alike; the nodes send the rest.
    top_level = sum(v for k, v in commands.items() if k not in INSIDE_SCRIPTS)
    return {
        "seconds": round(dt, 2),
        "fcall_per_s_per_node": [round(c / node_dt, 1)
                                 for c in node_delta("vetrina_lease_redis_calls_total")],
        "lease_failures": sum(node_delta("vetrina_lease_redis_failures_total")),
        "leases_closed": sum(node_delta("vetrina_leases_closed_total")),
        "no_bids_by_reason": no_bids,
        "redis_fcall_per_s": round(fcalls / dt, 1),
        "usec_per_fcall": round(delta("fcall", "usec") / fcalls, 1) if fcalls else None,
        "redis_eval_per_s": round(delta("eval") / dt, 1),
        "usec_per_eval": round(delta("eval", "usec") / max(1, delta("eval")), 1),
        "redis_commands_per_s": round(sum(commands.values()) / dt, 1),
        "redis_top_level_per_s": round(top_level / dt, 1),
        "total_commands_processed_per_s": round(
            (int(after["total_commands_processed"]) - int(before["total_commands_processed"]) - 1)
            / dt, 1),
        "redis_cpu_percent": round(100 * cpu / dt, 1),
        "commands_per_s": {k: round(v / dt, 1) for k, v in sorted(commands.items()) if v},
        "load": load(),
    }


def run_config(binary, nodes, campaigns, settle, seconds, bid_rate, small_tail):
    log(f"\n## {nodes} node(s), {campaigns:,} budgeted campaigns")
    f = Fleet(binary, nodes)
    try:
        ids = seed(f, campaigns, small_tail)
        expected = expected_fcalls_per_s(ids)
        log(f"settling {settle} s; expected vt_lease calls per node: {expected}/s")
        time.sleep(settle)
        result = {"nodes": nodes, "campaigns": campaigns, "expected_fcall_per_s": expected,
                  "idle": window(f, seconds)}
        log(json.dumps(result["idle"]))
        if bid_rate:
            log(f"a second window with {bid_rate} bid requests/s through node-0")
            bids = Bids(f.nodes[0].spec.public_port, bid_rate)
            try:
                busy = window(f, seconds)
            finally:
                busy["bid_answers"] = bids.finish()
            result["bids"] = busy
            log(json.dumps(busy))
        return result
    finally:
        f.stop()


def table(results):
    rows = ["| nodes | campaigns | traffic | vt_lease calls per renewal | FCALL/s per node | "
            "renewal period per node, ms | usec per FCALL | EVAL/s (log follows, all nodes) | "
            "Redis calls/s per node | Redis commands/s incl. inside functions and scripts | "
            "Redis CPU % of one core | bids answered (no-bid reasons) |",
            "| ---: | ---: | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in results:
        per_renewal = r["expected_fcall_per_s"] // RENEWALS_PER_S
        for label, w in (("idle", r["idle"]), (f"{r['bid_rate']} bids/s", r.get("bids"))):
            if w is None:
                continue
            per_node = ", ".join(f"{x:g}" for x in w["fcall_per_s_per_node"])
            period = ", ".join(f"{1000 * per_renewal / x:.0f}" if x else "-"
                               for x in w["fcall_per_s_per_node"])
            answers = ""
            if "bid_answers" in w:
                a = w["bid_answers"]
                answers = (f"{a.get(200, 0)} of {sum(a.values())} bid ("
                           + ", ".join(f"{k} {v}" for k, v in w["no_bids_by_reason"].items())
                           + ")")
            rows.append(f"| {r['nodes']} | {r['campaigns']:,} | {label} | {per_renewal} | "
                        f"{per_node} | {period} | {w['usec_per_fcall']} | "
                        f"{w['redis_eval_per_s']:g} | {w['redis_top_level_per_s'] / r['nodes']:,.0f} | "
                        f"{w['redis_commands_per_s']:,.0f} | {w['redis_cpu_percent']} | {answers} |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--campaigns", default="1000,10000")
    ap.add_argument("--nodes", default="1,3")
    ap.add_argument("--settle", type=float, default=3)
    ap.add_argument("--window", type=float, default=10)
    ap.add_argument("--bid-rate", type=int, default=100,
                    help="bid requests/s through one node in a second window of each "
                         "configuration (0: none)")
    ap.add_argument("--batch-tail", action="store_true",
                    help="leave the seed batch as the catalog log's newest record (no small "
                         "change after it): the log follows then read megabytes each")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    binary = os.path.join(args.build, "app", "vetrina")
    grid = [(n, c) for n in map(int, args.nodes.split(","))
            for c in map(int, args.campaigns.split(","))]
    log(f"load before: {load()}; {os.cpu_count()} CPUs")
    results = []
    for n, c in grid:
        r = run_config(binary, n, c, args.settle, args.window, args.bid_rate,
                       not args.batch_tail)
        r["bid_rate"] = args.bid_rate
        results.append(r)
    log("\n## results")
    log(json.dumps(results, indent=1))
    log("")
    log(table(results))


if __name__ == "__main__":
    main()
