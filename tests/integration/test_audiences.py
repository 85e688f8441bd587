"""Audiences over real HTTP: pixel events and streamed uploads make users eligible for campaigns
that target them within a second, exclusion events and deletions take them out again, bad input
is counted rather than fatal, and acknowledged memberships survive kill -9.
"""
import hashlib
import http.client
import json
import os
import re
import signal
import time
import unittest

from test_admin_api import call
from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
CAMPAIGNS_DIR = os.path.join(SOURCE_DIR, "schemas", "examples")

PIXEL_AUDIENCE = {"name": "Cart abandoners", "kind": "pixel", "ttl_days": 30,
                  "rule": {"events": ["add_to_cart"], "recency_days": 7,
                           "conditions": [{"param": "value", "op": ">=", "value": 50}],
                           "exclude_events": ["purchase"]}}


def bid_request(ifa):
    # "webos" keeps the demo campaigns (iOS/Android) out of these auctions.
    return {"id": "r", "imp": [{"id": "1", "banner": {"w": 320, "h": 50}}],
            "app": {"bundle": "com.example.game"}, "device": {"os": "webos", "ifa": ifa}}


def upload(port, token, audience, lines, method="POST"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, f"/v1/audiences/{audience}/members", body="\n".join(lines) + "\n",
                     headers={"Authorization": "Bearer " + token})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


def pixel(port, query):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/px?" + query)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), resp.read()
    finally:
        conn.close()


class AudiencesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = VetrinaProcess(BINARY, CAMPAIGNS_DIR)
        cls.start(cls)

    def start(self):
        s = self.server
        self.admin, self.port, self.public = s.admin_token(), s.admin_port, s.public_port

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        if not hasattr(AudiencesTest, "shop"):
            _, body = call(self.port, "POST", "/v1/advertisers", self.admin, {"id": "shop"})
            AudiencesTest.shop = body["token"]
            _, body = call(self.port, "POST", "/v1/advertisers", self.admin, {"id": "rival"})
            AudiencesTest.rival = body["token"]
            self.assertEqual(call(self.port, "PUT", "/v1/audiences/carts", self.shop,
                                  PIXEL_AUDIENCE)[0], 201)
            self.assertEqual(call(self.port, "PUT", "/v1/audiences/crm", self.shop,
                                  {"name": "CRM", "kind": "custom", "ttl_days": 90})[0], 201)
            campaign = {"id": "retarget", "advertiser": "shop", "status": "active",
                        "bid": {"strategy": "cpm", "max_bid": 5},
                        "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50,
                                       "markup": "<img>"}],
                        "targeting": {"audiences": {"any_of": ["carts", "crm"]}}}
            self.assertEqual(call(self.port, "PUT", "/v1/campaigns/retarget", self.shop,
                                  campaign)[0], 201)

    def wait_for_bid(self, ifa, expected, within=1.0):
        started = time.monotonic()
        while True:
            status, _ = call(self.public, "POST", "/openrtb2/bid", None, bid_request(ifa))
            if status == expected:
                return
            self.assertLess(time.monotonic() - started, within,
                            f"{ifa}: still {status}, expected {expected}")

    def test_pixel_event_makes_the_user_eligible_and_an_exclusion_removes_them(self):
        ifa = "AAAAAAAA-0000-4000-8000-000000000001"
        self.wait_for_bid(ifa, 204)
        status, content_type, body = pixel(self.public, f"a=shop&e=add_to_cart&ifa={ifa}&p.value=20")
        self.assertEqual((status, content_type, body[:6]), (200, "image/gif", b"GIF89a"))
        time.sleep(0.3)
        self.wait_for_bid(ifa, 204)  # value 20 fails the rule's condition
        pixel(self.public, f"a=shop&e=add_to_cart&ifa={ifa.lower()}&p.value=80")
        self.wait_for_bid(ifa, 200)
        pixel(self.public, f"a=shop&e=purchase&ifa={ifa}")
        self.wait_for_bid(ifa, 204)

    def test_bad_pixel_events_still_get_the_gif_and_are_counted(self):
        for query in ["", "a=shop", "a=shop&e=add_to_cart", "a=nobody&e=x&ifa=1",
                      "a=../x&e=x&ifa=1", "a=shop&e=bad%zz&ifa=1",
                      "a=shop&e=view&ifa=00000000-0000-0000-0000-000000000000"]:
            with self.subTest(query=query):
                status, content_type, _ = pixel(self.public, query)
                self.assertEqual((status, content_type), (200, "image/gif"))
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        conn.close()
        self.assertRegex(metrics, r'vetrina_pixel_events_total\{result="malformed"\} [1-9]')
        self.assertRegex(metrics, r'vetrina_pixel_events_total\{result="unknown_advertiser"\} [1-9]')

    def test_uploads_raw_and_hashed_then_delete(self):
        raw = "BBBBBBBB-0000-4000-8000-000000000002"
        hashed_ifa = "CCCCCCCC-0000-4000-8000-000000000003"
        digest = hashlib.sha256(hashed_ifa.lower().encode()).hexdigest()
        status, body = upload(self.port, self.shop, "crm",
                              [raw, digest.upper(), "", "bad\x01line", "x" * 1000,
                               "00000000-0000-0000-0000-000000000000"])
        self.assertEqual(status, 200)
        self.assertEqual(body, {"added": 2, "rejected": 3})
        self.wait_for_bid(raw, 200)
        self.wait_for_bid(hashed_ifa, 200)
        status, body = upload(self.port, self.shop, "crm", [raw], method="DELETE")
        self.assertEqual((status, body["removed"]), (200, 1))
        self.wait_for_bid(raw, 204)
        self.wait_for_bid(hashed_ifa, 200)

    def test_a_large_upload_is_streamed(self):
        lines = [hashlib.sha256(f"user-{i}".encode()).hexdigest() for i in range(200_000)]
        started = time.monotonic()
        status, body = upload(self.port, self.shop, "crm", lines)
        self.assertEqual((status, body), (200, {"added": 200_000, "rejected": 0}))
        self.assertLess(time.monotonic() - started, 30)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        conn.close()
        memberships = int(re.search(r"^vetrina_audience_memberships (\d+)$", metrics, re.M).group(1))
        self.assertGreaterEqual(memberships, 200_000)

    def test_audiences_belong_to_their_advertiser(self):
        self.assertEqual(call(self.port, "GET", "/v1/audiences/carts", self.rival)[0], 404)
        self.assertEqual(upload(self.port, self.rival, "crm", ["x"])[0], 404)
        self.assertEqual(upload(self.port, "forged", "crm", ["x"])[0], 401)
        self.assertEqual(call(self.port, "PUT", "/v1/audiences/a", self.admin, PIXEL_AUDIENCE)[0], 403)
        # Targeting another advertiser's audience is a 400 at campaign upload.
        campaign = {"id": "rival-c", "advertiser": "rival", "status": "active",
                    "bid": {"strategy": "cpm", "max_bid": 1},
                    "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50, "markup": "x"}],
                    "targeting": {"audiences": {"any_of": ["carts"]}}}
        status, body = call(self.port, "PUT", "/v1/campaigns/rival-c", self.rival, campaign)
        self.assertEqual(status, 400)
        self.assertIn("/targeting/audiences/any_of/0", body["problems"][0])
        names = [a["id"] for a in call(self.port, "GET", "/v1/audiences", self.shop)[1]["audiences"]]
        self.assertEqual(sorted(names), ["carts", "crm"])

    def test_invalid_audience_definitions_list_their_problems(self):
        status, body = call(self.port, "PUT", "/v1/audiences/bad", self.shop,
                            {"name": "", "kind": "pixel", "ttl_days": 999,
                             "rule": {"events": [], "conditions": [{"param": "v", "op": "~"}]}})
        self.assertEqual(status, 400)
        for expected in ["/name", "/ttl_days", "/rule/events", "/rule/conditions/0/op"]:
            self.assertTrue(any(p.startswith(expected) for p in body["problems"]), expected)

    def test_zz_memberships_survive_kill_9(self):
        ifa = "DDDDDDDD-0000-4000-8000-000000000004"
        from_pixel = "EEEEEEEE-0000-4000-8000-000000000005"
        self.assertEqual(upload(self.port, self.shop, "crm", [ifa])[0], 200)
        pixel(self.public, f"a=shop&e=add_to_cart&ifa={from_pixel}&p.value=99")
        self.wait_for_bid(ifa, 200)
        self.wait_for_bid(from_pixel, 200)  # visible means durable: the writer journals first
        data_dir = self.server.data_dir
        self.server.stop(signal.SIGKILL)
        AudiencesTest.server = VetrinaProcess(BINARY, CAMPAIGNS_DIR, data_dir=data_dir)
        self.start()
        AudiencesTest.port, AudiencesTest.public = self.port, self.public
        self.wait_for_bid(ifa, 200, within=2.0)
        self.wait_for_bid(from_pixel, 200, within=2.0)


if __name__ == "__main__":
    unittest.main()
