"""Authorised sellers over real HTTP: the operator uploads an app's app-ads.txt and an exchange's
sellers.json through the admin API (bad lines reported, not fatal); a campaign that requires
authorised supply bids on a complete, authorised SupplyChain and is refused with
`unauthorised_supply` (explain and /metrics) otherwise, while a campaign that does not ask still
bids; the uploads survive kill -9.
"""
import http.client
import json
import os
import re
import shutil
import signal
import tempfile
import time
import unittest

from test_admin_api import call
from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
FIXTURES = os.path.join(os.environ["VETRINA_FIXTURES_DIR"], "sellers")
APP = "com.example.app"

# The publisher sells directly on directseller.com as 00001, and reseller.com resells it as
# aaaaa: the SupplyChain 1.0 examples BidRequest1 and BidRequest2.
APP_ADS_TXT = """# app-ads.txt for com.example.app
OWNERDOMAIN=example.com
directseller.com, 00001, DIRECT
reseller.com, aaaaa, RESELLER
this line is not a record
"""
DIRECTSELLER_SELLERS = {"version": "1.0", "sellers": [
    {"seller_id": "00001", "name": "Example Publisher", "domain": "example.com",
     "seller_type": "PUBLISHER"}]}
RESELLER_SELLERS = {"version": "1.0", "sellers": [
    {"seller_id": "aaaaa", "name": "Reseller", "domain": "reseller.com",
     "seller_type": "INTERMEDIARY"},
    {"seller_id": "broken"}]}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def bid_request(schain, bundle=APP):
    r = {"id": "r", "imp": [{"id": "1", "banner": {"w": 320, "h": 50}}],
         "app": {"bundle": bundle}, "device": {"os": "android", "devicetype": 4}}
    if schain is not None:
        r["source"] = {"schain": schain}
    return r


def wait_until_live(server):
    """Campaigns reach the bid path within a second (the publisher batches changes): waits for
    the campaign that bids anywhere, put after the one that requires authorised supply."""
    deadline = time.monotonic() + 5
    while call(server.public_port, "POST", "/openrtb2/bid", None, bid_request(None))[0] != 200:
        assert time.monotonic() < deadline, "campaigns never went live"
        time.sleep(0.05)


