"""DSA transparency and EU political ads over real HTTP, against the `vetrina` binary.

The issue's "done when": a request whose `regs.ext.dsa` requires DSA information gets no bid from
a campaign without it, and a bid carrying `bid.ext.dsa` from a campaign with it. The DSA objects
come from tests/fixtures/dsa (the IAB Tech Lab extension's samples, Prebid Server's tests). A
political campaign without its transparency information never bids where the EU rules apply, and
the explain endpoint and /metrics name each rule.
"""
import http.client
import json
import os
import shutil
import tempfile
import time
import unittest

from test_admin_api import call
from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
FIXTURES = os.environ.get("VETRINA_FIXTURES_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")


def fixture(name):
    with open(os.path.join(FIXTURES, "dsa", name)) as f:
        return {v["name"]: v for v in json.load(f)}


REQUEST_DSA = fixture("request_dsa.json")
BID_DSA = fixture("bid_dsa.json")
# The IAB sample response's bid.ext.dsa: the ad renders the information itself (adrender 1).
AD_RENDERS = BID_DSA["iab-sample-ad-renders"]["bid_ext_dsa"]


def bid_request(dsa=None, country="USA", gdpr=None, bundle="com.example.news"):
    r = {"id": "r", "imp": [{"id": "1", "banner": {"w": 320, "h": 50}}],
         "app": {"bundle": bundle},
         "device": {"os": "android", "ip": "203.0.113.9", "geo": {"country": country}},
         "regs": {"ext": {}}}
    if dsa is not None:
        r["regs"]["ext"]["dsa"] = dsa
    if gdpr is not None:
        r["regs"]["gdpr"] = gdpr
    return r


def banner(cid, max_bid, bundle="com.example.news", **extra):
    c = {"id": cid, "advertiser": "civic", "status": "active",
         "bid": {"strategy": "cpm", "max_bid": max_bid},
         "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}],
         "targeting": {"app_bundle": {"include": [bundle]}}}
    c.update(extra)
    return c


NOTICE = {"sponsor": "Citizens for Parks", "notice_url": "https://parks.example/ad-notice"}


class DsaAndPoliticalAdsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.campaigns = tempfile.mkdtemp(prefix="vetrina-dsa-")
        cls.server = VetrinaProcess(BINARY, cls.campaigns)
        s = cls.server
        cls.admin, cls.port, cls.public = s.admin_token(), s.admin_port, s.public_port
        _, body = call(cls.port, "POST", "/v1/advertisers", cls.admin, {"id": "civic"})
        cls.civic = body["token"]
        # Each app bundle holds its own campaigns, so each test picks who competes.
        for c in (banner("no-dsa", 3, "com.example.news"),
                  banner("with-dsa", 1, "com.example.news", dsa=AD_RENDERS),
                  banner("lacking", 2, "com.example.only-plain"),
                  banner("ad-renders-not", 2, "com.example.conflict",
                         dsa=BID_DSA["prebid-validate-ad-does-not-render"]["bid_ext_dsa"]),
                  banner("vote", 4, "com.example.vote", political=True),
                  banner("vote-notice", 3, "com.example.vote", political=True,
                         political_transparency=NOTICE),
                  banner("shoes", 1, "com.example.vote")):
            status, body = call(cls.port, "PUT", "/v1/campaigns/" + c["id"], cls.civic, c)
            assert status == 201, (c, body)
        deadline = time.monotonic() + 5
        while call(cls.public, "POST", "/openrtb2/bid", None, bid_request())[0] != 200:
            assert time.monotonic() < deadline, "campaigns never went live"
            time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.server.data_dir, ignore_errors=True)
        shutil.rmtree(cls.campaigns, ignore_errors=True)

    def bid(self, request):
        status, body = call(self.public, "POST", "/openrtb2/bid", None, request)
        if status == 204:
            return None
        self.assertEqual(status, 200, body)
        return body["seatbid"][0]["bid"][0]

    def explain(self, request):
        status, body = call(self.port, "POST", "/v1/debug/explain", self.admin, request)
        self.assertEqual(status, 200, body)
        return {c["id"]: c for c in body["campaigns"]}

    def test_dsa_required_no_bid_without_dsa_info_and_bid_ext_dsa_with_it(self):
        for name in ("iab-sample-online-platform", "prebid-exchange-dsa-required"):
            with self.subTest(name):
                dsa = REQUEST_DSA[name]["regs_ext_dsa"]
                # The richer campaign lacks DSA information: the one that has it wins.
                bid = self.bid(bid_request(dsa))
                self.assertIsNotNone(bid)
                self.assertEqual(bid["cid"], "with-dsa")
                self.assertEqual(bid["ext"]["dsa"], AD_RENDERS)
                # Alone, a campaign without DSA information gets no bid.
                self.assertIsNone(self.bid(bid_request(dsa, bundle="com.example.only-plain")))
                by_id = self.explain(bid_request(dsa))
                self.assertEqual(by_id["no-dsa"]["imps"][0]["reason"], "dsa_missing")
                self.assertTrue(by_id["with-dsa"]["eligible"])

    def test_dsa_not_required_bids_as_before(self):
        # No regs.ext.dsa, and dsarequired 0: the richest wins, and no bid carries ext.dsa.
        for dsa in (None, REQUEST_DSA["prebid-validate-not-required"]["regs_ext_dsa"]):
            with self.subTest(dsa=dsa):
                bid = self.bid(bid_request(dsa))
                self.assertEqual(bid["cid"], "no-dsa")
                self.assertNotIn("ext", bid)
        # dsarequired 1 (supported): the richest still wins; a campaign with DSA information
        # sends it.
        supported = REQUEST_DSA["prebid-exchange-dsa-supported"]["regs_ext_dsa"]
        self.assertEqual(self.bid(bid_request(supported))["cid"], "no-dsa")
        self.assertIsNotNone(self.bid(bid_request(supported, bundle="com.example.only-plain")))

    def test_render_conflicts_get_no_bid(self):
        # pubrender 0 and adrender 0: nobody would render (Prebid's ErrNeitherWillRender).
        neither = REQUEST_DSA["prebid-exchange-dsa-required"]["regs_ext_dsa"]
        self.assertIsNone(self.bid(bid_request(neither, bundle="com.example.conflict")))
        by_id = self.explain(bid_request(neither, bundle="com.example.conflict"))
        self.assertEqual(by_id["ad-renders-not"]["imps"][0]["reason"], "dsa_render_conflict")
        # pubrender 2 and adrender 1: both would (ErrBothWillRender); the publisher-rendered
        # campaign without adrender is fine there.
        both = REQUEST_DSA["prebid-validate-required-publisher-will-render"]["regs_ext_dsa"]
        by_id = self.explain(bid_request(both))
        self.assertEqual(by_id["with-dsa"]["imps"][0]["reason"], "dsa_render_conflict")
        bid = self.bid(bid_request(both, bundle="com.example.conflict"))
        self.assertEqual(bid["cid"], "ad-renders-not")
        self.assertEqual(bid["ext"]["dsa"]["adrender"], 0)

    def test_political_ads_in_the_eu_need_their_transparency_information(self):
        eu_signals = {
            "gdpr": bid_request(gdpr=1, bundle="com.example.vote"),
            "dsa": bid_request({"dsarequired": 1}, bundle="com.example.vote"),
            "eu country": bid_request(country="DEU", bundle="com.example.vote"),
            "eea country": bid_request(country="NOR", bundle="com.example.vote"),
        }
        for name, request in eu_signals.items():
            with self.subTest(name):
                self.assertEqual(self.bid(request)["cid"], "vote-notice")
                by_id = self.explain(request)
                self.assertEqual(by_id["vote"]["imps"][0]["reason"], "political_ad_eu")
                self.assertTrue(by_id["vote-notice"]["eligible"])
        # Outside the EU the regulation does not apply: the richest political campaign wins.
        self.assertEqual(self.bid(bid_request(bundle="com.example.vote"))["cid"], "vote")

    def test_metrics_name_the_rules(self):
        self.bid(bid_request(REQUEST_DSA["prebid-exchange-dsa-required"]["regs_ext_dsa"],
                             bundle="com.example.only-plain"))
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        conn.close()
        self.assertRegex(metrics, r'vetrina_no_bids_total\{reason="dsa_missing"\} [1-9]')


if __name__ == "__main__":
    unittest.main()
