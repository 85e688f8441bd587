"""The status page on the admin listener, in a real headless browser: the charts draw data, the
funnel numbers agree with /metrics, and an advertiser's token shows only its own campaigns.

Chromium runs with --dump-dom: the page writes what it rendered into the DOM (data-points on each
chart's canvas, the funnel numbers as data-value), which is what is asserted. A screenshot is
saved as a test artifact; its path is printed.
"""
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
CHROMIUM = os.environ.get("VETRINA_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS_DIR = os.environ.get("VETRINA_ARTIFACTS_DIR") or os.path.join(
    tempfile.gettempdir(), "vetrina-artifacts")

# The /metrics series the funnel is computed from; kept here so a rename is a one-line change.
REQUESTS_SERIES = "vetrina_requests_total"
NO_BIDS_SERIES = "vetrina_no_bids_total"
NOTICES_SERIES = "vetrina_notices_total"
# No-bid reasons before this one mean no campaign matched (engine::NoBidReason order).
UNMATCHED_REASONS = {
    "no_campaigns", "campaign_inactive", "targeting", "targeting_country", "targeting_region",
    "targeting_os", "targeting_os_version", "targeting_device_type", "targeting_connection_type",
    "targeting_app_bundle", "targeting_app_category", "targeting_publisher", "targeting_language",
    "targeting_hour_of_week", "targeting_audience", "blocked_category", "blocked_advertiser",
    "blocked_app", "blocked_seat", "not_child_safe", "targeting_placement", "targeting_size",
    "targeting_deal", "private_auction", "no_matching_creative", "video_protocol",
    "blocked_attribute"}
TAKEN_NOTICES = {"charged", "counted", "over_budget", "late"}


def campaign(cid, advertiser, size, max_bid):
    return {"id": cid, "advertiser": advertiser, "status": "active",
            "budget": {"daily": 50}, "pacing": "asap",
            "bid": {"strategy": "cpm", "max_bid": max_bid},
            "creatives": [{"id": "b", "kind": "banner", "w": size[0], "h": size[1],
                           "markup": "<img>"}]}


def bid_request(rng, size):
    ifa = "%032x" % rng.getrandbits(128)
    return {"id": "req-" + ifa[:12], "at": 2,
            "imp": [{"id": "1", "bidfloor": 0.5, "banner": {"w": size[0], "h": size[1]}}],
            "app": {"bundle": "com.example.game"},
            "device": {"os": "android", "devicetype": 4, "ifa": ifa}}


class Client:
    """One keep-alive connection."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def request(self, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def close(self):
        self.conn.close()


def parse_metrics(text):
    """{(name, frozenset(labels)): value} of a Prometheus text page."""
    series = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', line)
        if not m:
            continue
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        series[(m.group(1), labels)] = float(m.group(3))
    return series


def funnel_from_metrics(series):
    """The status page's funnel, computed from /metrics (see docs/admin-api.md, /v1/status)."""
    def total(name, **want):
        return int(sum(v for (n, labels), v in series.items()
                       if n == name and all((k, val) in labels for k, val in want.items())))

    def where(name, key, accept):
        return int(sum(v for (n, labels), v in series.items()
                       if n == name and dict(labels).get(key) in accept))

    requests = total(REQUESTS_SERIES, endpoint="bid")
    late = total(NO_BIDS_SERIES, reason="deadline")
    parsed = max(0, total(REQUESTS_SERIES, endpoint="bid", code="200") +
                 total(REQUESTS_SERIES, endpoint="bid", code="204") - late)
    no_bids = total(NO_BIDS_SERIES) - late
    unmatched = where(NO_BIDS_SERIES, "reason", UNMATCHED_REASONS)
    eligible = max(0, parsed - unmatched)
    won = int(sum(v for (n, labels), v in series.items() if n == NOTICES_SERIES and
                  ("kind", "win") in labels and dict(labels).get("result") in TAKEN_NOTICES))
    billed = int(sum(v for (n, labels), v in series.items() if n == NOTICES_SERIES and
                     ("kind", "bill") in labels and dict(labels).get("result") in TAKEN_NOTICES))
    return {"requests": requests, "parsed": parsed, "eligible": eligible,
            "bid": min(eligible, max(0, parsed - no_bids)), "won": won, "billed": billed}


@unittest.skipUnless(os.access(CHROMIUM, os.X_OK),
                     "chromium not found at %s (install the chromium package, or set "
                     "VETRINA_CHROMIUM)" % CHROMIUM)
class StatusPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.campaigns_dir = tempfile.mkdtemp(prefix="vetrina-status-campaigns-")
        cls.profile_dir = tempfile.mkdtemp(prefix="vetrina-status-chromium-")
        cls.server = VetrinaProcess(BINARY, cls.campaigns_dir)
        cls.admin = Client(cls.server.admin_port)
        cls.token = cls.server.admin_token()
        cls.tokens = {}
        for advertiser, cid, size, max_bid in (("acme", "acme-shoes", (320, 50), 2.0),
                                                ("globex", "globex-cars", (728, 90), 1.5)):
            status, body = cls.admin.request("POST", "/v1/advertisers", {"id": advertiser},
                                             token=cls.token)
            assert status == 201, body
            cls.tokens[advertiser] = json.loads(body)["token"]
            status, body = cls.admin.request("PUT", "/v1/campaigns/" + cid,
                                             campaign(cid, advertiser, size, max_bid),
                                             token=cls.tokens[advertiser])
            assert status in (200, 201), body
        cls.send_traffic()

    @classmethod
    def send_traffic(cls):
        """Bids of both campaigns, misses and malformed requests, win and billing notices."""
        public = Client(cls.server.public_port)
        rng = random.Random(7)
        deadline = time.monotonic() + 10
        while True:  # the publisher picks the new campaigns up within a moment
            status, _ = public.request("POST", "/openrtb2/bid", bid_request(rng, (728, 90)))
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        prices = [0.3, 0.6, 0.9, 1.2, 1.8]
        for i in range(60):
            size = [(320, 50), (728, 90), (300, 250)][i % 3]  # the third fits no campaign
            status, body = public.request("POST", "/openrtb2/bid", bid_request(rng, size))
            if status != 200:
                continue
            bid = json.loads(body)["seatbid"][0]["bid"][0]
            if i % 2 == 0:
                price = prices[i % len(prices)]
                for url in (bid["nurl"], bid["burl"]):
                    parts = urllib.parse.urlsplit(url.replace("${AUCTION_PRICE}", "%.6f" % price))
                    public.request("GET", parts.path + "?" + parts.query)
        for _ in range(3):
            public.request("POST", "/openrtb2/bid", "{not json")
        public.close()

    @classmethod
    def tearDownClass(cls):
        cls.admin.close()
        cls.server.stop()
        shutil.rmtree(cls.server.data_dir, ignore_errors=True)
        shutil.rmtree(cls.campaigns_dir, ignore_errors=True)
        shutil.rmtree(cls.profile_dir, ignore_errors=True)

    def chromium(self, token, *args, virtual_ms=3000):
        url = "http://127.0.0.1:%d/#token=%s" % (self.server.admin_port, token)
        proc = subprocess.run(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--user-data-dir=" + self.profile_dir, "--virtual-time-budget=%d" % virtual_ms,
             *args, url],
            capture_output=True, text=True, timeout=45)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        return proc.stdout

    def dump_dom(self, token, virtual_ms=3000):
        dom = self.chromium(token, "--dump-dom", virtual_ms=virtual_ms)
        self.assertIn('data-state="rendered"', dom, dom[-3000:])
        return dom

    def metrics(self):
        status, body = self.admin.request("GET", "/metrics")
        self.assertEqual(status, 200)
        return parse_metrics(body.decode())

    def test_admin_page_draws_charts_and_agrees_with_metrics(self):
        # Past one 5 s poll interval (virtual time): the charts are drawn, then redrawn.
        dom = self.dump_dom(self.token, virtual_ms=6000)
        self.assertRegex(dom, r'data-updates="[2-9]')
        expected = funnel_from_metrics(self.metrics())  # traffic stopped: the counts are stable
        shown = {m.group(1): int(m.group(2)) for m in re.finditer(
            r'id="funnel-(\w+)" data-value="(\d+)"', dom)}
        self.assertEqual(shown, expected)
        self.assertGreater(expected["won"], 0)
        self.assertGreater(expected["billed"], 0)
        self.assertLess(expected["eligible"], expected["parsed"])  # the misses
        self.assertLess(expected["parsed"], expected["requests"])  # the malformed ones

        def points(canvas_id):
            m = re.search(r'<canvas id="%s"[^>]*data-points="(\d+)"' % re.escape(canvas_id), dom)
            self.assertIsNotNone(m, "canvas %s drew nothing" % canvas_id)
            return int(m.group(1))

        for canvas in ("chart-funnel", "chart-nobids", "chart-throughput", "chart-privacy",
                       "campaign-acme-shoes-pacing", "campaign-globex-cars-pacing",
                       "campaign-acme-shoes-clearing"):
            self.assertGreater(points(canvas), 0, canvas)
        wins = sum(int(w) for w in re.findall(r'class="clearing"[^>]*data-wins="(\d+)"', dom))
        self.assertEqual(wins, expected["won"])  # every win here was charged at a CPM
        self.assertIn("acme-shoes", dom)
        self.assertIn("globex-cars", dom)

        os.makedirs(ARTIFACTS_DIR, exist_ok=True)
        screenshot = os.path.join(ARTIFACTS_DIR, "status-page.png")
        if os.path.exists(screenshot):
            os.remove(screenshot)
        self.chromium(self.token, "--screenshot=" + screenshot, "--window-size=1280,2000",
                      "--hide-scrollbars")
        self.assertTrue(os.path.getsize(screenshot) > 10_000, screenshot)
        print("\nstatus page screenshot: " + screenshot)

    def test_advertiser_token_shows_only_its_campaigns(self):
        dom = self.dump_dom(self.tokens["acme"])
        self.assertIn('data-campaign-id="acme-shoes"', dom)
        self.assertNotIn("globex", dom)  # neither the other's campaign id nor its advertiser
        self.assertRegex(dom, r'<canvas id="campaign-acme-shoes-pacing"[^>]*data-points="[1-9]')

    def test_page_is_public_and_the_json_is_not(self):
        status, body = self.admin.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertIn(b"/static/chart.js", body)
        self.assertNotIn(b"acme", body)
        status, _ = self.admin.request("GET", "/v1/status")
        self.assertEqual(status, 401)
        status, body = self.admin.request("GET", "/static/chart.js")
        self.assertEqual(status, 200)
        self.assertIn(b"Chart.js", body[:200])


if __name__ == "__main__":
    unittest.main()
