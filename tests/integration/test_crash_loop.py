"""Crash recovery: the bidder is SIGKILLed at random moments while campaigns are pushed,
audience members uploaded and win notices sent, then restarted on the same data dir, again and
again. After each restart everything acknowledged is there: every pushed campaign, a sample of
the uploaded users (they win the campaign that targets their audience), and the spend, which
equals what the acknowledged notices charged and never exceeds the budget.

CRASH_LOOP_ITERATIONS (default 10; `make crash-loop` runs 100) sets how many kills.
"""
import http.client
import json
import os
import random
import shutil
import signal
import tempfile
import threading
import time
import unittest

from test_money import Client, bid_request, random_ifa
from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
ITERATIONS = int(os.environ.get("CRASH_LOOP_ITERATIONS", "10"))
BUDGET_MICROS = 2_000_000


def call(port, method, path, token, body=None, raw=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        conn.request(method, path, body=data, headers={"Authorization": "Bearer " + token})
        resp = conn.getresponse()
        payload = resp.read()
        return resp.status, (json.loads(payload) if payload.startswith(b"{") else None)
    finally:
        conn.close()


def banner(cid, max_bid, **extra):
    c = {"id": cid, "advertiser": "loop", "status": "active",
         "bid": {"strategy": "cpm", "max_bid": max_bid},
         "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}]}
    c.update(extra)
    return c


class CrashLoopTest(unittest.TestCase):
    def test_nothing_acknowledged_is_lost_and_no_budget_is_exceeded(self):
        campaigns_dir = tempfile.mkdtemp(prefix="vetrina-crash-")
        with open(os.path.join(campaigns_dir, "spend.json"), "w") as f:
            json.dump(banner("spend", 2.0, budget={"lifetime": BUDGET_MICROS / 1e6},
                             pacing="asap"), f)
        server = VetrinaProcess(BINARY, campaigns_dir)
        data_dir = server.data_dir
        admin = server.admin_token()
        status, body = call(server.admin_port, "POST", "/v1/advertisers", admin, {"id": "loop"})
        self.assertEqual(status, 201, body)
        token = body["token"]
        self.assertEqual(call(server.admin_port, "PUT", "/v1/audiences/loopers", token,
                              {"name": "m", "kind": "custom", "ttl_days": 30})[0], 201)
        # Outbids "spend" for members of the audience; used to check uploads survived.
        self.assertEqual(call(server.admin_port, "PUT", "/v1/campaigns/audience", token,
                              banner("audience", 9.0,
                                     targeting={"audiences": {"any_of": ["loopers"]}}))[0], 201)

        rng = random.Random(1)
        pushed = set()        # acknowledged campaign ids
        uploaded = []         # acknowledged member ids
        charged = {}          # bid id -> everything acknowledged as charged for it
        unanswered = []       # notices without an answer, retried after the restart
        lock = threading.Lock()
        try:
            for iteration in range(ITERATIONS):
                stop = threading.Event()
                ports = (server.public_port, server.admin_port)

                def push(seed):
                    r = random.Random(seed)
                    while not stop.is_set():
                        cid = "c-%d-%d" % (iteration, r.randrange(10**9))
                        try:
                            status, _ = call(ports[1], "PUT", "/v1/campaigns/" + cid, token,
                                             banner(cid, 0.5), timeout=5)
                        except (OSError, http.client.HTTPException):
                            return
                        if status in (200, 201):
                            with lock:
                                pushed.add(cid)

                def upload(seed):
                    r = random.Random(seed)
                    while not stop.is_set():
                        ids = [random_ifa(r) for _ in range(200)]
                        try:
                            status, _ = call(ports[1], "POST", "/v1/audiences/loopers/members",
                                             token, raw="\n".join(ids) + "\n", timeout=5)
                        except (OSError, http.client.HTTPException):
                            return
                        if status == 200:
                            with lock:
                                uploaded.extend(ids)

                def notices(seed):
                    r = random.Random(seed)
                    client = Client(ports[0])
                    try:
                        while not stop.is_set():
                            status, response = client.bid(bid_request(random_ifa(r)))
                            if status != 200:
                                continue
                            bid = response["seatbid"][0]["bid"][0]
                            if bid["cid"] != "spend":
                                continue
                            url = bid["nurl"].replace("${AUCTION_PRICE}", "%.6f" % bid["price"])
                            try:
                                status, body, _ = client.notice(url)
                            except (OSError, http.client.HTTPException):
                                with lock:
                                    unanswered.append((bid["id"], url))
                                return
                            if status == 200:
                                with lock:
                                    charged[bid["id"]] = max(charged.get(bid["id"], 0),
                                                             body["bid_charged_micros"])
                    except (OSError, http.client.HTTPException):
                        return
                    finally:
                        client.close()

                threads = [threading.Thread(target=push, args=(iteration * 10 + 1,)),
                           threading.Thread(target=upload, args=(iteration * 10 + 2,)),
                           threading.Thread(target=notices, args=(iteration * 10 + 3,)),
                           threading.Thread(target=notices, args=(iteration * 10 + 4,))]
                for t in threads:
                    t.start()
                time.sleep(rng.uniform(0.2, 0.8))
                server.stop(signal.SIGKILL)
                stop.set()
                for t in threads:
                    t.join()

                server = VetrinaProcess(BINARY, campaigns_dir, data_dir=data_dir)
                # The exchange retries notices that got no answer; each counts at most once.
                retry = Client(server.public_port)
                for bid_id, url in unanswered:
                    status, body, _ = retry.notice(url)
                    self.assertEqual(status, 200, body)
                    charged[bid_id] = max(charged.get(bid_id, 0), body["bid_charged_micros"])
                retry.close()
                unanswered.clear()

                for cid in list(pushed)[-50:]:
                    status, _ = call(server.admin_port, "GET", "/v1/campaigns/" + cid, token)
                    self.assertEqual(status, 200, "iteration %d: acknowledged %s lost" %
                                     (iteration, cid))
                status, stats = call(server.admin_port, "GET", "/v1/campaigns/spend/stats", admin)
                self.assertEqual(status, 200)
                self.assertLessEqual(stats["spend_lifetime_micros"] +
                                     stats["reserved_lifetime_micros"], BUDGET_MICROS)
                self.assertEqual(stats["spend_lifetime_micros"], sum(charged.values()),
                                 "iteration %d" % iteration)
                # Acknowledged members: each of a sample wins the audience campaign.
                client = Client(server.public_port)
                for ifa in rng.sample(uploaded, min(10, len(uploaded))):
                    deadline = time.monotonic() + 5
                    while True:  # the campaign set is published a moment after start
                        status, response = client.bid(bid_request(ifa))
                        if status == 200 and response["seatbid"][0]["bid"][0]["cid"] == "audience":
                            break
                        self.assertLess(time.monotonic(), deadline,
                                        "iteration %d: member %s lost" % (iteration, ifa))
                        time.sleep(0.05)
                client.close()
            self.assertGreater(len(pushed), ITERATIONS)
            self.assertGreater(len(uploaded), ITERATIONS * 200)
            self.assertGreater(len(charged), 0)
        finally:
            server.stop()
            shutil.rmtree(data_dir, ignore_errors=True)
            shutil.rmtree(campaigns_dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
