"""/metrics of the real binary after some traffic: `promtool check metrics` finds nothing to say,
and the series docs/operations.md promises are there with sane values.
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import time
import unittest

from test_admin_api import call, campaign
from test_money import Client
from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
CAMPAIGNS_DIR = os.path.join(SOURCE_DIR, "schemas", "examples")
DEMO_REQUEST = os.path.join(SOURCE_DIR, "docs", "examples", "bid-request.json")
PROMTOOL = shutil.which("promtool")

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(page):
    """{(name, frozenset of (label, value))): value} for every sample of a text-format page."""
    samples = {}
    for line in page.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        samples[(m.group(1), labels)] = float(m.group(4))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
        return re.search(r"project\(vetrina VERSION (\S+)", f.read()).group(1)


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = VetrinaProcess(BINARY, CAMPAIGNS_DIR)
        cls.started = time.time()
        cls.public = Client(cls.server.public_port)
        cls.admin_port = cls.server.admin_port
        cls.drive(cls)

    @classmethod
    def tearDownClass(cls):
        cls.public.close()
        cls.server.stop()
        shutil.rmtree(cls.server.data_dir, ignore_errors=True)

    def drive(self):
        """Bids, a charged win, pixels and admin changes; remembers what they should count."""
        admin = self.server.admin_token()
        status, body = call(self.admin_port, "POST", "/v1/advertisers", admin, {"id": "metrics"})
        assert status == 201, body
        status, body = call(self.admin_port, "PUT", "/v1/campaigns/metrics-one", body["token"],
                            campaign("metrics-one", "metrics", bundle="com.metrics.only"))
        assert status == 201, body
        with open(DEMO_REQUEST) as f:
            request = json.load(f)
        self.bid_requests = 5
        self.bids = []
        for i in range(self.bid_requests):
            request["id"] = "metrics-%d" % i
            status, response = self.public.bid(request)
            assert status in (200, 204), status
            if status == 200:
                self.bids += [b for seat in response["seatbid"] for b in seat["bid"]]
        assert self.bids, "the demo request gets no bid"
        status, body, _ = self.public.notice(self.bids[0]["nurl"], price=0.5)
        assert status == 200 and body["status"] == "charged", body
        self.charged_micros = body["charged_micros"]
        for query in ("a=nobody&e=view&ifa=1", ""):
            self.public.request("GET", "/px?" + query)
        # The campaign reaches the bid path through the publisher: wait for the catalog to show it.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if value(parse(scrape(self.admin_port)), "vetrina_catalog_campaigns") == 6:
                break
            time.sleep(0.05)

    def scrape(self):
        return scrape(self.admin_port)

    def test_promtool_finds_nothing_to_say(self):
        if PROMTOOL is None:
            self.skipTest("promtool is not installed (apt-get install prometheus): lint not run")
        page = self.scrape()
        result = subprocess.run([PROMTOOL, "check", "metrics"], input=page, text=True,
                                capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout + result.stderr, "")

    def test_every_family_has_help_and_type(self):
        page = self.scrape()
        helped = set(re.findall(r"^# HELP (\S+) ", page, re.M))
        typed = dict(re.findall(r"^# TYPE (\S+) (\S+)$", page, re.M))
        self.assertEqual(helped, set(typed))
        for (name, _) in parse(page):
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            self.assertTrue(name in typed or family in typed, name)
        for name, kind in typed.items():
            self.assertEqual(name.endswith("_total"), kind == "counter", name)

    def test_status_codes_are_counted_as_they_were_answered(self):
        samples = parse(self.scrape())
        self.assertGreaterEqual(value(samples, "vetrina_requests_total",
                                      endpoint="admin_api", code="201"), 2)
        self.assertEqual(value(samples, "vetrina_requests_total", endpoint="notice", code="200"), 1)
        for (name, labels) in samples:
            if name == "vetrina_requests_total":
                self.assertRegex(dict(labels)["code"], r"^([1-5][0-9][0-9]|other)$")

    def test_build_info_names_this_binary(self):
        samples = parse(self.scrape())
        infos = [dict(labels) for (name, labels) in samples if name == "vetrina_build_info"]
        self.assertEqual(len(infos), 1)
        self.assertEqual(infos[0]["version"], project_version())
        self.assertRegex(infos[0]["commit"], r"^([0-9a-f]{7,40}(-dirty)?|unknown)$")
        self.assertTrue(infos[0]["build_type"])
        self.assertEqual(value(samples, "vetrina_build_info", **infos[0]), 1)

    def test_process_metrics(self):
        samples = parse(self.scrape())
        self.assertGreater(value(samples, "process_open_fds"), 0)
        self.assertGreaterEqual(value(samples, "process_max_fds"),
                                value(samples, "process_open_fds"))
        self.assertGreater(value(samples, "process_resident_memory_bytes"), 1 << 20)
        self.assertGreaterEqual(value(samples, "process_virtual_memory_bytes"),
                                value(samples, "process_resident_memory_bytes"))
        self.assertGreaterEqual(value(samples, "process_cpu_seconds_total"), 0)
        start = value(samples, "process_start_time_seconds")
        self.assertLess(abs(start - self.started), 60)

    def test_bids_prices_and_media(self):
        samples = parse(self.scrape())
        self.assertEqual(value(samples, "vetrina_bid_price_cpm_count"), len(self.bids))
        self.assertEqual(value(samples, "vetrina_bids_total"), len(self.bids))
        self.assertAlmostEqual(value(samples, "vetrina_bid_price_cpm_sum"),
                               sum(b["price"] for b in self.bids), places=5)
        self.assertEqual(value(samples, "vetrina_bid_price_cpm_bucket", le="+Inf"), len(self.bids))
        # The demo request has one banner imp.
        self.assertEqual(value(samples, "vetrina_bid_requests_by_media_total", media="banner"),
                         self.bid_requests)
        self.assertEqual(value(samples, "vetrina_bid_requests_by_media_total", media="video"), 0)

    def test_spend_and_notices(self):
        samples = parse(self.scrape())
        self.assertAlmostEqual(value(samples, "vetrina_spend_usd_total", kind="win"),
                               self.charged_micros / 1e6, places=6)
        self.assertEqual(value(samples, "vetrina_notices_total", kind="win", result="charged"), 1)
        self.assertEqual(value(samples, "vetrina_pixel_events_total", result="unknown_advertiser"),
                         1)
        self.assertEqual(value(samples, "vetrina_pixel_events_total", result="malformed"), 1)

    def test_journal_syncs_are_timed(self):
        samples = parse(self.scrape())
        # At least the charged win's fdatasync, and the admin changes' catalog appends.
        self.assertGreaterEqual(value(samples, "vetrina_fsync_seconds_count"), 3)
        self.assertEqual(value(samples, "vetrina_fsync_seconds_bucket", le="+Inf"),
                         value(samples, "vetrina_fsync_seconds_count"))
        self.assertIsNotNone(value(samples, "vetrina_fsync_seconds_bucket", le="0.000050"))
        self.assertIsNotNone(value(samples, "vetrina_fsync_seconds_bucket", le="1.000000"))

    def test_catalog_and_snapshot_ages(self):
        samples = parse(self.scrape())
        # The five example campaigns and the one put through the API.
        self.assertEqual(value(samples, "vetrina_catalog_campaigns"), 6)
        self.assertGreaterEqual(value(samples, "vetrina_catalog_creatives"), 6)
        self.assertGreaterEqual(value(samples, "vetrina_catalog_advertisers"), 2)
        uptime = time.time() - self.started + 1
        for snapshot in ("campaigns", "audiences", "market"):
            age = value(samples, "vetrina_snapshot_age_seconds", snapshot=snapshot)
            self.assertIsNotNone(age, snapshot)
            self.assertGreaterEqual(age, 0)
            self.assertLess(age, uptime)


def scrape(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        resp = conn.getresponse()
        page = resp.read().decode()
        assert resp.status == 200, resp.status
        return page
    finally:
        conn.close()


if __name__ == "__main__":
    unittest.main()
