#!/usr/bin/env python3
"""Chaos for the fleet's money (docs/fleet.md, "Chaos"): three `vetrina serve --redis` nodes on
one redis-server (AOF, appendfsync always) behind nginx, short money windows, campaigns with
small budgets under steady bid and notice load, and one fault per round:

  kill_node    kill -9 a node under load, restart it (same node id, same data dir)
  stop_node    SIGSTOP a node for 5 s, then SIGCONT
  kill_redis   kill -9 Redis, restart it from its AOF (same dir, same port)
  restart_all  SIGTERM every node, start them all again

After every round it checks, and prints one line:

  1. budgets: no campaign's charged total exceeds its lifetime or daily budget, as every node's
     stats say and as the Redis account hash says (settled + outstanding lease money);
  2. notices: every acknowledged win/bill notice, sent again while its token is valid, answers
     `duplicate` with the charge first acknowledged, and every node's spend covers the charges
     acknowledged;
  3. leases: no lease whose hold has passed is left in an account once the notice window and the
     late allowance have gone by (a dead incarnation's money comes back);
  4. bidding: bids through nginx answer 200 within 5 s of the round's recovery action.

Exits 1 on any violation. Every child is stopped on the way out.

  python3 scripts/chaos.py [--rounds 100] [--seed 1] [--binary build/app/vetrina]
                           [--kinds kill_node,stop_node,kill_redis,restart_all] [--random]
                           [--rate 150] [--dir DIR] [--verbose]
"""
import argparse
import collections
import dataclasses
import http.client
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet  # noqa: E402

KINDS = ("kill_node", "stop_node", "kill_redis", "restart_all")
WINDOW_S = 5  # --reservation-timeout: the notice window, and an exchange token's lifetime
ALLOWANCE_S = 1  # --late-notice-allowance, where the binary has the flag
# Every node's extra arguments, in one place to adjust. The allowance is added by
# node_extra_args() only when `vetrina`'s usage names the flag.
NODE_EXTRA_ARGS = ["--reservation-timeout", str(WINDOW_S)]
LEASE_TERM_S = 2  # --lease-term: a dead node's leases are held this much longer than the window
ALLOWANCE_ARGS = ["--late-notice-allowance", str(ALLOWANCE_S), "--lease-term", str(LEASE_TERM_S)]

STOP_S = 5.0  # how long stop_node keeps a node stopped
BID_RECOVERY_LIMIT_S = 5.0  # check 4
BIDS_IN_A_ROW = 3  # check 4 wants this many 200s in a row through nginx (round-robin)
LEASE_GRACE_S = 2.0  # check 3: a lease whose hold passed longer ago than this is stale
LEASE_PATIENCE_S = 10.0  # check 3 waits this much longer for frozen leases whose hold is ahead
HTTP_TIMEOUT_S = 3.0
TOKEN_MARGIN_S = 1.0  # token expiry has whole-second resolution: assume it comes this early
REDIS_PATTERN = "vt:{money:*}:account:*"
MICROS = 1_000_000


def log(*parts):
    print(*parts, flush=True)


@dataclasses.dataclass
class Budgeted:
    """A campaign the load bids on, its budgets in micros (0 = none) and what each round adds."""
    cid: str
    max_bid_micros: int  # CPM; the requests are first price (at=1), so a win costs max_bid/1000
    lifetime: int
    daily: int = 0
    raise_lifetime: int = 0
    raise_daily: int = 0
    weight: int = 1

    @property
    def bundle(self):
        return f"com.chaos.{self.cid}"

    def body(self):
        budget = {"lifetime": self.lifetime / MICROS}
        if self.daily:
            budget["daily"] = self.daily / MICROS
        return {"id": self.cid, "advertiser": "chaos", "status": "active",
                "bid": {"strategy": "cpm", "max_bid": self.max_bid_micros / MICROS},
                "budget": budget, "pacing": "asap",
                "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50,
                               "markup": "<img>"}],
                "targeting": {"app_bundle": {"include": [self.bundle]}}}


def campaigns():
    """Small budgets (a win costs 5,000 micros) that the load exhausts in every round, since each
    round raises them a little; one large one that must keep bidding (check 4)."""
    return [
        Budgeted("big", 1_000_000, lifetime=1_000 * MICROS, daily=500 * MICROS, weight=3),
        Budgeted("life-a", 5_000_000, lifetime=50_000, raise_lifetime=40_000, weight=2),
        Budgeted("life-b", 5_000_000, lifetime=120_000, raise_lifetime=25_000, weight=2),
        Budgeted("day-a", 5_000_000, lifetime=1 * MICROS, daily=40_000, raise_daily=30_000,
                 weight=2),
    ]


