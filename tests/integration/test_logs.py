"""Structured logs of the real binary: every stderr line is one JSON object with ts, level and
event; every admin change has an audit line (who, what, versions before and after); sampled
requests have access lines; and nothing a user sends (advertising id, IP address, consent
strings, pixel user ids) reaches the log, even at debug level with every request logged.
"""
import http.client
import json
import os
import time
import unittest
import urllib.parse

from test_admin_api import call
from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
CAMPAIGNS_DIR = os.path.join(SOURCE_DIR, "schemas", "examples")
DEMO_REQUEST = os.path.join(SOURCE_DIR, "docs", "examples", "bid-request.json")

# Values no log line may hold; distinctive so that a match is never a coincidence.
IFA = "5EC12E7A-1FA0-4D1B-9C3A-0DDBA11C0FFE"
IP = "203.0.113.177"
IPV6 = "2001:db8:5ec:1e7::177"
TCF = "CQ5ecretTCFconsentSTRINGxyzAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
GPP = "DBABMA~CQ5ecretGPPsectionSTRINGxyz"
USER_ID = "pixel-user-5ecret-7d41"
PIXEL_IFA = "0B5C0DE5-7E57-4A11-8BAD-F00DDEADBEEF"
SECRETS = [IFA, IFA.lower(), IP, IPV6, TCF, GPP, "CQ5ecret", USER_ID, PIXEL_IFA]


def post_bid(port, request):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/openrtb2/bid", json.dumps(request),
                     {"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def get(port, target):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", target)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


class LogsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = VetrinaProcess(
            BINARY, CAMPAIGNS_DIR, separate_stderr=True,
            extra_args=["--access-log-sample", "1", "--log-level", "debug"])
        s = cls.server
        cls.admin, cls.port, cls.public = s.admin_token(), s.admin_port, s.public_port
        cls.run_traffic(cls)
        cls.server.stop()
        cls.lines = list(cls.server.stderr_lines)
        cls.records = [json.loads(line) for line in cls.lines if line.strip()]

    def run_traffic(self):
        """Admin changes, then bid requests and pixel events carrying the distinctive values."""
        self.changes = []  # (who, method, kind, id, status)

        def change(who_token, who, method, path, body, kind, id_, expected):
            status, _ = call(self.port, method, path, who_token, body)
            assert status == expected, (method, path, status)
            self.changes.append((who, method, kind, id_, status))

        status, body = call(self.port, "POST", "/v1/advertisers", self.admin, {"id": "shop"})
        assert status == 201
        shop = body["token"]
        self.shop_token = shop
        self.changes.append(("admin", "POST", "advertiser", "shop", 201))
        change(shop, "shop", "PUT", "/v1/audiences/carts", {
            "name": "Carts", "kind": "pixel", "ttl_days": 30,
            "rule": {"events": ["add_to_cart"], "recency_days": 7}}, "audience", "carts", 201)
        campaign = {"id": "shop-1", "advertiser": "shop", "status": "active",
                    "budget": {"daily": 10.0},
                    "bid": {"strategy": "cpm", "max_bid": 1.5},
                    "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50,
                                   "markup": "<img src='https://shop.example/a.png'>",
                                   "landing": "https://shop.example/"}],
                    "adomain": ["shop.example"], "cat": ["IAB22"]}
        change(shop, "shop", "PUT", "/v1/campaigns/shop-1", campaign, "campaign", "shop-1", 201)
        campaign["status"] = "paused"  # pause
        change(shop, "shop", "PUT", "/v1/campaigns/shop-1", campaign, "campaign", "shop-1", 200)
        campaign["status"], campaign["budget"] = "active", {"daily": 20.0}  # budget change
        change(shop, "shop", "PUT", "/v1/campaigns/shop-1", campaign, "campaign", "shop-1", 200)
        change(shop, "shop", "DELETE", "/v1/campaigns/shop-1", None, "campaign", "shop-1", 200)
        change(self.admin, "admin", "PUT", "/v1/floors", {"floors": []}, "floors", None, 200)

        with open(DEMO_REQUEST) as f:
            request = json.load(f)
        request["device"]["ifa"] = IFA
        request["device"]["ip"] = IP
        request["device"]["ipv6"] = IPV6
        request["regs"] = {"gdpr": 1, "gpp": GPP, "gpp_sid": [2]}
        request["user"] = {"id": "exchange-user", "consent": TCF}
        for _ in range(3):
            status, _ = post_bid(self.public, request)
            assert status in (200, 204), status
        del request["regs"], request["user"]["consent"]
        status, _ = post_bid(self.public, request)  # no consent signals: the demo bids
        assert status == 200, status
        for query in ({"a": "shop", "e": "add_to_cart", "uid": USER_ID},
                      {"a": "shop", "e": "add_to_cart", "ifa": PIXEL_IFA, "gdpr": "1",
                       "gdpr_consent": TCF, "gpp": GPP}):
            assert get(self.public, "/px?" + urllib.parse.urlencode(query)) == 200
        assert get(self.public, "/nope?ifa=" + IFA) == 404

    def test_every_line_is_a_json_object_with_ts_level_and_event(self):
        self.assertGreater(len(self.records), 10)
        for line in self.lines:
            record = json.loads(line)
            self.assertIsInstance(record, dict, line)
            self.assertEqual(list(record)[:3], ["ts", "level", "event"], line)
            self.assertRegex(record["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertIn(record["level"], ("debug", "info", "warn", "error"))

    def test_startup_has_the_version_and_the_configuration_without_secrets(self):
        startup = [r for r in self.records if r["event"] == "startup"]
        self.assertEqual(len(startup), 1)
        self.assertTrue(startup[0]["version"])
        # Every option by its name, as `vetrina serve --help` lists them.
        self.assertEqual(startup[0]["config"]["log-level"], "debug")
        self.assertEqual(startup[0]["config"]["access-log-sample"], "1")
        self.assertIn("admin-listen", startup[0]["config"])
        text = "".join(self.lines)
        self.assertNotIn(self.admin, text)
        self.assertNotIn(self.shop_token, text)
        self.assertEqual([r["event"] for r in self.records][-1], "stopped")

    def test_every_admin_change_has_an_audit_record(self):
        audit = [r for r in self.records if r["event"] == "audit"]
        self.assertEqual(len(audit), len(self.changes), audit)
        for record, (who, method, kind, id_, status) in zip(audit, self.changes):
            with self.subTest(record=record):
                self.assertEqual(record["who"], who)
                self.assertEqual(record["method"], method)
                self.assertEqual(record["kind"], kind)
                if id_ is not None:
                    self.assertEqual(record["id"], id_)
                self.assertEqual(record["status"], status)
                self.assertIsInstance(record["version_before"], int)
                self.assertIsInstance(record["version_after"], int)
        campaign_changes = [r for r in audit if r["kind"] == "campaign"]
        for record in campaign_changes:
            self.assertGreater(record["version_after"], record["version_before"], record)
        self.assertEqual([r["action"] for r in campaign_changes],
                         ["create", "update", "update", "delete"])

    def test_sampled_requests_have_access_lines_without_query_strings(self):
        access = [r for r in self.records if r["event"] == "access"]
        by_endpoint = {}
        for r in access:
            by_endpoint.setdefault(r["endpoint"], []).append(r)
            self.assertNotIn("?", r["path"])
            for field in ("method", "status", "latency_us", "bytes"):
                self.assertIn(field, r)
        self.assertEqual(len(by_endpoint["bid"]), 4)
        self.assertEqual(len(by_endpoint["pixel"]), 2)
        self.assertEqual({r["path"] for r in by_endpoint["pixel"]}, {"/px"})
        self.assertGreaterEqual(len(by_endpoint["admin_api"]), len(self.changes))
        self.assertIn(404, [r["status"] for r in by_endpoint["other"]])

    def test_no_user_data_reaches_the_log(self):
        text = "".join(self.lines)
        for secret in SECRETS:
            with self.subTest(secret=secret):
                self.assertNotIn(secret, text)


if __name__ == "__main__":
    unittest.main()
