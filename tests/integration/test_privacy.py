"""Privacy over real HTTP: for each signal (COPPA, a child-directed app, GDPR/TCF, US Privacy,
GPP, ATT/LMT) a request with the signal never wins the audience-targeted campaign and can always
win a contextual one, and without the signal the audience campaign wins; child-directed inventory
gets only child-safe campaigns; the explain endpoint and /metrics name the rule; pixel events of
restricted users are dropped.
"""
import base64
import http.client
import json
import os
import re
import shutil
import tempfile
import time
import unittest

from test_admin_api import call
from test_audiences import upload
from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
VENDOR = 32
IFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
IFV = "1F3C8A55-7B7E-4C1E-9C43-6A5E2B0D9F10"


def tcf(purposes, vendors, policy=4, created=16_000_000_000, disclosed=None):
    """A minimal TCF v2 core string (no restrictions) with consent to `purposes` and `vendors`;
    with `disclosed`, a DisclosedVendors segment listing those vendors follows."""
    bits = []

    def put(n, v):
        bits.extend((v >> (n - 1 - i)) & 1 for i in range(n))
    put(6, 2)
    put(36, created)
    put(36, created)
    put(12, 7); put(12, 1); put(6, 1)
    put(6, 4); put(6, 13)  # "EN"
    put(12, 100); put(6, policy); put(1, 0); put(1, 0)
    put(12, 0)
    for p in range(1, 25):
        bits.append(1 if p in purposes else 0)
    put(24, 0)  # legitimate interests
    put(1, 0); put(6, 0); put(6, 0)  # purpose one treatment, "AA"
    max_vendor = max(vendors) if vendors else 0
    put(16, max_vendor); put(1, 0)
    bits.extend(1 if v in vendors else 0 for v in range(1, max_vendor + 1))
    put(16, 0); put(1, 0)  # no vendor legitimate interests
    put(12, 0)  # no publisher restrictions
    core = encode_bits(bits)
    if disclosed is None:
        return core
    segment = []
    for width, value in ((3, 1), (16, max(disclosed)), (1, 0)):
        segment.extend((value >> (width - 1 - i)) & 1 for i in range(width))
    segment.extend(1 if v in disclosed else 0 for v in range(1, max(disclosed) + 1))
    return core + "." + encode_bits(segment)


def encode_bits(bits):
    bits = bits + [0] * (-len(bits) % 8)
    raw = bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CONSENT = tcf({1, 3, 4, 7}, {VENDOR})
CONSENT_WITHOUT_US = tcf({1, 3, 4, 7}, {VENDOR + 1})
# TCF 2.3 (policy version 5, created 2026-03-02): consent to our vendor, disclosed to the user or not.
TCF23_CREATED = 17_724_096_000
CONSENT_23_DISCLOSED = tcf({1, 3, 4, 7}, {VENDOR}, 5, TCF23_CREATED, {VENDOR})
CONSENT_23_NOT_DISCLOSED = tcf({1, 3, 4, 7}, {VENDOR}, 5, TCF23_CREATED, {VENDOR + 1})


def bid_request(bundle="com.example.game", **signals):
    r = {"id": "r", "imp": [{"id": "1", "banner": {"w": 320, "h": 50}}],
         "app": {"bundle": bundle},
         "device": {"os": "webos", "ifa": IFA, "ip": "203.0.113.77",
                    "ext": {"ifv": IFV}},
         "regs": {}, "user": {}}
    for key, value in signals.items():
        if key in ("coppa", "gdpr", "us_privacy", "gpp", "gpp_sid"):
            r["regs"][key] = value
        elif key == "consent":
            r["user"]["consent"] = value
        elif key in ("lmt", "ifa"):
            r["device"][key] = value
        elif key == "atts":
            r["device"]["ext"]["atts"] = value
    return r


