"""A fleet over real HTTP: three `vetrina serve --redis` nodes on one real redis-server (and on a
three-master Redis Cluster) share campaigns, audiences, notices and market settings. A change made
through one node bids on the others within a second; a notice settles once fleet-wide; a node
killed with SIGKILL loses nothing acknowledged and catches up; Redis restarted from its AOF keeps
every acknowledged write; while Redis is down bidding goes on, writes answer 503 with Retry-After,
and everything recovers once it is back.
"""
import hashlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
BINARY = os.environ["VETRINA_BINARY"]
sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts"))
import fleet  # noqa: E402

PROPAGATION_LIMIT_S = 1.0  # the fleet's promise: a change bids everywhere within a second


def call(port, method, path, token=None, body=None, timeout=30):
    """One HTTP exchange on loopback: (status, parsed JSON body or raw bytes, headers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        parsed = json.loads(data) if data[:1] in (b"{", b"[") else data
        return resp.status, parsed, dict(resp.getheaders())
    finally:
        conn.close()


def bid_request(bundle, ifa="AAAAAAAA-0000-4000-8000-00000000000A"):
    # "webos" keeps the demo campaigns (iOS/Android) out of these auctions.
    return {"id": "r", "imp": [{"id": "1", "banner": {"w": 320, "h": 50}}],
            "app": {"bundle": bundle}, "device": {"os": "webos", "ifa": ifa}}


def campaign(cid, bundle, audiences=None, status="active"):
    targeting = {"app_bundle": {"include": [bundle]}}
    if audiences:
        targeting["audiences"] = {"any_of": audiences}
    return {"id": cid, "advertiser": "shop", "status": status,
            "bid": {"strategy": "cpm", "max_bid": 2},
            "budget": {"lifetime": 1000},
            "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}],
            "targeting": targeting}


class Fleet:
    """Redis (one server, or a three-master cluster) and three nodes on free loopback ports."""

    def __init__(self, cluster=False):
        self.dir = tempfile.mkdtemp(prefix="vetrina-fleet-test-")
        self.redis = []
        self.nodes = {}
        try:
            self.redis = fleet.start_loopback_redis(self.dir, cluster)
            self.urls = [r.url for r in self.redis]
            self.token = None
            for name in ("a", "b", "c"):
                self.start_node(name)
        except BaseException:
            self.stop()
            raise

    def start_node(self, name):
        spec = self.nodes[name].spec if name in self.nodes else fleet.NodeSpec(
            f"node-{name}", fleet.free_port(), fleet.free_port())
        node = fleet.start_node(BINARY, spec, self.urls, os.path.join(self.dir, name),
                                public_url=f"http://127.0.0.1:{spec.public_port}", threads=1)
        self.nodes[name] = node
        node.wait_ready(timeout=60)
        if self.token is None:
            self.token = node.admin_token()
        return node

    def public(self, name):
        return self.nodes[name].spec.public_port

    def admin(self, name):
        return self.nodes[name].spec.admin_port

    def stop(self):
        fleet.stop_all([*self.nodes.values(), *self.redis])
        shutil.rmtree(self.dir, ignore_errors=True)


class FleetTestBase:
    """The propagation tests, run on one Redis server and on a Redis Cluster."""
    cluster = False

    @classmethod
    def setUpClass(cls):
        cls.fleet = Fleet(cluster=cls.cluster)
        f = cls.fleet
        status, body, _ = call(f.admin("a"), "POST", "/v1/advertisers", f.token, {"id": "shop"})
        assert status == 201, body
        cls.shop = body["token"]

    @classmethod
    def tearDownClass(cls):
        cls.fleet.stop()

    def wait_for_bid(self, node, request, expected, within=PROPAGATION_LIMIT_S):
        """Polls `node` with `request` until it answers `expected`; returns the seconds taken."""
        started = time.monotonic()
        while True:
            status, body, _ = call(self.fleet.public(node), "POST", "/openrtb2/bid", body=request)
            elapsed = time.monotonic() - started
            if status == expected:
                if elapsed > 0.3:
                    print(f"slow: {self.id()} node {node} {elapsed:.3f}s", file=sys.stderr)
                return elapsed, body
            self.assertLess(elapsed, within, f"node {node}: still {status}, expected {expected}")
            time.sleep(0.01)

    def test_a_campaign_put_on_one_node_bids_on_the_others_and_a_delete_stops_it_everywhere(self):
        bundle = f"com.fleet.{self.__class__.__name__.lower()}.put"
        status, body, _ = call(self.fleet.admin("a"), "PUT", "/v1/campaigns/put-c", self.shop,
                               campaign("put-c", bundle))
        self.assertEqual(status, 201, body)
        for node in ("b", "c", "a"):
            self.wait_for_bid(node, bid_request(bundle), 200)
        status, body, _ = call(self.fleet.admin("b"), "DELETE", "/v1/campaigns/put-c", self.shop)
        self.assertIn(status, (200, 204), body)
        for node in ("a", "c", "b"):
            self.wait_for_bid(node, bid_request(bundle), 204)

    def test_an_upload_on_one_node_and_a_pixel_on_another_make_users_eligible_everywhere(self):
        tag = self.__class__.__name__.lower()
        bundle = f"com.fleet.{tag}.aud"
        self.assertEqual(call(self.fleet.admin("a"), "PUT", "/v1/audiences/crm", self.shop,
                              {"name": "CRM", "kind": "custom", "ttl_days": 30})[0], 201)
        self.assertEqual(call(self.fleet.admin("a"), "PUT", "/v1/audiences/carts", self.shop,
                              {"name": "Carts", "kind": "pixel", "ttl_days": 30,
                               "rule": {"events": ["add_to_cart"], "recency_days": 7}})[0], 201)
        self.assertEqual(call(self.fleet.admin("a"), "PUT", "/v1/campaigns/aud-c", self.shop,
                              campaign("aud-c", bundle, ["crm", "carts"]))[0], 201)
        member = "BBBBBBBB-0000-4000-8000-000000000002"
        self.wait_for_bid("c", bid_request(bundle, member), 204)
        status, body, _ = call(self.fleet.admin("a"), "POST", "/v1/audiences/crm/members",
                               self.shop, member + "\n")
        self.assertEqual((status, body), (200, {"added": 1, "rejected": 0}))
        self.wait_for_bid("c", bid_request(bundle, member), 200)

        shopper = "CCCCCCCC-0000-4000-8000-000000000003"
        self.wait_for_bid("a", bid_request(bundle, shopper), 204)
        # B turns events into memberships by the audience definitions it has followed: wait
        # until it has "carts" (a pixel that comes before is counted but matches no audience).
        deadline = time.monotonic() + PROPAGATION_LIMIT_S
        while call(self.fleet.admin("b"), "GET", "/v1/audiences/carts", self.shop)[0] != 200:
            self.assertLess(time.monotonic(), deadline, "node b never got the carts audience")
            time.sleep(0.01)
        status, _, _ = call(self.fleet.public("b"), "GET", f"/px?a=shop&e=add_to_cart&ifa={shopper}")
        self.assertEqual(status, 200)
        self.wait_for_bid("a", bid_request(bundle, shopper), 200)

    def test_a_win_settles_once_fleet_wide(self):
        bundle = f"com.fleet.{self.__class__.__name__.lower()}.win"
        self.assertEqual(call(self.fleet.admin("a"), "PUT", "/v1/campaigns/win-c", self.shop,
                              campaign("win-c", bundle))[0], 201)
        _, response = self.wait_for_bid("a", bid_request(bundle), 200)
        bid = response["seatbid"][0]["bid"][0]
        price_micros = round(bid["price"] * 1_000)  # a CPM price: one impression costs 1/1000
        nurl = urllib.parse.urlsplit(bid["nurl"].replace("${AUCTION_PRICE}", str(bid["price"])))
        path = nurl.path + "?" + nurl.query
        # B may not have followed the campaign yet: it answers 503 with Retry-After until it has
        # (its budget would read as closed), as an exchange's retry finds.
        deadline = time.monotonic() + PROPAGATION_LIMIT_S
        while True:
            status, body, headers = call(self.fleet.public("b"), "GET", path)
            if status != 503 or time.monotonic() > deadline:
                break
            self.assertEqual(headers.get("Retry-After"), "1")
            time.sleep(0.01)
        self.assertEqual((status, body.get("status"), body.get("charged_micros")),
                         (200, "charged", price_micros), body)
        status, body, _ = call(self.fleet.public("c"), "GET", path)
        self.assertEqual((status, body.get("status"), body.get("bid_charged_micros")),
                         (200, "duplicate", price_micros), body)
        # Every node counts the same: the notices log is applied in one order everywhere.
        deadline = time.monotonic() + PROPAGATION_LIMIT_S
        for node in ("a", "b", "c"):
            while True:
                _, stats, _ = call(self.fleet.admin(node), "GET", "/v1/campaigns/win-c/stats",
                                   self.shop)
                if stats.get("wins") == 1 or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            self.assertEqual((stats["wins"], stats["spend_lifetime_micros"]), (1, price_micros),
                             node)


class FleetOnOneRedisTest(FleetTestBase, unittest.TestCase):
    cluster = False

    def readiness(self, node, expected, within=2.0):
        """/readyz's (status code, status) once it says `expected`, or as it is after `within`
        seconds: a node notices a lost connection when its link next looks (every 20 ms)."""
        deadline = time.monotonic() + within
        while True:
            status, body, _ = call(self.fleet.admin(node), "GET", "/readyz")
            if body["status"] == expected or time.monotonic() > deadline:
                return status, body["status"]
            time.sleep(0.01)

    def test_zz_redis_down_bids_go_on_writes_get_503_and_all_recovers(self):
        f = self.fleet
        bundle = "com.fleet.outage"
        self.assertEqual(call(f.admin("a"), "PUT", "/v1/campaigns/outage-c", self.shop,
                              campaign("outage-c", bundle))[0], 201)
        for node in ("a", "b", "c"):
            self.wait_for_bid(node, bid_request(bundle), 200)
        redis = f.redis[0]
        redis.stop()
        for node in ("a", "b", "c"):
            self.wait_for_bid(node, bid_request(bundle), 200)  # from the last snapshots
            status, body, headers = call(f.admin(node), "PUT", "/v1/campaigns/outage-2",
                                         self.shop, campaign("outage-2", bundle))
            self.assertEqual(status, 503, body)
            self.assertEqual(headers.get("Retry-After"), "1")
            self.assertEqual(self.readiness(node, "degraded"), (200, "degraded"))
            _, metrics, _ = call(f.admin(node), "GET", "/metrics")
            self.assertIn(b"\nvetrina_fleet_store_up 0\n", metrics)
            self.assertIn(b"\nvetrina_audience_updates_dropped_total 0\n", metrics)
        status, _, _ = call(f.admin("a"), "POST", "/v1/audiences/crm/members", self.shop,
                            "DDDDDDDD-0000-4000-8000-000000000004\n")
        self.assertEqual(status, 503)
        # A notice is refused for a retry, never kept only here; a pixel event still gets its GIF.
        _, response = self.wait_for_bid("b", bid_request(bundle), 200)
        bid = response["seatbid"][0]["bid"][0]
        nurl = urllib.parse.urlsplit(bid["nurl"].replace("${AUCTION_PRICE}", str(bid["price"])))
        status, _, headers = call(f.public("c"), "GET", nurl.path + "?" + nurl.query)
        self.assertEqual((status, headers.get("Retry-After")), (503, "1"))
        status, _, _ = call(f.public("a"), "GET",
                            "/px?a=shop&e=add_to_cart&ifa=EEEEEEEE-0000-4000-8000-000000000005")
        self.assertEqual(status, 200)

        f.redis[0] = fleet.start_redis(os.path.join(f.dir, "redis"), port=redis.port)
        deadline = time.monotonic() + 15
        while True:
            status, body, _ = call(f.admin("b"), "PUT", "/v1/campaigns/outage-2", self.shop,
                                   campaign("outage-2", bundle + ".2"))
            if status == 201 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(status, 201, body)
        for node in ("a", "c"):
            self.wait_for_bid(node, bid_request(bundle + ".2"), 200, within=5)
            self.assertEqual(self.readiness(node, "ready"), (200, "ready"))
        status, body, _ = call(f.public("c"), "GET", nurl.path + "?" + nurl.query)
        self.assertEqual((status, body.get("status")), (200, "charged"), body)

    def test_zz_kill_9_during_writes_loses_nothing_acknowledged_and_the_node_catches_up(self):
        f = self.fleet
        acknowledged = []
        stop = threading.Event()

        def writer():
            i = 0
            while not stop.is_set():
                cid = f"kill-{i}"
                try:
                    status, _, _ = call(f.admin("a"), "PUT", f"/v1/campaigns/{cid}", self.shop,
                                        campaign(cid, f"com.kill.{i}"), timeout=5)
                except OSError:
                    return
                if status == 201:
                    acknowledged.append(cid)
                i += 1

        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(0.5)  # let the writer get some campaigns acknowledged
        f.nodes["a"].stop(signal.SIGKILL)
        stop.set()
        thread.join()
        self.assertGreater(len(acknowledged), 0)
        # While a is down, b changes the catalog too.
        self.assertEqual(call(f.admin("b"), "PUT", "/v1/campaigns/while-down", self.shop,
                              campaign("while-down", "com.kill.down"))[0], 201)
        f.start_node("a")
        for cid in [*acknowledged, "while-down"]:
            for node in ("a", "c"):
                status, _, _ = call(f.admin(node), "GET", f"/v1/campaigns/{cid}", self.shop)
                self.assertEqual(status, 200, f"{cid} on {node}")
        self.wait_for_bid("a", bid_request("com.kill.down"), 200)

    def test_zz_restarting_redis_from_its_aof_keeps_every_acknowledged_write(self):
        f = self.fleet
        ids = [f"aof-{i}" for i in range(20)]
        for cid in ids:
            self.assertEqual(call(f.admin("c"), "PUT", f"/v1/campaigns/{cid}", self.shop,
                                  campaign(cid, "com.aof"))[0], 201)
        member = "FFFFFFFF-0000-4000-8000-000000000006"
        status, body, _ = call(f.admin("c"), "POST", "/v1/audiences/crm/members", self.shop,
                               member + "\n")
        self.assertEqual((status, body), (200, {"added": 1, "rejected": 0}))
        port = f.redis[0].port
        f.redis[0].stop(signal.SIGKILL)
        f.redis[0] = fleet.start_redis(os.path.join(f.dir, "redis"), port=port)
        # A node that joins now reads everything from Redis alone.
        joined = f.start_node("d")
        for cid in ids:
            status, _, _ = call(joined.spec.admin_port, "GET", f"/v1/campaigns/{cid}", self.shop)
            self.assertEqual(status, 200, cid)
        # The acknowledged upload too (the audience test's campaign targets that audience).
        aud_bundle = f"com.fleet.{self.__class__.__name__.lower()}.aud"
        self.wait_for_bid("d", bid_request(aud_bundle, member), 200)


class FleetOnRedisClusterTest(FleetTestBase, unittest.TestCase):
    cluster = True


if __name__ == "__main__":
    unittest.main()
