"""Hostile connections do not starve other clients: while thousands of idle connections and
hundreds that trickle a request one byte at a time hold the public listener, an ordinary client
is still served promptly, and the slow ones are cut off by the read timeout.
"""
import http.client
import json
import os
import socket
import threading
import time
import unittest

from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
CAMPAIGNS_DIR = os.path.join(SOURCE_DIR, "schemas", "examples")
IDLE = 3000
TRICKLING = 300


class OverloadTest(unittest.TestCase):
    def test_idle_and_byte_by_byte_connections_do_not_stop_others(self):
        server = VetrinaProcess(BINARY, CAMPAIGNS_DIR)
        idle, slow = [], []
        stop = threading.Event()
        try:
            for _ in range(IDLE):
                idle.append(socket.create_connection(("127.0.0.1", server.public_port)))
            request = (b"POST /openrtb2/bid HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                       b"\r\nContent-Length: 2\r\n\r\n{}")
            for _ in range(TRICKLING):
                slow.append(socket.create_connection(("127.0.0.1", server.public_port)))
            cut_off = [0]

            def trickle():
                sent = 0
                while not stop.is_set() and sent < len(request):
                    for s in slow:
                        try:
                            s.send(request[sent:sent + 1])
                        except OSError:
                            pass
                    sent += 1
                    time.sleep(0.2)  # the whole request would take 15 s: past the read timeout

            trickler = threading.Thread(target=trickle)
            trickler.start()
            with open(os.path.join(SOURCE_DIR, "docs", "examples", "bid-request.json")) as f:
                body = f.read()
            latencies = []
            conn = http.client.HTTPConnection("127.0.0.1", server.public_port, timeout=10)
            for _ in range(300):
                started = time.monotonic()
                conn.request("POST", "/openrtb2/bid", body=body,
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                latencies.append(time.monotonic() - started)
                self.assertIn(resp.status, (200, 204))
                time.sleep(0.01)
            conn.close()
            latencies.sort()
            p99 = latencies[int(0.99 * len(latencies)) - 1]
            self.assertLess(p99, 0.05, "p99 %.1f ms while %d idle and %d trickling connections "
                            "were open" % (p99 * 1000, IDLE, TRICKLING))
            # The trickling connections are closed by the 5 s read timeout.
            deadline = time.monotonic() + 10
            for s in slow:
                s.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b"timeout"
                if data == b"" or data.startswith(b"HTTP/1.1 408") or data.startswith(b"HTTP/1.1 400"):
                    cut_off[0] += 1
            self.assertEqual(cut_off[0], TRICKLING)
            stop.set()
            trickler.join()
        finally:
            stop.set()
            for s in idle + slow:
                s.close()
            server.stop()


if __name__ == "__main__":
    unittest.main()
