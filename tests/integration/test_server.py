"""Black-box tests of `vetrina serve` over real HTTP on loopback.

Every request in tests/fixtures/openrtb/ is sent; valid ones must get 200 or 204 with a
well-formed response, invalid ones 400. Then a malformed-input corpus, each case answered with
its 4xx or a closed connection while the server keeps serving others.
"""
import gzip
import http.client
import json
import os
import signal
import socket
import time
import unittest

from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
FIXTURES_DIR = os.environ["VETRINA_FIXTURES_DIR"]
CAMPAIGNS_DIR = os.path.join(SOURCE_DIR, "schemas", "examples")
DEMO_REQUEST = os.path.join(SOURCE_DIR, "docs", "examples", "bid-request.json")

with open(os.path.join(os.path.dirname(__file__), "fixture_expectations.json")) as f:
    INVALID_FIXTURES = json.load(f)["invalid"]


def fixture_files():
    root = os.path.join(FIXTURES_DIR, "openrtb")
    for dirpath, _, names in os.walk(root):
        for name in sorted(names):
            if name.endswith(".json"):
                yield os.path.join(dirpath, name)


class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = VetrinaProcess(BINARY, CAMPAIGNS_DIR)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def post(self, body, headers=None, path="/openrtb2/bid"):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.public_port, timeout=10)
        try:
            h = {"Content-Type": "application/json"}
            h.update(headers or {})
            conn.request("POST", path, body=body, headers=h)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def admin_get(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.admin_port, timeout=10)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def assert_still_serving(self):
        with open(DEMO_REQUEST, "rb") as f:
            status, _, _ = self.post(f.read())
        self.assertEqual(status, 200)
        self.assertTrue(self.server.alive())

    def check_bid_response(self, request, body):
        response = json.loads(body)
        self.assertEqual(response["id"], request["id"])
        self.assertEqual(response.get("cur", "USD"), "USD")
        imps = {imp["id"]: imp for imp in request["imp"]}
        bids = [bid for seat in response["seatbid"] for bid in seat["bid"]]
        self.assertTrue(bids)
        for bid in bids:
            self.assertIn(bid["impid"], imps)
            imp = imps[bid["impid"]]
            self.assertEqual(imp.get("bidfloorcur", "USD"), "USD")
            self.assertGreaterEqual(bid["price"], imp.get("bidfloor", 0))
            for field in ("id", "adm", "crid", "cid", "nurl", "burl", "lurl", "mtype"):
                self.assertIn(field, bid)
            self.assertIn("${AUCTION_PRICE}", bid["nurl"])
            self.assertIn("${AUCTION_LOSS}", bid["lurl"])

    def test_readyz_and_metrics(self):
        status, _ = self.admin_get("/readyz")
        self.assertEqual(status, 200)
        status, body = self.admin_get("/metrics")
        self.assertEqual(status, 200)
        self.assertIn(b"vetrina_requests_total", body)

    def test_demo_request_gets_a_bid(self):
        with open(DEMO_REQUEST, "rb") as f:
            raw = f.read()
        status, headers, body = self.post(raw)
        self.assertEqual(status, 200)
        self.check_bid_response(json.loads(raw), body)

    def test_every_shared_fixture(self):
        seen_valid = seen_invalid = bids = 0
        for path in fixture_files():
            name = os.path.basename(path)
            with self.subTest(fixture=name):
                with open(path, "rb") as f:
                    raw = f.read()
                status, headers, body = self.post(raw)
                if name in INVALID_FIXTURES:
                    seen_invalid += 1
                    self.assertEqual(status, 400, body)
                    self.assertIn("error", json.loads(body))
                    continue
                seen_valid += 1
                self.assertIn(status, (200, 204), body)
                if status == 200:
                    bids += 1
                    self.check_bid_response(json.loads(raw), body)
                else:
                    self.assertEqual(body, b"")
        self.assertEqual(seen_invalid, len(INVALID_FIXTURES))
        self.assertGreater(seen_valid, 40)
        self.assertGreater(bids, 10)  # the demo campaigns cover banner, video and native fixtures

    def test_a_broken_imp_is_left_out_not_a_400(self):
        # The shape of Prebid Server's multiformat-impression adapter case: a banner imp, a video
        # imp, and an imp whose native request is broken.
        with open(DEMO_REQUEST, "rb") as f:
            request = json.load(f)
        banner = request["imp"][0]
        video = {"id": "video-1", "video": {"mimes": ["video/mp4"], "w": 640, "h": 480,
                                             "minduration": 5, "maxduration": 30}}
        for broken in ({"id": "native-1", "native": {"request": "{\"assets\": [{\"id\": 1"}},
                       {"id": "native-1", "native": {}},
                       {"id": "native-1", "native": {"request": "{\"assets\": []}"}}):
            with self.subTest(broken=broken):
                request["imp"] = [banner, video, broken]
                status, _, body = self.post(json.dumps(request).encode())
                self.assertIn(status, (200, 204), body)
                if status == 200:
                    self.check_bid_response(request, body)
                    impids = {bid["impid"] for seat in json.loads(body)["seatbid"]
                              for bid in seat["bid"]}
                    self.assertNotIn("native-1", impids)
        _, metrics = self.admin_get("/metrics")
        self.assertIn(b'vetrina_imps_dropped_total{reason="malformed"} ', metrics)
        self.assertNotIn(b'vetrina_imps_dropped_total{reason="incomplete"} 0\n', metrics)

    def test_request_conformance(self):
        with open(DEMO_REQUEST, "rb") as f:
            demo = json.load(f)
        imp = json.dumps(demo["imp"][0])
        cases = {
            # RFC 8259 §4 / OpenRTB 2.6 §3.2.1: the exchange's parser may keep the other imp.
            "imp given twice": (b'{"id":"dup","imp":[' + imp.encode() + b'],"imp":[' +
                                imp.replace('"1"', '"2"').encode() + b']}', 400,
                                b'duplicate member \\"imp\\"'),
            # OpenRTB 2.6 §3.2.2: ext is exchange-specific; a string there is not our business.
            "source.ext a string": (json.dumps(dict(demo, source={"ext": "test-ext"})).encode(),
                                    200, None),
            # OpenRTB 2.6 §3.2.4: the same for imp.ext.
            "imp.ext empty": (json.dumps(dict(demo, imp=[dict(demo["imp"][0], ext="")])).encode(),
                              200, None),
        }
        for name, (body, expected, fragment) in cases.items():
            with self.subTest(case=name):
                status, _, answer = self.post(body)
                self.assertEqual(status, expected, answer)
                if fragment:
                    self.assertIn(fragment, answer)
        _, metrics = self.admin_get("/metrics")
        self.assertNotIn(b"vetrina_request_ext_ignored_total 0\n", metrics)

    def test_thousands_of_imps_get_a_bounded_answer(self):
        with open(DEMO_REQUEST, "rb") as f:
            request = json.load(f)
        request["imp"] = [{"id": str(i), "banner": {"w": 320, "h": 50}} for i in range(4500)]
        status, _, body = self.post(json.dumps(request, separators=(",", ":")).encode())
        self.assertEqual(status, 200, body[:200])
        bids = [bid for seat in json.loads(body)["seatbid"] for bid in seat["bid"]]
        self.assertLessEqual(len(bids), 16)  # --max-bids-per-response's default
        self.assertTrue(all(int(bid["impid"]) < 32 for bid in bids))  # --max-imps-per-request
        per_campaign = {}
        for bid in bids:
            per_campaign[bid["cid"]] = per_campaign.get(bid["cid"], 0) + 1
        self.assertLessEqual(max(per_campaign.values()), 2)  # --max-bids-per-campaign
        self.assertLess(len(body), 64 * 1024)

    def test_gzip_request_and_response(self):
        with open(DEMO_REQUEST, "rb") as f:
            raw = f.read()
        status, headers, body = self.post(
            gzip.compress(raw), {"Content-Encoding": "gzip", "Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        if headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.check_bid_response(json.loads(raw), body)

    def test_malformed_bodies(self):
        valid = b'{"id":"r","imp":[{"id":"1","banner":{"w":320,"h":50}}]}'
        cases = {
            "truncated": (valid[:25], {}, 400),
            "wrong type": (b'{"id":"r","imp":[{"id":"1","banner":{"w":"320","h":50}}]}', {}, 400),
            "deep nesting": (b'{"id":"r","imp":[],"ext":' + b"[" * 10000 + b"]" * 10000 + b"}",
                             {}, 400),
            "invalid utf-8": (b'{"id":"r\xff\xfe","imp":[{"id":"1","banner":{}}]}', {}, 400),
            "bad gzip": (b"definitely not gzip", {"Content-Encoding": "gzip"}, 400),
            "gzip bomb": (gzip.compress(b" " * (16 * 1024 * 1024)), {"Content-Encoding": "gzip"},
                          413),
            "oversize body": (b" " * (300 * 1024), {}, 413),
            "not json": (b"hello", {}, 400),
            "empty": (b"", {}, 400),
        }
        for name, (body, headers, expected) in cases.items():
            with self.subTest(case=name):
                try:
                    status, _, _ = self.post(body, headers)
                except (ConnectionError, http.client.HTTPException):
                    # The server may close before reading an oversize body; that is a refusal too.
                    status = expected if expected == 413 else None
                self.assertEqual(status, expected)
                self.assert_still_serving()

    def test_slow_headers_are_cut_off(self):
        sock = socket.create_connection(("127.0.0.1", self.server.public_port))
        sock.settimeout(15)
        sock.sendall(b"POST /openrtb2/bid HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        self.assert_still_serving()  # others are served while the slow client dawdles
        data = sock.recv(1024)  # the read timeout closes the connection
        self.assertEqual(data, b"")
        self.assertLess(time.monotonic() - started, 12)
        sock.close()

    def test_many_concurrent_keepalive_connections(self):
        with open(DEMO_REQUEST, "rb") as f:
            raw = f.read()
        conns = [http.client.HTTPConnection("127.0.0.1", self.server.public_port, timeout=10)
                 for _ in range(50)]
        for _ in range(3):
            for c in conns:
                c.request("POST", "/openrtb2/bid", body=raw)
            for c in conns:
                r = c.getresponse()
                r.read()
                self.assertEqual(r.status, 200)
        for c in conns:
            c.close()


class ShutdownTest(unittest.TestCase):
    def test_sigterm_exits_zero_quickly(self):
        server = VetrinaProcess(BINARY, CAMPAIGNS_DIR)
        idle = socket.create_connection(("127.0.0.1", server.public_port))  # an idle keep-alive
        started = time.monotonic()
        code = server.stop(signal.SIGTERM, timeout=10)
        self.assertEqual(code, 0)
        self.assertLess(time.monotonic() - started, 5)
        idle.close()

    def test_bad_flags_fail_fast(self):
        import subprocess
        result = subprocess.run([BINARY, "serve", "--threads", "zero"], capture_output=True,
                                text=True, timeout=10)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--threads", result.stderr)


if __name__ == "__main__":
    unittest.main()