def banner(cid, max_bid, **extra):
    c = {"id": cid, "advertiser": "shop", "status": "active",
         "bid": {"strategy": "cpm", "max_bid": max_bid},
         "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}]}
    c.update(extra)
    return c


class PrivacyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.campaigns = tempfile.mkdtemp(prefix="vetrina-privacy-")
        cls.server = VetrinaProcess(BINARY, cls.campaigns, extra_args=["--tcf-vendor-id", str(VENDOR)])
        s = cls.server
        cls.admin, cls.port, cls.public = s.admin_token(), s.admin_port, s.public_port
        _, body = call(cls.port, "POST", "/v1/advertisers", cls.admin, {"id": "shop"})
        cls.shop = body["token"]
        assert call(cls.port, "PUT", "/v1/audiences/crm", cls.shop,
                    {"name": "CRM", "kind": "custom", "ttl_days": 30})[0] == 201
        assert call(cls.port, "PUT", "/v1/audiences/visitors", cls.shop,
                    {"name": "Visitors", "kind": "pixel", "ttl_days": 30,
                     "rule": {"events": ["visit"]}})[0] == 201
        status, _ = upload(cls.port, cls.shop, "crm", [IFA, IFV])
        assert status == 200
        for c in (banner("aud", 5, targeting={"audiences": {"any_of": ["crm"]}}),
                  banner("ctx", 2),
                  banner("kids", 1, child_directed=True, cat=["IAB9-30"]),
                  banner("beer", 1.5, child_directed=True, cat=["IAB8-5"])):
            assert call(cls.port, "PUT", "/v1/campaigns/" + c["id"], cls.shop, c)[0] == 201, c
        assert call(cls.port, "PUT", "/v1/apps/child_directed", cls.admin,
                    {"apps": ["com.example.kids"]})[0] == 200
        # Campaigns reach the bid path within a second (the publisher batches changes).
        deadline = time.monotonic() + 5
        while call(cls.public, "POST", "/openrtb2/bid", None, bid_request())[0] != 200:
            assert time.monotonic() < deadline, "campaigns never went live"
            time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.server.data_dir, ignore_errors=True)
        shutil.rmtree(cls.campaigns, ignore_errors=True)

    def winner(self, request):
        status, body = call(self.public, "POST", "/openrtb2/bid", None, request)
        self.assertEqual(status, 200, body)
        return body["seatbid"][0]["bid"][0]["cid"], json.dumps(body)

    def test_each_signal_on_restricts_and_off_does_not(self):
        cases = [  # (name, signals on, signals off, winner when on)
            ("coppa", {"coppa": 1}, {"coppa": 0}, "kids"),
            ("gdpr without consent", {"gdpr": 1}, {"gdpr": 0}, "ctx"),
            ("gdpr, malformed consent", {"gdpr": 1, "consent": "not-a-tcf-string"},
             {"gdpr": 1, "consent": CONSENT}, "ctx"),
            ("gdpr, other vendor", {"gdpr": 1, "consent": CONSENT_WITHOUT_US},
             {"gdpr": 1, "consent": CONSENT}, "ctx"),
            ("tcf 2.3, our vendor not disclosed", {"gdpr": 1, "consent": CONSENT_23_NOT_DISCLOSED},
             {"gdpr": 1, "consent": CONSENT_23_DISCLOSED}, "ctx"),
            ("us_privacy opt-out", {"us_privacy": "1YYN"}, {"us_privacy": "1YNN"}, "ctx"),
            # iabgpp-java's usnat testDecode1: opted out, and KnownChild [2, 1, 0] names a child.
            ("gpp usnat opt-out, known child", {"gpp": "DBABLA~CVVVkkkkkpFY.YA", "gpp_sid": [7]},
             {"gpp": "DBABTA~1YNN", "gpp_sid": [6]}, "kids"),
            # iabgpp-es UsMd "all fields set" (opted out, no child field) against its defaults.
            ("gpp usmd opt-out", {"gpp": "DBABEY~BVVU.YA", "gpp_sid": [24]},
             {"gpp": "DBABEY~BQAA.QA", "gpp_sid": [24]}, "ctx"),
            # iabgpp-es UsVa "all fields set" names a known child: COPPA's effect.
            ("gpp usva known child", {"gpp": "DBABRg~BVWSSVY", "gpp_sid": [9]},
             {"gpp": "DBABRg~BAAAABA", "gpp_sid": [9]}, "kids"),
            ("gpp uspv1 opt-out", {"gpp": "DBABTA~1YYN", "gpp_sid": [6]},
             {"gpp": "DBABTA~1NNN", "gpp_sid": [6]}, "ctx"),
            ("lmt", {"lmt": 1}, {"lmt": 0}, "ctx"),
            ("att denied", {"atts": 2}, {"atts": 3}, "ctx"),
            ("zero ifa", {"ifa": "00000000-0000-0000-0000-000000000000"}, {}, "ctx"),
        ]
        for name, on, off, restricted_winner in cases:
            with self.subTest(name):
                self.assertEqual(self.winner(bid_request(**off))[0], "aud")
                cid, _ = self.winner(bid_request(**on))
                self.assertEqual(cid, restricted_winner)

    def test_child_directed_app_gets_only_child_safe_campaigns(self):
        self.assertEqual(self.winner(bid_request(bundle="com.example.kids"))[0], "kids")
        # Without the child-safe campaign there is no bid at all: beer never qualifies.
        status, explain = call(self.port, "POST", "/v1/debug/explain", self.admin,
                               bid_request(bundle="com.example.kids"))
        self.assertEqual(status, 200)
        self.assertEqual(explain["privacy"]["rules"], ["child_directed_app"])
        self.assertTrue(explain["privacy"]["child_directed"])
        by_id = {c["id"]: c for c in explain["campaigns"]}
        self.assertEqual(by_id["beer"]["imps"][0]["reason"], "not_child_safe")
        self.assertEqual(by_id["ctx"]["imps"][0]["reason"], "not_child_safe")
        self.assertTrue(by_id["kids"]["eligible"])

    def test_explain_and_metrics_name_the_2026_rules(self):
        for signals, rules in (
                ({"gdpr": 1, "consent": CONSENT_23_NOT_DISCLOSED}, ["tcf_vendor_not_disclosed"]),
                ({"gpp": "DBABRg~BVWSSVY", "gpp_sid": [9]}, ["gpp_opt_out", "known_child"])):
            with self.subTest(rules[-1]):
                status, explain = call(self.port, "POST", "/v1/debug/explain", self.admin,
                                       bid_request(**signals))
                self.assertEqual(status, 200)
                self.assertEqual(sorted(explain["privacy"]["rules"]), rules)
                self.assertFalse(explain["privacy"]["audience_targeting"])
                self.winner(bid_request(**signals))
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        conn.close()
        for rule in ("tcf_vendor_not_disclosed", "known_child"):
            self.assertRegex(metrics, r'vetrina_privacy_restricted_total\{rule="%s"\} [1-9]' % rule)

    def test_explain_and_metrics_name_the_rule(self):
        status, explain = call(self.port, "POST", "/v1/debug/explain", self.admin,
                               bid_request(gdpr=1, us_privacy="1YYN", atts=1))
        self.assertEqual(status, 200)
        self.assertEqual(sorted(explain["privacy"]["rules"]),
                         ["app_tracking_limited", "gdpr_no_consent", "gdpr_no_measurement",
                          "us_privacy_opt_out"])
        self.assertFalse(explain["privacy"]["audience_targeting"])
        self.assertEqual(explain["privacy"]["frequency_capping"], "off")
        self.winner(bid_request(us_privacy="1YYN"))
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        conn.close()
        self.assertRegex(metrics, r'vetrina_privacy_restricted_total\{rule="us_privacy_opt_out"\} [1-9]')
        for secret in (IFA, IFV, CONSENT):
            self.assertNotIn(secret, metrics)

    def test_pixel_events_of_restricted_users_are_dropped(self):
        user = "9B2D7F7E-1111-4222-8333-444455556666"
        for query in (f"a=shop&e=visit&ifa={user}&gdpr=1",
                      f"a=shop&e=visit&ifa={user}&us_privacy=1YYN",
                      f"a=shop&e=visit&ifa={user}&coppa=1",
                      f"a=shop&e=visit&ifa={user}&bundle=com.example.kids",
                      f"a=shop&e=visit&ifa={user}&lmt=1"):
            conn = http.client.HTTPConnection("127.0.0.1", self.public, timeout=10)
            conn.request("GET", "/px?" + query)
            self.assertEqual(conn.getresponse().status, 200)
            conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        conn.close()
        self.assertRegex(metrics, r'vetrina_pixel_events_total\{result="restricted"\} [5-9]')
        self.assertRegex(metrics, r'vetrina_pixel_events_total\{result="accepted"\} 0')


if __name__ == "__main__":
    unittest.main()