def bid_request(bundle, rng):
    ifa = "%08X-0000-4000-8000-%012X" % (rng.getrandbits(32), rng.getrandbits(48))
    return {"id": "%016x" % rng.getrandbits(64), "at": 1,
            "imp": [{"id": "1", "banner": {"w": 320, "h": 50}}],
            "app": {"bundle": bundle}, "device": {"os": "webos", "ifa": ifa}}


class Client:
    """A keep-alive HTTP connection to one loopback port, reopened after an error."""

    def __init__(self, port, token=None, timeout=HTTP_TIMEOUT_S):
        self.port, self.token, self.timeout, self.conn = port, token, timeout, None

    def call(self, method, path, body=None):
        """(status, parsed JSON or raw bytes, headers); raises OSError or HTTPException."""
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            parsed = json.loads(data) if data[:1] in (b"{", b"[") else data
        except ValueError:
            parsed = data
        return resp.status, parsed, dict(resp.getheaders())

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def call_until(client, method, path, body=None, ok=(200, 201), within=15.0,
               retry=(502, 503, 504)):
    """`client.call`, again after a status in `retry` or a connection error, for up to
    `within` s."""
    deadline = time.monotonic() + within
    last = None
    while True:
        try:
            last = client.call(method, path, body)
            if last[0] in ok or last[0] not in retry:
                return last
        except (OSError, http.client.HTTPException) as e:
            last = (None, repr(e), {})
        if time.monotonic() > deadline:
            return last
        time.sleep(0.1)


@dataclasses.dataclass
class Ack:
    """A win or bill notice that got a 2xx answer."""
    path: str
    kind: str
    cid: str
    bid_id: str
    answer: dict
    expires: float  # wall clock, conservative
    due: float  # monotonic: when the verifier sends it again
    result: str = "pending"  # verified | expired | violation


