"""Money over real HTTP: signed, idempotent, durable notices; budgets that hold under concurrent
load and across kill -9; frequency caps (nbr 9); currencies and floors set through the admin API.
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
import urllib.parse

from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]

BUDGET_MICROS = 500_000  # the loaded campaign's lifetime budget: 0.50 USD


def write_campaigns(directory):
    campaigns = [
        {"id": "m-budget", "advertiser": "money", "status": "active",
         "budget": {"lifetime": BUDGET_MICROS / 1e6}, "pacing": "asap",
         "bid": {"strategy": "cpm", "max_bid": 2.0},
         "creatives": [{"id": "b", "kind": "banner", "w": 320, "h": 50,
                        "markup": "<a href=\"${VETRINA_CLICK_URL}\">ad</a>",
                        "landing": "https://shop.example/landing"}]},
        {"id": "m-capped", "advertiser": "money", "status": "active",
         "bid": {"strategy": "cpm", "max_bid": 1.0},
         "frequency_caps": [{"max": 1, "per": "day"}],
         "creatives": [{"id": "w", "kind": "banner", "w": 728, "h": 90, "markup": "<img>"}]},
    ]
    for c in campaigns:
        with open(os.path.join(directory, c["id"] + ".json"), "w") as f:
            json.dump(c, f)


def bid_request(ifa, size=(320, 50), cur=None, floor=0.8, floor_cur="USD"):
    r = {"id": "req-" + ifa[:8], "at": 2,
         "imp": [{"id": "1", "bidfloor": floor, "bidfloorcur": floor_cur,
                  "banner": {"w": size[0], "h": size[1]}}],
         "app": {"bundle": "com.example.game"},
         "device": {"os": "android", "devicetype": 4, "ifa": ifa}}
    if cur:
        r["cur"] = cur
    return r


def random_ifa(rng):
    return "%08x-%04x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                          rng.getrandbits(16), rng.getrandbits(16),
                                          rng.getrandbits(48))


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
        resp = resp_ = self.conn.getresponse()
        data = resp_.read()
        return resp.status, data, dict(resp.getheaders())

    def bid(self, request):
        status, data, _ = self.request("POST", "/openrtb2/bid", request)
        return status, (json.loads(data) if data else None)

    def notice(self, url, price=None):
        """GETs a notice URL (the exchange's side), substituting ${AUCTION_PRICE} when given."""
        if price is not None:
            url = url.replace("${AUCTION_PRICE}", "%.6f" % price)
        parts = urllib.parse.urlsplit(url)
        status, data, headers = self.request("GET", parts.path + "?" + parts.query)
        return status, (json.loads(data) if data and data.startswith(b"{") else data), headers

    def close(self):
        self.conn.close()


def tracker(adm, kind):
    start = adm.index("/ev/%s?t=" % kind)
    end = min(i for i in (adm.find('"', start), len(adm)) if i >= 0)
    return "http://x" + adm[start:end]


class MoneyTest(unittest.TestCase):
    def setUp(self):
        self.campaigns_dir = tempfile.mkdtemp(prefix="vetrina-money-campaigns-")
        write_campaigns(self.campaigns_dir)
        self.server = VetrinaProcess(BINARY, self.campaigns_dir)
        self.client = Client(self.server.public_port)
        self.admin = Client(self.server.admin_port)
        self.token = self.server.admin_token()

    def tearDown(self):
        self.client.close()
        self.admin.close()
        self.server.stop()
        shutil.rmtree(self.server.data_dir, ignore_errors=True)
        shutil.rmtree(self.campaigns_dir, ignore_errors=True)

    def stats(self, campaign_id, admin=None):
        status, data, _ = (admin or self.admin).request(
            "GET", "/v1/campaigns/%s/stats" % campaign_id, token=self.token)
        self.assertEqual(status, 200, data)
        return json.loads(data)

    def test_notices_are_signed_idempotent_and_counted_once(self):
        status, response = self.client.bid(bid_request(random_ifa(random.Random(1))))
        self.assertEqual(status, 200)
        bid = response["seatbid"][0]["bid"][0]
        self.assertEqual(bid["cid"], "m-budget")
        self.assertEqual(bid["price"], 0.81)  # lone bidder, second price: floor + 0.01

        # A forged or altered token moves no money.
        token = urllib.parse.parse_qs(urllib.parse.urlsplit(bid["nurl"]).query)["t"][0]
        altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        for url in (bid["nurl"].replace(token, altered), bid["nurl"].replace(token, "forged")):
            status, _, _ = self.client.notice(url, price=0.5)
            self.assertEqual(status, 403)
        # A price above our bid is refused.
        status, body, _ = self.client.notice(bid["nurl"], price=0.82)
        self.assertEqual(status, 400, body)

        status, body, _ = self.client.notice(bid["nurl"], price=0.5)
        self.assertEqual((status, body["status"], body["charged_micros"]), (200, "charged", 500))
        # The billing notice counts the impression and charges nothing more; a repeated win or
        # bill, a late loss and the impression tracker change nothing.
        status, body, _ = self.client.notice(bid["burl"], price=0.5)
        self.assertEqual((status, body["status"], body["charged_micros"],
                          body["bid_charged_micros"]), (200, "counted", 0, 500))
        for url in (bid["burl"], bid["nurl"], bid["lurl"], tracker(bid["adm"], "imp")):
            status, body, _ = self.client.notice(url, price=0.5)
            self.assertEqual((status, body["status"], body["bid_charged_micros"]),
                             (200, "duplicate", 500))
        # The ad's trackers carry their own token, which can report nothing about money: an app
        # or user reading the markup cannot claim a win, set a price or release a bid.
        ad_token = urllib.parse.parse_qs(urllib.parse.urlsplit(tracker(bid["adm"], "imp")).query)["t"][0]
        self.assertNotEqual(ad_token, token)
        for kind in ("win", "bill", "loss"):
            status, _, _ = self.client.notice("http://x/ev/%s?t=%s&p=0" % (kind, ad_token))
            self.assertEqual(status, 403)
        status, _, _ = self.client.notice("http://x/ev/imp?t=" + token)
        self.assertEqual(status, 403)
        status, _, headers = self.client.notice(tracker(bid["adm"], "click"))
        self.assertEqual(status, 302)
        self.assertEqual(headers["Location"], "https://shop.example/landing")
        self.assertIn("/ev/click?t=", bid["adm"])  # the click macro was filled in

        stats = self.stats("m-budget")
        self.assertEqual((stats["bids"], stats["wins"], stats["impressions"], stats["clicks"]),
                         (1, 1, 1, 1))
        self.assertEqual(stats["spend_lifetime_micros"], 500)
        self.assertEqual(stats["budget_left_lifetime_micros"], BUDGET_MICROS - 500)
        self.assertEqual(stats["win_rate"], 1)
        self.assertEqual(stats["ctr"], 1)
        self.assertEqual(stats["ecpm"], 0.5)

    def test_a_loss_releases_the_reservation(self):
        status, response = self.client.bid(bid_request(random_ifa(random.Random(2))))
        self.assertEqual(status, 200)
        bid = response["seatbid"][0]["bid"][0]
        self.assertEqual(self.stats("m-budget")["reserved_lifetime_micros"], 810)
        status, body, _ = self.client.notice(bid["lurl"].replace("${AUCTION_LOSS}", "102"))
        self.assertEqual((status, body["status"]), (200, "counted"))
        self.assertEqual(self.stats("m-budget")["reserved_lifetime_micros"], 0)

    def test_a_capped_user_gets_nbr_9(self):
        ifa = random_ifa(random.Random(3))
        status, response = self.client.bid(bid_request(ifa, size=(728, 90)))
        self.assertEqual(status, 200)
        bid = response["seatbid"][0]["bid"][0]
        self.assertEqual(bid["cid"], "m-capped")
        # Not capped until an impression is counted.
        self.assertEqual(self.client.bid(bid_request(ifa, size=(728, 90)))[0], 200)
        status, body, _ = self.client.notice(tracker(bid["adm"], "imp"))
        self.assertEqual(status, 200, body)
        status, response = self.client.bid(bid_request(ifa, size=(728, 90)))
        self.assertEqual((status, response["nbr"]), (200, 9))
        # Another user is not capped.
        self.assertEqual(self.client.bid(bid_request(random_ifa(random.Random(4)),
                                                     size=(728, 90)))[0], 200)

    def test_currencies_and_floors_from_the_admin_api(self):
        ifa = random_ifa(random.Random(5))
        # No EUR rate yet: a request that pays only in EUR gets no bid.
        self.assertEqual(self.client.bid(bid_request(ifa, cur=["EUR"]))[0], 204)
        status, data, _ = self.admin.request("PUT", "/v1/currencies",
                                             {"rates": {"EUR": 0.5}}, self.token)
        self.assertEqual(status, 200, data)
        status, response = self.client.bid(bid_request(ifa, cur=["EUR"], floor=0.3,
                                                       floor_cur="EUR"))
        self.assertEqual(status, 200)
        self.assertEqual(response["cur"], "EUR")
        # Floor 0.30 EUR = 0.60 USD; we bid 0.61 USD = 0.305 EUR.
        self.assertEqual(response["seatbid"][0]["bid"][0]["price"], 0.305)
        # A bad table is refused whole.
        status, data, _ = self.admin.request("PUT", "/v1/currencies", {"rates": {"eur": 1}},
                                             self.token)
        self.assertEqual(status, 400, data)

        status, data, _ = self.admin.request(
            "PUT", "/v1/floors", {"floors": [{"app": "com.example.game", "floor": 5}]},
            self.token)
        self.assertEqual(status, 200, data)
        self.assertEqual(self.client.bid(bid_request(ifa))[0], 204)
        # And the settings survive a restart.
        self.server.stop()
        self.server = VetrinaProcess(BINARY, self.campaigns_dir, data_dir=self.server.data_dir)
        self.client.close()
        self.client = Client(self.server.public_port)
        self.assertEqual(self.client.bid(bid_request(ifa))[0], 204)
        self.assertEqual(self.client.bid(bid_request(ifa, cur=["EUR"], floor=0.3,
                                                     floor_cur="EUR"))[0], 204)

    def test_spend_never_exceeds_budget_and_equals_acknowledged_notices_across_kill_9(self):
        lock = threading.Lock()
        failures = []         # assertion failures in the load threads, checked at the end
        charged_by_bid = {}   # bid id -> everything acknowledged as charged for it
        unanswered = []       # notice URLs whose answer was lost (the exchange retries them)
        stop = threading.Event()

        def record(bid_id, body):
            with lock:
                charged_by_bid[bid_id] = max(charged_by_bid.get(bid_id, 0),
                                             body["bid_charged_micros"])

        def load(seed, port):
            rng = random.Random(seed)
            client = Client(port)
            try:
                while not stop.is_set():
                    status, response = client.bid(bid_request(random_ifa(rng)))
                    if status != 200:
                        continue
                    bid = response["seatbid"][0]["bid"][0]
                    notices = []
                    roll = rng.random()
                    if roll < 0.6:
                        price = rng.choice([None, round(rng.uniform(0.1, bid["price"]), 6)])
                        notices.append(bid["nurl"] if price is None
                                       else bid["nurl"].replace("${AUCTION_PRICE}", "%.6f" % price))
                        if rng.random() < 0.5:
                            notices.append(bid["burl"].replace("${AUCTION_PRICE}", "%.6f" % bid["price"]))
                    elif roll < 0.85:
                        notices.append(bid["lurl"])
                    # else: no notice at all; the reservation times out
                    for i, url in enumerate(notices):
                        try:
                            status, body, _ = client.notice(url)
                        except (OSError, http.client.HTTPException):
                            with lock:
                                unanswered.extend((bid["id"], u) for u in notices[i:])
                            return
                        if status != 200:
                            with lock:
                                failures.append((url, status, body))
                            return
                        record(bid["id"], body)
            except (OSError, http.client.HTTPException):
                return
            finally:
                client.close()

        def run_load(port, seconds, seed):
            threads = [threading.Thread(target=load, args=(seed + i, port)) for i in range(6)]
            for t in threads:
                t.start()
            time.sleep(seconds)
            return threads

        threads = run_load(self.server.public_port, 1.5, 100)
        self.server.stop(signal.SIGKILL)  # in the middle of bids and notices
        for t in threads:
            t.join()
        self.assertGreater(len(charged_by_bid), 20)

        self.server = VetrinaProcess(BINARY, self.campaigns_dir, data_dir=self.server.data_dir)
        self.admin.close()
        self.admin = Client(self.server.admin_port)
        # The exchange retries the notices that got no answer: each counts at most once.
        retry = Client(self.server.public_port)
        for bid_id, url in unanswered:
            status, body, _ = retry.notice(url)
            self.assertEqual(status, 200, body)
            record(bid_id, body)
        retry.close()

        stop.clear()
        threads = run_load(self.server.public_port, 2.0, 200)
        stop.set()
        for t in threads:
            t.join()

        self.assertEqual(failures, [])
        stats = self.stats("m-budget")
        print("\nafter kill -9 and restart:", json.dumps(stats), "acknowledged bids:",
              len(charged_by_bid), "retried notices:", len(unanswered))
        self.assertLessEqual(stats["spend_lifetime_micros"] + stats["reserved_lifetime_micros"],
                             BUDGET_MICROS)
        # The load ran the budget out: the limit, not the test's length, stopped the spending.
        self.assertGreater(stats["spend_lifetime_micros"] + stats["reserved_lifetime_micros"],
                           BUDGET_MICROS - 1000)
        self.assertEqual(stats["spend_lifetime_micros"], sum(charged_by_bid.values()))
        # And the restart after a clean stop restores exactly that spend.
        spent = stats["spend_lifetime_micros"]
        self.server.stop()
        self.server = VetrinaProcess(BINARY, self.campaigns_dir, data_dir=self.server.data_dir)
        self.admin.close()
        self.admin = Client(self.server.admin_port)
        self.assertEqual(self.stats("m-budget")["spend_lifetime_micros"], spent)


if __name__ == "__main__":
    unittest.main()