def banner(cid, max_bid, **extra):
    c = {"id": cid, "advertiser": "shop", "status": "active",
         "bid": {"strategy": "cpm", "max_bid": max_bid},
         "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}]}
    c.update(extra)
    return c


class AuthorisedSellersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.campaigns = tempfile.mkdtemp(prefix="vetrina-sellers-")
        cls.server = VetrinaProcess(BINARY, cls.campaigns)
        cls.admin = cls.server.admin_token()
        _, body = call(cls.server.admin_port, "POST", "/v1/advertisers", cls.admin, {"id": "shop"})
        cls.shop = body["token"]
        for c in (banner("strict", 5, require_authorised_supply=True), banner("open", 1, targeting={"os": {"include": ["android"]}})):
            assert call(cls.server.admin_port, "PUT", "/v1/campaigns/" + c["id"], cls.shop,
                        c)[0] == 201, c
        cls.upload_reports = {
            "app-ads.txt": call(cls.server.admin_port, "PUT", f"/v1/apps/{APP}/app-ads.txt",
                                cls.admin, APP_ADS_TXT),
            "directseller": call(cls.server.admin_port, "PUT",
                                 "/v1/exchanges/directseller.com/sellers.json", cls.admin,
                                 DIRECTSELLER_SELLERS),
            "reseller": call(cls.server.admin_port, "PUT", "/v1/exchanges/Reseller.com/sellers.json",
                             cls.admin, RESELLER_SELLERS),
        }
        wait_until_live(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.server.data_dir, ignore_errors=True)
        shutil.rmtree(cls.campaigns, ignore_errors=True)

    def winner(self, request):
        status, body = call(self.server.public_port, "POST", "/openrtb2/bid", None, request)
        if status == 204:
            return None
        self.assertEqual(status, 200, body)
        return body["seatbid"][0]["bid"][0]["cid"]

    def explain(self, request):
        status, body = call(self.server.admin_port, "POST", "/v1/debug/explain", self.admin,
                            request)
        self.assertEqual(status, 200, body)
        return body

    def test_uploads_report_what_they_kept_and_skipped(self):
        status, report = self.upload_reports["app-ads.txt"]
        self.assertEqual(status, 200, report)
        self.assertEqual((report["app"], report["accepted"], report["skipped"]), (APP, 2, 1))
        self.assertEqual(report["problems"][0]["at"], "line 5")
        status, report = self.upload_reports["reseller"]
        self.assertEqual(status, 200, report)
        self.assertEqual((report["domain"], report["accepted"], report["skipped"]),
                         ("reseller.com", 1, 1))
        self.assertEqual(report["problems"][0]["at"], "/sellers/1/seller_type")
        # GET answers the same report.
        self.assertEqual(call(self.server.admin_port, "GET", f"/v1/apps/{APP}/app-ads.txt",
                              self.admin), (200, self.upload_reports["app-ads.txt"][1]))

    def test_bad_uploads_are_refused_and_only_the_admin_uploads(self):
        port = self.server.admin_port
        # The sellers.json specification's own sample, as published, is not JSON.
        with open(os.path.join(FIXTURES, "sellers-json-spec-sample-as-published.json"), "rb") as f:
            status, body = call(port, "PUT", "/v1/exchanges/sample.com/sellers.json", self.admin,
                                f.read())
        self.assertEqual(status, 400, body)
        self.assertEqual(call(port, "PUT", "/v1/exchanges/sample.com/sellers.json", self.admin,
                              {"sellers": {}})[0], 400)
        self.assertEqual(call(port, "PUT", "/v1/apps/bad%2Fname/app-ads.txt", self.admin,
                              APP_ADS_TXT)[0], 400)
        self.assertEqual(call(port, "PUT", f"/v1/apps/{APP}/app-ads.txt", self.shop,
                              APP_ADS_TXT)[0], 403)
        self.assertEqual(call(port, "GET", "/v1/apps/com.unknown/app-ads.txt", self.admin)[0],
                         404)
        self.assertEqual(call(port, "DELETE", f"/v1/apps/{APP}/app-ads.txt", self.admin)[0], 405)
        # The spec's sample with its typographic quote corrected is accepted whole.
        with open(os.path.join(FIXTURES, "sellers-json-spec-sample.json"), "rb") as f:
            status, body = call(port, "PUT", "/v1/exchanges/sample.com/sellers.json", self.admin,
                                f.read())
        self.assertEqual(status, 200, body)
        self.assertEqual((body["accepted"], body["skipped"]), (8, 0))

    def test_requiring_campaign_bids_only_on_authorised_supply(self):
        direct = fixture("schain-bidrequest1-direct.json")
        resale = fixture("schain-bidrequest2-resale.json")
        self.assertEqual(self.winner(bid_request(direct)), "strict")
        self.assertEqual(self.winner(bid_request(resale)), "strict")
        unknown_node = json.loads(json.dumps(resale))
        unknown_node["nodes"][1]["asi"] = "unknownexchange.com"
        not_in_sellers = json.loads(json.dumps(resale))
        not_in_sellers["nodes"][1]["sid"] = "zzzzz"
        not_in_app_ads = json.loads(json.dumps(direct))
        not_in_app_ads["nodes"][0]["sid"] = "99999"
        refused = [  # (name, request, explain's problem)
            ("incomplete", bid_request(fixture("schain-bidrequest4-incomplete.json")),
             "incomplete"),
            ("no schain", bid_request(None), "no_supply_chain"),
            ("no app-ads.txt for the app", bid_request(direct, bundle="com.other.app"),
             "no_app_ads_txt"),
            ("first node not in app-ads.txt", bid_request(not_in_app_ads), "not_in_app_ads_txt"),
            ("unknown advertising system", bid_request(unknown_node), "no_sellers_json"),
            ("node not in sellers.json", bid_request(not_in_sellers), "not_in_sellers_json"),
        ]
        for name, request, problem in refused:
            with self.subTest(name):
                # The campaign that does not ask still bids.
                self.assertEqual(self.winner(request), "open")
                explain = self.explain(request)
                self.assertEqual(explain["supply"], {"authorised": False, "problem": problem,
                                                     "node": explain["supply"]["node"]})
                strict = [c for c in explain["campaigns"] if c["id"] == "strict"][0]
                self.assertEqual(strict["reason"], "unauthorised_supply")
        self.assertEqual(self.explain(bid_request(direct))["supply"], {"authorised": True})
        # On iOS, which the open campaign does not target, only the requiring one could bid: the
        # request's no-bid reason is unauthorised_supply, and /metrics counts it.
        ios_only = bid_request(fixture("schain-bidrequest4-incomplete.json"))
        ios_only["device"]["os"] = "ios"
        self.assertIsNone(self.winner(ios_only))
        conn = http.client.HTTPConnection("127.0.0.1", self.server.admin_port, timeout=10)
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        conn.close()
        self.assertRegex(metrics, r'vetrina_no_bids_total\{reason="unauthorised_supply"\} [1-9]')

    def test_uploads_survive_kill_9(self):
        direct = fixture("schain-bidrequest1-direct.json")
        self.assertEqual(self.winner(bid_request(direct)), "strict")
        data_dir = self.server.data_dir
        self.server.stop(sig=signal.SIGKILL)
        type(self).server = VetrinaProcess(BINARY, self.campaigns, data_dir=data_dir)
        wait_until_live(self.server)
        self.assertEqual(self.winner(bid_request(direct)), "strict")
        self.assertEqual(self.winner(bid_request(fixture("schain-bidrequest4-incomplete.json"))),
                         "open")
        status, report = call(self.server.admin_port, "GET",
                              "/v1/exchanges/reseller.com/sellers.json", self.admin)
        self.assertEqual((status, report["accepted"], report["skipped"]), (200, 1, 1))


if __name__ == "__main__":
    unittest.main()