class Load:
    """Bids through nginx at a bounded rate; for a share of the bids, the win and/or bill and
    the impression notices, also through nginx; every acknowledged win/bill notice is sent again
    while its token is valid (check 2)."""

    NOTICE_SHARE = 0.7
    IMP_SHARE = 0.5

    def __init__(self, public_port, budgeted, rate, seed, window_s):
        self.port = public_port
        self.rate = rate
        self.window_s = window_s
        self.rng = random.Random(seed)
        self.choices = [c for c in budgeted for _ in range(c.weight)]
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.bid_status = collections.Counter()
        self.notice_status = collections.Counter()
        self.acks = []  # every Ack, in order
        self.pending = collections.deque()  # Acks awaiting verification
        self.violations = []  # messages, taken by the round's check
        self.disagreements = []  # duplicates with another charge than first acknowledged
        self.notices = queue.Queue(maxsize=2000)
        self.threads = [threading.Thread(target=self._bids, name="bids", daemon=True),
                        threading.Thread(target=self._verify, name="verify", daemon=True)]
        self.threads += [threading.Thread(target=self._send_notices, name=f"notices-{i}",
                                          daemon=True, args=(random.Random(seed + 1 + i),))
                         for i in range(2)]

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self, timeout=10):
        self.stop.set()
        for t in self.threads:
            t.join(timeout)

    def _bids(self):
        client = Client(self.port, timeout=2)
        interval = 1.0 / self.rate
        next_at = time.monotonic()
        while not self.stop.is_set():
            now = time.monotonic()
            if next_at > now:
                time.sleep(next_at - now)
            next_at = max(next_at + interval, time.monotonic() - 1.0)
            camp = self.rng.choice(self.choices)
            sent_at = time.time()
            try:
                status, body, _ = client.call("POST", "/openrtb2/bid",
                                              bid_request(camp.bundle, self.rng))
            except (OSError, http.client.HTTPException):
                status, body = "error", None
            with self.lock:
                self.bid_status[status] += 1
            if status == 200 and self.rng.random() < self.NOTICE_SHARE:
                try:
                    self.notices.put_nowait((sent_at, camp.cid, body["seatbid"][0]["bid"][0]))
                except queue.Full:
                    pass

    def _send_notices(self, rng):
        client = Client(self.port, timeout=2)
        while not self.stop.is_set():
            try:
                sent_at, cid, bid = self.notices.get(timeout=0.2)
            except queue.Empty:
                continue
            expires = sent_at + self.window_s - TOKEN_MARGIN_S
            kinds = rng.choice((("nurl",), ("burl",), ("nurl", "burl"), ("burl", "nurl")))
            for field in kinds:
                if field not in bid:
                    continue
                url = urllib.parse.urlsplit(bid[field].replace("${AUCTION_PRICE}",
                                                               str(bid["price"])))
                path = url.path + "?" + url.query
                kind = "win" if field == "nurl" else "bill"
                status, answer = self._send(client, path, expires)
                with self.lock:
                    self.notice_status[(kind, status)] += 1
                if status is not None and 200 <= status < 300 and isinstance(answer, dict):
                    ack = Ack(path, kind, cid, bid.get("id", ""), answer, expires,
                              time.monotonic() + rng.uniform(0.1, 1.0))
                    with self.lock:
                        self.acks.append(ack)
                        self.pending.append(ack)
            if rng.random() < self.IMP_SHARE:
                imp = _imp_path(bid.get("adm", ""))
                if imp:
                    status, _ = self._send(client, imp, expires)
                    with self.lock:
                        self.notice_status[("imp", status)] += 1

    def _send(self, client, path, expires):
        """A notice, again after a 503 or a connection error while its token is valid, as an
        exchange retries: (status or None, answer)."""
        while True:
            try:
                status, answer, _ = client.call("GET", path)
                if status not in (502, 503, 504):
                    return status, answer
            except (OSError, http.client.HTTPException):
                status, answer = None, None
            if self.stop.is_set() or time.time() > expires:
                return status, answer
            time.sleep(0.1)

    def _verify(self):
        client = Client(self.port, timeout=2)
        while not self.stop.is_set():
            with self.lock:
                due = [a for a in self.pending if a.due <= time.monotonic()]
            if not due:
                time.sleep(0.05)
                continue
            for ack in due:
                self._verify_one(client, ack)
                with self.lock:
                    if ack.result != "pending":
                        self.pending.remove(ack)

    def _verify_one(self, client, ack):
        first = ack.answer.get("bid_charged_micros")
        try:
            status, answer, _ = client.call("GET", ack.path)
        except (OSError, http.client.HTTPException):
            status, answer = None, None
        answered = time.time()
        if status in (None, 502, 503, 504):
            if answered > ack.expires:
                ack.result = "expired"  # the outage outlasted the token; check 2b covers it
            else:
                ack.due = time.monotonic() + 0.2
            return
        if status == 403 and answered > ack.expires - 0.5:
            ack.result = "expired"
            return
        if status == 200 and isinstance(answer, dict) and answer.get("status") == "duplicate":
            if answer.get("bid_charged_micros") == first:
                ack.result = "verified"
                return
            # Per-node budgets (before fleet leases): near a budget's end the nodes may charge
            # a bid differently (docs/fleet.md, "A notice"). Chaos decides per round.
            ack.result = "disagreed"
            with self.lock:
                self.disagreements.append(
                    f"{ack.kind} notice for {ack.cid} bid {ack.bid_id}: first answered "
                    f"{ack.answer}, again {answer}")
            return
        ack.result = "violation"
        with self.lock:
            self.violations.append(
                f"{ack.kind} notice for {ack.cid} bid {ack.bid_id}: first answered {ack.answer}, "
                f"again {status} {answer!r:.200}")

    def wait_verified(self, timeout):
        """Until every Ack acknowledged so far has a result (later ones may still be pending)."""
        with self.lock:
            waiting = list(self.pending)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(a.result != "pending" for a in waiting):
                return True
            time.sleep(0.1)
        return False

    def take(self):
        """(violations, disagreements) since the last take, and the counters so far."""
        with self.lock:
            violations, self.violations = self.violations, []
            disagreements, self.disagreements = self.disagreements, []
            return violations, disagreements, dict(self.bid_status), dict(self.notice_status)


def _imp_path(adm):
    """The impression pixel's path in a banner's markup (`<img src=".../ev/imp?t=...">`)."""
    at = adm.find("/ev/imp?")
    if at < 0:
        return None
    end = at
    while end < len(adm) and adm[end] not in "\"' >":
        end += 1
    return adm[at:end].replace("&amp;", "&")


