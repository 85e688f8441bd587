"""The admin API over real HTTP: authentication and per-advertiser isolation, validation with
JSON pointers, dry runs, all-or-nothing batches, durability across restarts and kill -9, and
changes reaching the bid path within a second.
"""
import http.client
import json
import os
import random
import signal
import threading
import time
import unittest

from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
CAMPAIGNS_DIR = os.path.join(SOURCE_DIR, "schemas", "examples")


def call(port, method, path, token=None, body=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, (json.loads(data) if data else None)
    finally:
        conn.close()


def campaign(cid, advertiser, bundle=None, max_bid=2.0):
    c = {"id": cid, "advertiser": advertiser, "status": "active",
         "bid": {"strategy": "cpm", "max_bid": max_bid},
         "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}]}
    if bundle:
        c["targeting"] = {"app_bundle": {"include": [bundle]}}
    return c


def bid_request(bundle):
    return {"id": "r", "imp": [{"id": "1", "banner": {"w": 320, "h": 50}}],
            "app": {"bundle": bundle}, "device": {"os": "webos", "devicetype": 4}}


def list_all(port, token):
    ids, after = [], ""
    while True:
        status, body = call(port, "GET", "/v1/campaigns?limit=1000&after=" + after, token)
        assert status == 200, body
        ids += [c["id"] for c in body["campaigns"]]
        if "next_after" not in body:
            return ids
        after = body["next_after"]


class AdminApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = VetrinaProcess(BINARY, CAMPAIGNS_DIR)
        cls.admin = cls.server.admin_token()
        cls.port = cls.server.admin_port
        status, body = call(cls.port, "POST", "/v1/advertisers", cls.admin, {"id": "acme"})
        assert status == 201, body
        cls.acme = body["token"]
        status, body = call(cls.port, "POST", "/v1/advertisers", cls.admin, {"id": "globex"})
        cls.globex = body["token"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_admin_token_file_is_private(self):
        mode = os.stat(os.path.join(self.server.data_dir, "admin.token")).st_mode & 0o777
        self.assertEqual(mode, 0o600)
        self.assertIn("admin token (shown once", "".join(self.server.output))

    def test_no_or_bad_token_is_401(self):
        self.assertEqual(call(self.port, "GET", "/v1/campaigns")[0], 401)
        self.assertEqual(call(self.port, "GET", "/v1/campaigns", "vt_forged")[0], 401)
        self.assertEqual(call(self.port, "GET", "/v1/campaigns", self.acme + "x")[0], 401)

    def test_only_the_admin_creates_advertisers(self):
        self.assertEqual(call(self.port, "POST", "/v1/advertisers", self.acme, {"id": "x"})[0], 403)
        self.assertEqual(call(self.port, "POST", "/v1/advertisers", self.admin, {"id": "acme"})[0], 409)
        self.assertEqual(call(self.port, "POST", "/v1/advertisers", self.admin, {"id": "../x"})[0], 400)

    def test_an_advertiser_sees_and_changes_only_its_own_campaigns(self):
        self.assertEqual(call(self.port, "PUT", "/v1/campaigns/acme-own", self.acme,
                              campaign("acme-own", "acme"))[0], 201)
        self.assertEqual(call(self.port, "PUT", "/v1/campaigns/acme-own", self.acme,
                              campaign("acme-own", "acme", max_bid=3))[0], 200)
        # Globex cannot read, replace or delete it: to Globex it does not exist.
        self.assertEqual(call(self.port, "GET", "/v1/campaigns/acme-own", self.globex)[0], 404)
        self.assertEqual(call(self.port, "DELETE", "/v1/campaigns/acme-own", self.globex)[0], 404)
        self.assertEqual(call(self.port, "PUT", "/v1/campaigns/acme-own", self.globex,
                              campaign("acme-own", "globex"))[0], 404)
        # Nor create campaigns in Acme's name.
        self.assertEqual(call(self.port, "PUT", "/v1/campaigns/sneaky", self.globex,
                              campaign("sneaky", "acme"))[0], 403)
        self.assertNotIn("acme-own", list_all(self.port, self.globex))
        self.assertIn("acme-own", list_all(self.port, self.acme))
        self.assertIn("acme-own", list_all(self.port, self.admin))
        status, body = call(self.port, "GET", "/v1/campaigns/acme-own", self.acme)
        self.assertEqual((status, body["bid"]["max_bid"]), (200, 3))
        self.assertEqual(call(self.port, "DELETE", "/v1/campaigns/acme-own", self.acme)[0], 200)
        self.assertEqual(call(self.port, "GET", "/v1/campaigns/acme-own", self.acme)[0], 404)

    def test_invalid_campaigns_list_every_problem_and_keep_the_previous_version(self):
        good = campaign("acme-keep", "acme", max_bid=1.0)
        self.assertEqual(call(self.port, "PUT", "/v1/campaigns/acme-keep", self.acme, good)[0], 201)
        bad = campaign("acme-keep", "acme")
        bad["creatives"][0]["w"] = 0
        bad["status"] = "on"
        status, body = call(self.port, "PUT", "/v1/campaigns/acme-keep", self.acme, bad)
        self.assertEqual(status, 400)
        self.assertIn("/creatives/0/w: must be >= 1", body["problems"])
        self.assertIn("/status: must be one of active, paused, archived", body["problems"])
        self.assertEqual(call(self.port, "GET", "/v1/campaigns/acme-keep", self.acme)[1], good)
        # The URL id must match the body, and ids are checked.
        self.assertEqual(call(self.port, "PUT", "/v1/campaigns/other", self.acme, good)[0], 400)
        self.assertEqual(call(self.port, "GET", "/v1/campaigns/..%2Fetc", self.acme)[0], 400)
        self.assertEqual(call(self.port, "GET", "/v1/campaigns/" + "a" * 65, self.acme)[0], 400)
        self.assertEqual(call(self.port, "PUT", "/v1/campaigns/x", self.acme, "{not json")[0], 400)

    def test_dry_run_validates_without_applying(self):
        status, body = call(self.port, "PUT", "/v1/campaigns/acme-dry?dry_run=1", self.acme,
                            campaign("acme-dry", "acme"))
        self.assertEqual((status, body["dry_run"]), (200, True))
        self.assertEqual(call(self.port, "GET", "/v1/campaigns/acme-dry", self.acme)[0], 404)

    def test_batches_are_all_or_nothing(self):
        batch = [campaign(f"acme-b{i}", "acme") for i in range(5)]
        batch[3]["bid"]["max_bid"] = -1
        status, body = call(self.port, "POST", "/v1/campaigns:batch", self.acme, batch)
        self.assertEqual(status, 400)
        self.assertIn("/3/bid/max_bid: must be > 0", body["problems"])
        self.assertFalse(any(i.startswith("acme-b") for i in list_all(self.port, self.acme)))
        batch[3]["bid"]["max_bid"] = 1
        status, body = call(self.port, "POST", "/v1/campaigns:batch", self.acme, batch)
        self.assertEqual((status, body["stored"]), (200, 5))
        self.assertEqual(sum(i.startswith("acme-b") for i in list_all(self.port, self.acme)), 5)
        dup = [campaign("acme-d", "acme"), campaign("acme-d", "acme")]
        self.assertEqual(call(self.port, "POST", "/v1/campaigns:batch", self.acme, dup)[0], 400)

    def test_a_change_reaches_the_bid_path_within_a_second(self):
        bundle = "com.example.fresh%d" % random.randrange(10**9)
        status, _ = call(self.port, "PUT", "/v1/campaigns/acme-fresh", self.acme,
                         campaign("acme-fresh", "acme", bundle=bundle))
        self.assertEqual(status, 201)
        acknowledged = time.monotonic()
        while True:
            status, body = call(self.server.public_port, "POST", "/openrtb2/bid", None,
                                bid_request(bundle))
            if status == 200:
                self.assertEqual(body["seatbid"][0]["bid"][0]["cid"], "acme-fresh")
                break
            self.assertLess(time.monotonic() - acknowledged, 1.0, "not live within 1 s")
        self.assertEqual(call(self.port, "DELETE", "/v1/campaigns/acme-fresh", self.acme)[0], 200)
        deleted = time.monotonic()
        while call(self.server.public_port, "POST", "/openrtb2/bid", None,
                   bid_request(bundle))[0] != 204:
            self.assertLess(time.monotonic() - deleted, 1.0, "still bidding 1 s after delete")

    def test_cli_validates_and_pushes_with_the_same_checks(self):
        import subprocess
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            good = os.path.join(tmp, "good.json")
            bad = os.path.join(tmp, "bad.json")
            with open(good, "w") as f:
                json.dump(campaign("acme-cli", "acme"), f)
            broken = campaign("acme-cli-bad", "acme")
            broken["creatives"][0]["w"] = 0
            with open(bad, "w") as f:
                json.dump(broken, f)
            result = subprocess.run([os.environ["VETRINA_BINARY"], "campaigns", "validate", good, bad],
                                    capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode, 1)
            self.assertIn("OK " + good, result.stdout)
            self.assertIn("/creatives/0/w: must be >= 1", result.stdout)
            result = subprocess.run(
                [os.environ["VETRINA_BINARY"], "campaigns", "push", good, "--admin",
                 f"http://127.0.0.1:{self.port}", "--token", self.acme],
                capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode, 0, result.stdout)
            self.assertIn("PUSHED", result.stdout)
        self.assertEqual(call(self.port, "GET", "/v1/campaigns/acme-cli", self.acme)[0], 200)

    def test_explain_names_the_rule(self):
        self.assertEqual(call(self.port, "PUT", "/v1/campaigns/acme-explain", self.acme,
                              campaign("acme-explain", "acme", bundle="com.only.this"))[0], 201)
        time.sleep(0)  # explain reads the published snapshot; wait for it below
        deadline = time.monotonic() + 2
        while True:
            status, body = call(self.port, "POST", "/v1/debug/explain", self.acme,
                                bid_request("com.other"))
            self.assertEqual(status, 200)
            mine = {c["id"]: c for c in body["campaigns"]}
            if "acme-explain" in mine or time.monotonic() > deadline:
                break
        self.assertEqual(mine["acme-explain"]["reason"], "targeting_app_bundle")
        self.assertFalse(mine["acme-explain"]["eligible"])
        self.assertTrue(all(not c.startswith("demo-") for c in mine))  # only the caller's
        status, body = call(self.port, "POST", "/v1/debug/explain", self.acme,
                            bid_request("com.only.this"))
        mine = {c["id"]: c for c in body["campaigns"]}
        self.assertTrue(mine["acme-explain"]["eligible"])
        self.assertEqual(call(self.port, "POST", "/v1/debug/explain", self.acme, "{}")[0], 400)


class DurabilityTest(unittest.TestCase):
    def test_restart_restores_every_campaign(self):
        server = VetrinaProcess(BINARY, CAMPAIGNS_DIR)
        admin = server.admin_token()
        batch = [campaign(f"dur-{i}", "dur") for i in range(20)]
        self.assertEqual(call(server.admin_port, "POST", "/v1/campaigns:batch", admin, batch)[0], 200)
        self.assertEqual(call(server.admin_port, "DELETE", "/v1/campaigns/dur-7", admin)[0], 200)
        before = sorted(list_all(server.admin_port, admin))
        self.assertEqual(server.stop(signal.SIGTERM), 0)
        again = VetrinaProcess(BINARY, CAMPAIGNS_DIR, data_dir=server.data_dir)
        try:
            self.assertNotIn("admin token (shown once", "".join(again.output))
            self.assertEqual(sorted(list_all(again.admin_port, admin)), before)
            self.assertNotIn("dur-7", before)
        finally:
            again.stop()

    def test_kill_9_during_batch_pushes_loses_nothing_acknowledged_and_leaves_no_partial_batch(self):
        server = VetrinaProcess(BINARY, CAMPAIGNS_DIR)
        data_dir, admin = server.data_dir, server.admin_token()
        acknowledged = set()
        attempted = 0
        rng = random.Random(7)
        for round_ in range(6):
            stop = threading.Event()

            def push(port=server.admin_port, round_=round_):
                nonlocal attempted
                n = 0
                while not stop.is_set():
                    batch_id = f"k{round_}-{n}"
                    batch = [campaign(f"{batch_id}-{i}", "dur") for i in range(25)]
                    attempted += 1
                    try:
                        status, _ = call(port, "POST", "/v1/campaigns:batch", admin, batch,
                                         timeout=5)
                        if status == 200:
                            acknowledged.add(batch_id)
                    except (OSError, http.client.HTTPException):
                        return  # the server died mid-request: not acknowledged
                    n += 1

            pusher = threading.Thread(target=push)
            pusher.start()
            time.sleep(rng.uniform(0.05, 0.4))
            server.stop(signal.SIGKILL)
            stop.set()
            pusher.join()
            server = VetrinaProcess(BINARY, CAMPAIGNS_DIR, data_dir=data_dir)
            ids = set(list_all(server.admin_port, admin))
            batches = {}
            for cid in ids:
                if cid.startswith("k"):
                    batch_id, _, _ = cid.rpartition("-")
                    batches[batch_id] = batches.get(batch_id, 0) + 1
            for batch_id in acknowledged:
                self.assertEqual(batches.get(batch_id), 25, f"acknowledged {batch_id} lost")
            for batch_id, count in batches.items():
                self.assertEqual(count, 25, f"partial batch {batch_id}")
        server.stop()
        self.assertGreater(len(acknowledged), 6)


if __name__ == "__main__":
    unittest.main()
