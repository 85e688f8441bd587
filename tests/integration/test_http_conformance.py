"""HTTP/1.1 conformance of `vetrina serve` over real sockets on loopback.

Each row names the rule it checks. Requests are written byte by byte (no client library would
send most of them), and answers are read the same way, so a reset is told apart from a clean
close.
"""
import email.utils
import os
import re
import socket
import time
import unittest

from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
CAMPAIGNS_DIR = os.path.join(SOURCE_DIR, "schemas", "examples")
DEMO_REQUEST = os.path.join(SOURCE_DIR, "docs", "examples", "bid-request.json")
NO_BID_REQUEST = (b'{"id":"r","imp":[{"id":"1","banner":{"w":1,"h":1}}],'
                  b'"device":{"os":"ios","devicetype":4}}')
IMF_FIXDATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d "
                         r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
                         r"\d\d:\d\d:\d\d GMT$")

with open(DEMO_REQUEST, "rb") as f:
    DEMO = f.read()


def post(body, target="/openrtb2/bid", version="HTTP/1.1", fields=b"Host: x\r\n"):
    return (b"POST %s %s\r\n" % (target.encode(), version.encode()) + fields +
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


def chunked(body, transfer_encoding, version="HTTP/1.1", fields=b"Host: x\r\n"):
    return (b"POST /openrtb2/bid %s\r\n" % version.encode() + fields +
            b"Content-Type: application/json\r\nTransfer-Encoding: %s\r\n\r\n" %
            transfer_encoding + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")


class RawConnection:
    """One connection: sends bytes as they are, reads answers one at a time."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""

    def close(self):
        self.sock.close()

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("closed before a whole answer")
        self.buffer += data

    def read(self):
        """(status, headers with lower-cased names, body) of the next answer."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def reads_clean_eof(self):
        """True when the server closed in order: nothing more to read, then EOF, not a reset."""
        if self.buffer:
            return False
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return False


class HttpConformanceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = VetrinaProcess(BINARY, CAMPAIGNS_DIR)
        cls.port = cls.server.public_port

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def connect(self):
        conn = RawConnection(self.port)
        self.addCleanup(conn.close)
        return conn

    def test_conformance_table(self):
        # (rule, request, expected status, the server closes after the answer)
        rows = [
            ("RFC 9110 §6.6.1 Date on a 2xx (a bid)", post(DEMO), 200, False),
            ("RFC 9110 §6.6.1 Date on a 204 (no bid)", post(NO_BID_REQUEST), 204, False),
            ("RFC 9110 §6.6.1 Date on a 4xx from the handler", post(DEMO, "/nope"), 404, False),
            ("RFC 9110 §6.6.1 Date on a 4xx from the server", b"GET / HTTP/9.9\r\n\r\n", 400,
             True),
            ("RFC 9112 §3.2.2 an absolute-form target is served as its path",
             post(DEMO, "http://127.0.0.1:%d/openrtb2/bid" % self.port), 200, False),
            ("RFC 9112 §3.2 HTTP/1.1 without Host: 400", post(DEMO, fields=b""), 400, True),
            ("RFC 9112 §3.2 two Host field lines: 400",
             post(DEMO, fields=b"Host: x\r\nHost: x\r\n"), 400, True),
            ("RFC 9112 §3.2 HTTP/1.0 without Host is served",
             post(DEMO, version="HTTP/1.0", fields=b""), 200, True),
            ("RFC 9112 §6.1 chunked is served", chunked(DEMO, b"chunked"), 200, False),
            ("RFC 9112 §6.1 a transfer coding we do not decode is refused: 501",
             chunked(DEMO, b"gzip, chunked"), 501, True),
            ("RFC 9112 §6.1 Transfer-Encoding in HTTP/1.0: 400",
             chunked(DEMO, b"chunked", version="HTTP/1.0", fields=b""), 400, True),
            ("RFC 9112 §6.3 Transfer-Encoding with Content-Length: 400",
             chunked(DEMO, b"chunked", fields=b"Host: x\r\nContent-Length: 5\r\n"), 400, True),
        ]
        for rule, request, expected, closes in rows:
            with self.subTest(rule=rule):
                conn = self.connect()
                conn.sock.sendall(request)
                status, headers, body = conn.read()
                self.assertEqual(status, expected, body[:200])
                date = headers.get("date", "")
                self.assertRegex(date, IMF_FIXDATE)
                sent = email.utils.parsedate_to_datetime(date).timestamp()
                self.assertLess(abs(sent - time.time()), 5)
                if closes:
                    self.assertTrue(conn.reads_clean_eof())
                else:
                    conn.sock.sendall(post(DEMO))  # the connection is still in step
                    self.assertEqual(conn.read()[0], 200)

    def test_openrtb_version_is_ours(self):
        for rule, requested in [("OpenRTB 2.6 §2.5 a 2.5 request is answered in 2.6", b"2.5"),
                                ("OpenRTB 2.6 §2.5 a version we do not speak is not echoed",
                                 b"3.0")]:
            with self.subTest(rule=rule):
                conn = self.connect()
                conn.sock.sendall(
                    post(DEMO, fields=b"Host: x\r\nx-openrtb-version: %s\r\n" % requested))
                status, headers, _ = conn.read()
                self.assertEqual(status, 200)
                self.assertEqual(headers.get("x-openrtb-version"), "2.6")

    def test_a_413_reaches_a_client_that_sends_the_whole_body_first(self):
        """RFC 9112 §9.6: the refused body is drained, so sending it does not end in a reset."""
        conn = self.connect()
        conn.sock.sendall(post(b" " * (10 * 1024 * 1024)))  # must not raise
        status, headers, _ = conn.read()
        self.assertEqual(status, 413)
        self.assertEqual(headers.get("connection"), "close")
        self.assertTrue(conn.reads_clean_eof())

    def test_over_the_pipelining_cap_every_answer_then_a_clean_close(self):
        """RFC 9112 §9.6: answers up to the cap, the last saying Connection: close, then EOF."""
        conn = self.connect()
        conn.sock.sendall(post(DEMO) * 40)
        answers = []
        while True:
            status, headers, _ = conn.read()
            answers.append(status)
            if headers.get("connection") == "close":
                break
        self.assertEqual(len(answers), 17)  # the request the read brought and 16 pipelined
        self.assertTrue(all(status in (200, 204) for status in answers), answers)
        self.assertTrue(conn.reads_clean_eof())


if __name__ == "__main__":
    unittest.main()