class Fleet:
    """Redis, three nodes and nginx on free loopback ports under `state_dir`."""

    def __init__(self, binary, state_dir, extra_args, echo=None):
        self.binary = binary
        self.dir = state_dir
        self.extra_args = extra_args
        self.echo = echo
        self.redis = None
        self.nginx = None
        self.nodes = {}
        self.public_port = fleet.free_port()
        self.admin_port = fleet.free_port()
        self.specs = [fleet.NodeSpec(f"node-{n}", fleet.free_port(), fleet.free_port())
                      for n in (1, 2, 3)]
        self.token = None

    def children(self):
        return [c for c in [*self.nodes.values(), self.nginx, self.redis] if c is not None]

    def start(self):
        self.start_redis()
        first, *others = self.specs
        self.start_node(first).wait_ready(timeout=60)
        self.token = self.nodes[first.node_id].admin_token()
        if not self.token:
            raise fleet.ChildFailed("node-1 printed no admin token")
        for spec in others:
            self.start_node(spec)
        for spec in others:
            self.nodes[spec.node_id].wait_ready(timeout=60)
        self.nginx = fleet.start_nginx(os.path.join(self.dir, "nginx"),
                                       f"127.0.0.1:{self.public_port}",
                                       f"127.0.0.1:{self.admin_port}", self.specs,
                                       echo=self.echo)

    def start_redis(self, port=None):
        self.redis = fleet.start_redis(os.path.join(self.dir, "redis"),
                                       port=port or fleet.free_port(), echo=self.echo)

    def start_node(self, spec):
        node = fleet.start_node(self.binary, spec, [self.redis.url],
                                os.path.join(self.dir, spec.node_id),
                                public_url=f"http://127.0.0.1:{self.public_port}",
                                extra_args=self.extra_args, echo=self.echo)
        self.nodes[spec.node_id] = node
        return node

    def stop(self):
        for node in self.nodes.values():
            node.send(signal.SIGCONT)  # a stopped node could not act on SIGTERM
        return fleet.stop_all(self.children())

    def redis_cli(self, *args, loading_wait_s=30.0):
        """redis-cli's output lines (raw: one value a line, as when not on a terminal). A Redis
        still loading its AOF after a restart is waited for, up to `loading_wait_s`."""
        deadline = time.monotonic() + loading_wait_s
        while True:
            r = subprocess.run([fleet.find_program("redis-cli"), "-h", self.redis.host, "-p",
                                str(self.redis.port), *args],
                               capture_output=True, text=True, timeout=5)
            loading = "LOADING" in r.stdout + r.stderr
            if loading and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            if r.returncode != 0 or r.stdout.startswith("ERR") or loading:
                raise OSError(f"redis-cli {' '.join(args)}: {(r.stderr or r.stdout).strip()}")
            return [line for line in r.stdout.split("\n") if line != ""]

    def accounts(self):
        """{campaign id: {field: value}} of every money account hash in Redis."""
        out = {}
        for key in self.redis_cli("--scan", "--pattern", REDIS_PATTERN):
            raw = self.redis_cli("HGETALL", key)
            out[key.rsplit(":", 1)[1]] = dict(zip(raw[0::2], raw[1::2]))
        return out


def lease_fields(account):
    """{lease id: {"out": .., "cum": .., "hold": ..}} from an account hash's `l:<L>:<f>`."""
    leases = collections.defaultdict(dict)
    for field, value in account.items():
        if field.startswith("l:"):
            lease, _, name = field[2:].rpartition(":")
            try:
                leases[lease][name] = int(value)
            except ValueError:
                leases[lease][name] = value
    return leases


@dataclasses.dataclass
class Round:
    number: int
    kind: str
    target: str
    violations: list = dataclasses.field(default_factory=list)
    recovery_s: float = None
    nginx_s: float = None
    disagreed: int = 0
    verified: int = 0
    expired: int = 0
    leases: str = ""
    duration_s: float = 0.0


