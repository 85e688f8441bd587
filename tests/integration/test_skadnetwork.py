"""SKAdNetwork over real HTTP: with --skadnetwork-id and the key in the data dir, an iOS bid
request listing our id gets bid.ext.skadn whose every signature `openssl dgst -sha256 -verify`
accepts against the public key, over Apple's field layout; a request not listing our id gets no
skadn; a server without the key answers no skadn and says so once at start.
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from test_admin_api import call
from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
FIXTURES = os.path.join(os.environ["VETRINA_FIXTURES_DIR"], "skadnetwork")
OURS = "example123.skadnetwork"
SEPARATOR = "\u2063"
CAMPAIGN = {"id": "app-install", "advertiser": "games", "status": "active",
            "bid": {"strategy": "cpm", "max_bid": 3},
            "itunesitem": "123456789", "skadn_campaign": 45, "skadn_source_identifier": 4321,
            "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}]}


def bid_request(network_ids=(OURS,), os_name="iOS", versions=("2.2", "3.0", "4.0")):
    return {"id": "r", "imp": [{"id": "1", "banner": {"w": 320, "h": 50},
                                "ext": {"skadn": {"versions": list(versions),
                                                  "sourceapp": "880047117",
                                                  "skadnetids": list(network_ids)}}}],
            "app": {"bundle": "880047117"}, "device": {"os": os_name, "ip": "203.0.113.7"}}


def apple_message(skadn, fidelity):
    """Apple's layout: 4.0 signs the source identifier where 2.2 and 3.0 sign the campaign id."""
    identifier = skadn["sourceidentifier"] if skadn["version"] == "4.0" else skadn["campaign"]
    return SEPARATOR.join([skadn["version"], skadn["network"], identifier, skadn["itunesitem"],
                           fidelity["nonce"], skadn["sourceapp"], str(fidelity["fidelity"]),
                           fidelity["timestamp"]])


def openssl_verifies(message, signature_base64):
    with tempfile.TemporaryDirectory() as tmp:
        message_path = os.path.join(tmp, "message")
        signature_path = os.path.join(tmp, "signature")
        with open(message_path, "wb") as f:
            f.write(message.encode("utf-8"))
        with open(signature_path, "wb") as f:
            f.write(base64.b64decode(signature_base64))
        result = subprocess.run(
            ["openssl", "dgst", "-sha256", "-verify", os.path.join(FIXTURES, "test-key.pub.pem"),
             "-signature", signature_path, message_path], capture_output=True, text=True)
        return result.returncode == 0 and "Verified OK" in result.stdout


def start(with_key):
    campaigns = tempfile.mkdtemp(prefix="vetrina-skadn-campaigns-")
    with open(os.path.join(campaigns, "app-install.json"), "w") as f:
        json.dump(CAMPAIGN, f)
    data_dir = tempfile.mkdtemp(prefix="vetrina-skadn-data-")
    if with_key:
        shutil.copy(os.path.join(FIXTURES, "test-key.pem"), os.path.join(data_dir, "skadnetwork.pem"))
    server = VetrinaProcess(BINARY, campaigns, data_dir=data_dir,
                            extra_args=["--skadnetwork-id", OURS])
    deadline = time.monotonic() + 5
    while call(server.public_port, "POST", "/openrtb2/bid", None, bid_request())[0] != 200:
        assert time.monotonic() < deadline, "the campaign never went live"
        time.sleep(0.05)
    return server, campaigns


class SkadnetworkTest(unittest.TestCase):
    def setUp(self):
        self.dirs = []

    def serve(self, with_key):
        server, campaigns = start(with_key)
        self.dirs += [server.data_dir, campaigns]
        self.addCleanup(server.stop)
        return server

    def tearDown(self):
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)

    def skadn(self, server, request):
        status, body = call(server.public_port, "POST", "/openrtb2/bid", None, request)
        self.assertEqual(status, 200, body)
        return body["seatbid"][0]["bid"][0].get("ext", {}).get("skadn")

    def test_signatures_verify_for_every_version(self):
        server = self.serve(with_key=True)
        for versions, expected in ((("2.2",), "2.2"), (("2.2", "3.0"), "3.0"),
                                   (("2.2", "3.0", "4.0"), "4.0")):
            skadn = self.skadn(server, bid_request(versions=versions))
            self.assertIsNotNone(skadn, versions)
            self.assertEqual(skadn["version"], expected)
            self.assertEqual(skadn["network"], OURS)
            self.assertEqual(skadn["itunesitem"], "123456789")
            self.assertEqual([f["fidelity"] for f in skadn["fidelities"]], [0, 1])
            for fidelity in skadn["fidelities"]:
                self.assertTrue(openssl_verifies(apple_message(skadn, fidelity),
                                                 fidelity["signature"]), (expected, fidelity))
                # A signature over another message must not verify: the check can fail.
                tampered = dict(fidelity, nonce=fidelity["nonce"].upper())
                self.assertFalse(openssl_verifies(apple_message(skadn, tampered),
                                                  fidelity["signature"]))

    def test_no_skadn_when_not_ours_or_not_ios(self):
        server = self.serve(with_key=True)
        self.assertIsNone(self.skadn(server, bid_request(network_ids=("cdkw7geqsh.skadnetwork",))))
        self.assertIsNone(self.skadn(server, bid_request(os_name="android")))

    def test_no_key_no_skadn_logged_once(self):
        server = self.serve(with_key=False)
        self.assertIsNone(self.skadn(server, bid_request()))
        log = server.wait_for_output('"skadnetwork"')
        self.assertIsNotNone(log)
        self.assertEqual(log.count('"skadnetwork"'), 1)
        self.assertIn("no key at", log)


if __name__ == "__main__":
    unittest.main()