class Chaos:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.budgeted = campaigns()
        self.closest = {}  # (campaign, "lifetime"|"daily", source) -> max charged/budget
        self.overspend = 0  # micros over budget, summed over every sample that found some
        self.rounds = []
        self.fleet = None
        self.load = None

    # --- setup ---

    def setup(self, state_dir):
        echo = (lambda name, line: log(f"[{name}] {line}")) if self.args.verbose else None
        extra = NODE_EXTRA_ARGS + ALLOWANCE_ARGS
        log("node extra args:", " ".join(extra))
        self.fleet = Fleet(self.args.binary, state_dir, extra, echo)
        self.fleet.start()
        admin = Client(self.fleet.admin_port, self.fleet.token, timeout=30)
        status, body, _ = call_until(admin, "POST", "/v1/advertisers", {"id": "chaos"})
        if status != 201:
            raise RuntimeError(f"advertiser: {status} {body}")
        self.advertiser = body["token"]
        self.put_campaigns(raise_budgets=False)
        self.load = Load(self.fleet.public_port, self.budgeted, self.args.rate, self.args.seed,
                         WINDOW_S)
        for node in self.fleet.nodes.values():  # every node has followed the campaigns
            if self.wait_bidding(time.monotonic(), port=node.spec.public_port) is None:
                raise RuntimeError(f"{node.name} does not bid for the large campaign")
        self.load.start()

    def put_campaigns(self, raise_budgets):
        client = Client(self.fleet.admin_port, self.advertiser, timeout=30)
        for c in self.budgeted:
            if raise_budgets:
                c.lifetime += c.raise_lifetime
                c.daily += c.raise_daily
            if raise_budgets and not (c.raise_lifetime or c.raise_daily):
                continue
            # 401: the node nginx chose may not have followed the new advertiser yet.
            status, body, _ = call_until(client, "PUT", f"/v1/campaigns/{c.cid}", c.body(),
                                         retry=(401, 502, 503, 504))
            if status not in (200, 201):
                raise RuntimeError(f"PUT {c.cid}: {status} {body}")

    # --- checks ---

    def wait_bidding(self, since, port=None, give_up=20.0):
        """Seconds from `since` (monotonic) until BIDS_IN_A_ROW bids in a row answered 200 for
        the large campaign, through nginx or on `port`; None after `give_up` seconds."""
        client = Client(port or self.fleet.public_port, timeout=1)
        big = self.budgeted[0]
        rng = random.Random(since + (port or 0))
        in_a_row = 0
        while time.monotonic() - since < give_up:
            try:
                status, _, _ = client.call("POST", "/openrtb2/bid", bid_request(big.bundle, rng))
            except (OSError, http.client.HTTPException):
                status = None
            in_a_row = in_a_row + 1 if status == 200 else 0
            if in_a_row >= BIDS_IN_A_ROW:
                return time.monotonic() - since
            if status != 200:
                time.sleep(0.02)
        return None

    def check_bidding(self, violations, kind, recovering):
        """Check 4: bids through nginx, and on every node, within BID_RECOVERY_LIMIT_S of the
        recovery action. Returns the slowest time, None if bids never came back."""
        nginx_limit = BID_RECOVERY_LIMIT_S
        # Side by side: each measure runs from the same instant.
        ports = {"nginx": None, **{name: n.spec.public_port for name, n in self.fleet.nodes.items()}}
        times = {}
        threads = [threading.Thread(target=lambda k=k, port=port: times.__setitem__(
            k, self.wait_bidding(recovering, port=port))) for k, port in ports.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        through_nginx = times.pop("nginx")
        if through_nginx is None or through_nginx > nginx_limit:
            violations.append(f"bids through nginx not back within {nginx_limit} s "
                              f"({through_nginx if through_nginx is not None else 'never'})")
        slowest = 0.0
        for name, direct in sorted(times.items()):
            if direct is None or direct > BID_RECOVERY_LIMIT_S:
                violations.append(f"{name} not bidding within {BID_RECOVERY_LIMIT_S} s "
                                  f"({direct if direct is not None else 'never'})")
            slowest = None if direct is None or slowest is None else max(slowest, direct)
        if slowest is None or through_nginx is None:
            return None, through_nginx
        return slowest, through_nginx

    def note_charge(self, violations, cid, which, source, charged, budget):
        if not budget:
            return
        key = (cid, which, source)
        self.closest[key] = max(self.closest.get(key, 0.0), charged / budget)
        if charged > budget:
            self.overspend += charged - budget
            violations.append(f"{cid} {which} {source}: charged {charged} > budget {budget}")

    def check_budgets(self, violations):
        """Check 1, from every running node's stats and from the Redis account hashes."""
        for c in self.budgeted:
            for name, node in sorted(self.fleet.nodes.items()):
                client = Client(node.spec.admin_port, self.fleet.token, timeout=5)
                try:
                    status, stats, _ = client.call("GET", f"/v1/campaigns/{c.cid}/stats")
                except (OSError, http.client.HTTPException) as e:
                    violations.append(f"stats of {c.cid} on {name}: {e!r}")
                    continue
                if status != 200:
                    violations.append(f"stats of {c.cid} on {name}: {status}")
                    continue
                self.note_charge(violations, c.cid, "lifetime", "stats",
                                 stats["spend_lifetime_micros"], c.lifetime)
                self.note_charge(violations, c.cid, "daily", "stats",
                                 stats["spend_today_micros"], c.daily)
                # With fleet leases: the node's last view of the Redis account.
                if isinstance(view := stats.get("fleet"), dict):
                    leased = view.get("leased_micros", 0)
                    self.note_charge(violations, c.cid, "lifetime", "view",
                                     view.get("settled_lifetime_micros", 0) + leased, c.lifetime)
                    self.note_charge(violations, c.cid, "daily", "view",
                                     view.get("settled_today_micros", 0) + leased, c.daily)
        try:
            accounts = self.fleet.accounts()
        except (OSError, subprocess.SubprocessError) as e:
            violations.append(f"reading the Redis accounts: {e!r}")
            return
        if not accounts:
            violations.append("no money accounts in Redis")
        for cid, account in sorted(accounts.items()):
            out = sum(int(lease.get("out", 0)) for lease in lease_fields(account).values())
            for which, settled in (("lifetime", "settled_life"), ("daily", "settled_day")):
                budget = int(account.get(which, 0) or 0)
                charged = int(account.get(settled, 0) or 0) + out
                self.note_charge(violations, cid, which, "redis", charged, budget)

    def check_acknowledged_spend(self, violations):
        """Check 2b: every node's spend covers the charges acknowledged for that campaign (each
        bid's once), tokens expired or not. Nodes follow the notices log within a second or so:
        polls up to 5 s."""
        charged = collections.Counter()
        seen = set()
        with self.load.lock:
            acks = list(self.load.acks)
        for ack in acks:
            if ack.bid_id not in seen:
                seen.add(ack.bid_id)
                charged[ack.cid] += int(ack.answer.get("bid_charged_micros", 0))
        for name, node in sorted(self.fleet.nodes.items()):
            client = Client(node.spec.admin_port, self.fleet.token, timeout=5)
            for cid, total in sorted(charged.items()):
                deadline = time.monotonic() + 5
                while True:
                    try:
                        status, stats, _ = client.call("GET", f"/v1/campaigns/{cid}/stats")
                        spend = stats["spend_lifetime_micros"] if status == 200 else None
                    except (OSError, http.client.HTTPException):
                        spend = None
                    if (spend is not None and spend >= total) or time.monotonic() > deadline:
                        break
                    time.sleep(0.1)
                if spend is None or spend < total:
                    violations.append(f"{cid} on {name}: spend {spend} < acknowledged {total}")

    def check_leases(self, violations, since):
        """Check 3: a dead incarnation's leases come back within their expiry.

        A lease's `hold` (Unix ms) is how long its money stays held: a live holder extends it
        at least every half lease term, so its hold keeps moving forward; a dead holder's stops,
        and any node closes the lease once Redis' time has passed it. So, sampling the accounts
        every 250 ms from the end of the recovery until the lease term, the notice window and
        the late allowance have passed since the fault (`since`, wall clock), and on while some
        lease is still frozen with its hold ahead (up to LEASE_PATIENCE_S more):
          - a lease whose hold passed more than LEASE_GRACE_S ago must be gone;
          - a lease whose hold never moved must be gone by then."""
        first_hold, last = {}, {}
        settle_at = since + LEASE_TERM_S + WINDOW_S + ALLOWANCE_S + 2 * LEASE_GRACE_S
        give_up_at = settle_at + LEASE_PATIENCE_S
        incarnations_before = None
        while True:
            try:
                accounts = self.fleet.accounts()
            except (OSError, subprocess.SubprocessError) as e:
                violations.append(f"reading the Redis accounts: {e!r}")
                return "?"
            if not accounts:
                violations.append("no money accounts in Redis")
                return "?"
            now_ms = time.time() * 1000
            last = {(cid, lease): fields for cid, account in accounts.items()
                    for lease, fields in lease_fields(account).items()}
            for key, fields in last.items():
                first_hold.setdefault(key, fields.get("hold"))
            if incarnations_before is None:
                incarnations_before = {lease.split(".")[0] for _, lease in last}
            frozen = [k for k, f in last.items() if f.get("hold") == first_hold[k]]
            waiting = [k for k in frozen
                       if isinstance(last[k].get("hold"), int) and last[k]["hold"] >= now_ms]
            if time.time() >= give_up_at or (time.time() >= settle_at and not waiting):
                break
            time.sleep(0.25)
        stale = []
        for (cid, lease), fields in sorted(last.items()):
            hold = fields.get("hold")
            if not isinstance(hold, int):
                stale.append(f"{cid} lease {lease}: no hold ({fields})")
            elif hold < now_ms - LEASE_GRACE_S * 1000:
                stale.append(f"{cid} lease {lease}: hold passed {(now_ms - hold) / 1000:.1f} s "
                             f"ago and it is still there (out {fields.get('out')}, "
                             f"cum {fields.get('cum')})")
            elif hold == first_hold[(cid, lease)]:
                stale.append(f"{cid} lease {lease}: hold {hold} never moved in "
                             f"{time.time() - since:.1f} s after the fault and is "
                             f"{(hold - now_ms) / 1000:.1f} s ahead")
        violations.extend(stale)
        incarnations_after = {lease.split(".")[0] for _, lease in last}
        gone = len(incarnations_before - incarnations_after)
        return (f"{len(incarnations_after)} incarnations hold {len(last)} leases, "
                f"{gone} incarnations gone, {len(stale)} stale")

    # --- rounds ---

    def fault(self, kind):
        """Does the round's fault; returns (target, wall time of the fault, monotonic time the
        recovery action started)."""
        f = self.fleet
        if kind == "kill_node":
            victim = f.nodes[self.rng.choice(sorted(f.nodes))]
            faulted = time.time()
            victim.stop(signal.SIGKILL, timeout=5)
            time.sleep(1.0)  # the other nodes carry the load
            recovering = time.monotonic()
            f.start_node(victim.spec)
            return victim.name, faulted, recovering
        if kind == "stop_node":
            victim = f.nodes[self.rng.choice(sorted(f.nodes))]
            faulted = time.time()
            victim.send(signal.SIGSTOP)
            time.sleep(STOP_S)
            recovering = time.monotonic()
            victim.send(signal.SIGCONT)
            return victim.name, faulted, recovering
        if kind == "kill_redis":
            port = f.redis.port
            faulted = time.time()
            f.redis.stop(signal.SIGKILL, timeout=5)
            recovering = time.monotonic()
            f.start_redis(port=port)
            return "redis", faulted, recovering
        if kind == "restart_all":
            faulted = time.time()
            for node in f.nodes.values():
                node.send(signal.SIGTERM)
            for node in f.nodes.values():
                node.wait(15)
            recovering = time.monotonic()
            for spec in f.specs:
                f.start_node(spec)
            return "all nodes", faulted, recovering
        raise ValueError(kind)

    def run_round(self, number, kind):
        started = time.monotonic()
        self.put_campaigns(raise_budgets=True)
        time.sleep(2.0)  # load against the raised budgets before the fault
        target, faulted, recovering = self.fault(kind)
        r = Round(number, kind, target)
        r.recovery_s, r.nginx_s = self.check_bidding(r.violations, kind, recovering)
        for node in self.fleet.nodes.values():
            node.wait_ready(timeout=60)
        r.leases = self.check_leases(r.violations, faulted)
        if not self.load.wait_verified(WINDOW_S + 5):
            r.violations.append("notices still unverified after their tokens expired")
        self.check_budgets(r.violations)
        self.check_acknowledged_spend(r.violations)
        violations, disagreements, _, _ = self.load.take()
        r.violations.extend(violations)
        r.disagreed = len(disagreements)
        r.violations.extend(disagreements)  # every node charges a notice alike
        with self.load.lock:
            results = collections.Counter(a.result for a in self.load.acks)
        r.verified = results["verified"] - sum(x.verified for x in self.rounds)
        r.expired = results["expired"] - sum(x.expired for x in self.rounds)
        r.duration_s = time.monotonic() - started
        self.rounds.append(r)

        def secs(v):
            return f"{v:.2f}s" if v is not None else "never"
        close = max(self.closest.values(), default=0.0)
        log(f"round {number:3d} {kind:11s} {target:9s} bids back {secs(r.recovery_s)} "
            f"(nginx {secs(r.nginx_s)})  notices re-verified {r.verified} expired {r.expired} "
            f"disagreed {r.disagreed}  leases: {r.leases}  closest {close:.3f}  "
            f"{r.duration_s:.1f}s  " + ("OK" if not r.violations
                                         else f"VIOLATIONS {len(r.violations)}"))
        for v in r.violations[:20]:
            log("   !", v)
        if len(r.violations) > 20:
            log(f"   ! ... and {len(r.violations) - 20} more")

    def summary(self):
        log("\n== chaos summary ==")
        per_kind = collections.Counter(r.kind for r in self.rounds)
        failed = collections.Counter(r.kind for r in self.rounds if r.violations)
        log(f"{'kind':12s} {'rounds':>6s} {'failed':>6s} {'max bids back':>14s} "
            f"{'via nginx':>10s} {'max round':>10s}")
        for kind in KINDS:
            rounds = [r for r in self.rounds if r.kind == kind]

            def worst(values):
                if not values:
                    return "-"
                return "never" if None in values else f"{max(values):.2f}s"
            log(f"{kind:12s} {per_kind[kind]:6d} {failed[kind]:6d} "
                f"{worst([r.recovery_s for r in rounds]):>14s} "
                f"{worst([r.nginx_s for r in rounds]):>10s} "
                f"{worst([r.duration_s for r in rounds]):>10s}")
        log(f"overspend total: {self.overspend} micros")
        log(f"{'campaign':10s} {'budget':9s} {'source':6s} {'closest':>8s}  (max charged/budget)")
        for (cid, which, source), v in sorted(self.closest.items()):
            log(f"{cid:10s} {which:9s} {source:6s} {v:8.4f}")
        with self.load.lock:
            results = collections.Counter(a.result for a in self.load.acks)
            bids, notices = dict(self.load.bid_status), dict(self.load.notice_status)
        log(f"bids: {dict(sorted(bids.items(), key=str))}")
        log(f"notices sent (kind, status): {dict(sorted(notices.items(), key=str))}")
        log(f"notices acknowledged {sum(results.values())}: re-verified {results['verified']}, "
            f"token expired before a re-send reached a node {results['expired']}, "
            f"answered another charge {results['disagreed']} (violations), "
            f"violations {results['violation']}, still pending {results['pending']}")
        bad = sum(1 for r in self.rounds if r.violations)
        log(f"rounds {len(self.rounds)}, with violations {bad}")
        return bad == 0 and self.overspend == 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--binary", default=os.path.join(fleet.REPO, "build", "app", "vetrina"))
    p.add_argument("--kinds", default=",".join(KINDS),
                   help="the faults, in rotation (or drawn at random with --random)")
    p.add_argument("--random", action="store_true")
    p.add_argument("--rate", type=float, default=150.0, help="bid requests per second")
    p.add_argument("--dir", help="state directory (kept); default: a temporary one, removed")
    p.add_argument("--verbose", action="store_true", help="show every child's output")
    p.add_argument("--time-limit", type=float, default=0,
                   help="stop starting rounds after this many seconds (0: none)")
    args = p.parse_args(argv)
    kinds = args.kinds.split(",")
    for k in kinds:
        if k not in KINDS:
            p.error(f"unknown kind {k}; known: {', '.join(KINDS)}")
    state_dir = args.dir or tempfile.mkdtemp(prefix="vetrina-chaos-")
    chaos = Chaos(args)
    ok = False
    began = time.monotonic()
    try:
        chaos.setup(state_dir)
        log(f"fleet up in {time.monotonic() - began:.1f}s: nginx public "
            f"127.0.0.1:{chaos.fleet.public_port}, admin 127.0.0.1:{chaos.fleet.admin_port}, "
            f"redis {chaos.fleet.redis.url}, state {state_dir}")
        for n in range(1, args.rounds + 1):
            if args.time_limit and time.monotonic() - began > args.time_limit:
                log(f"time limit reached after {n - 1} rounds")
                break
            kind = chaos.rng.choice(kinds) if args.random else kinds[(n - 1) % len(kinds)]
            chaos.run_round(n, kind)
        ok = chaos.summary()
    except (fleet.ChildFailed, RuntimeError, OSError, subprocess.SubprocessError) as e:
        log(f"chaos: {e}")
        ok = False
    finally:
        if chaos.load:
            chaos.load.finish()
        if chaos.fleet:
            chaos.fleet.stop()
        if not args.dir:
            shutil.rmtree(state_dir, ignore_errors=True)
    log(f"chaos: {'PASS' if ok else 'FAIL'} in {time.monotonic() - began:.0f}s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
