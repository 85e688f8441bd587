"""scripts/fleet.py's parts against stand-in nodes: nginx balances, passes the admin token, fails
over only on connection errors and never re-sends a POST that reached a node; Redis keeps what it
acknowledged across a restart (AOF)."""
import http.client
import http.server
import os
import socket
import sys
import tempfile
import threading
import unittest

SOURCE_DIR = os.environ.get("VETRINA_SOURCE_DIR",
                            os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts"))
import fleet  # noqa: E402


class StandInNode(http.server.ThreadingHTTPServer):
    """Answers 200 with its own name; on /drop closes the connection without an answer."""
    daemon_threads = True

    def __init__(self, name):
        self.name = name
        self.seen = []  # (method, path, Authorization)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.seen.append((self.command, self.path, self.headers.get("Authorization")))
                if self.path == "/drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                body = outer.name.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

        super().__init__((fleet.HOST, 0), Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self):
        self.shutdown()
        self.server_close()


def request(port, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection(fleet.HOST, port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


class NginxInFrontOfNodes(unittest.TestCase):
    def setUp(self):
        self.public = [StandInNode(f"public-{n}") for n in (1, 2)]
        self.admin = [StandInNode(f"admin-{n}") for n in (1, 2)]
        nodes = [fleet.NodeSpec(f"node-{n}", p.port, a.port)
                 for n, (p, a) in enumerate(zip(self.public, self.admin), 1)]
        self.prefix = tempfile.TemporaryDirectory(prefix="vetrina-nginx-")
        self.public_port, self.admin_port = fleet.free_port(), fleet.free_port()
        self.nginx = fleet.start_nginx(self.prefix.name, f"{fleet.HOST}:{self.public_port}",
                                       f"{fleet.HOST}:{self.admin_port}", nodes)

    def tearDown(self):
        fleet.stop_all([self.nginx])
        for node in self.public + self.admin:
            node.stop()
        self.prefix.cleanup()

    def test_requests_are_spread_over_every_node(self):
        answers = {request(self.public_port, "GET", "/x")[1] for _ in range(6)}
        self.assertEqual(answers, {"public-1", "public-2"})

    def test_the_admin_listener_passes_the_bearer_token(self):
        status, body = request(self.admin_port, "GET", "/v1/campaigns",
                               {"Authorization": "Bearer vt_abc"})
        self.assertEqual(status, 200)
        self.assertIn(body, {"admin-1", "admin-2"})
        node = self.admin[0] if body == "admin-1" else self.admin[1]
        self.assertEqual(node.seen[-1], ("GET", "/v1/campaigns", "Bearer vt_abc"))

    def test_a_post_that_reached_a_node_is_never_sent_to_another(self):
        status, _ = request(self.public_port, "POST", "/drop", body=b"{}")
        self.assertEqual(status, 502)
        posts = [s for node in self.public for s in node.seen if s[0] == "POST"]
        self.assertEqual(len(posts), 1)

    def test_a_node_that_cannot_be_reached_is_skipped(self):
        self.public[1].stop()
        for _ in range(4):
            self.assertEqual(request(self.public_port, "POST", "/bid", body=b"{}"),
                             (200, "public-1"))


class RedisWithAof(unittest.TestCase):
    def command(self, redis, *args):
        with socket.create_connection((redis.host, redis.port), timeout=5) as s:
            s.sendall(b"".join([f"*{len(args)}\r\n".encode()] +
                               [f"${len(a)}\r\n{a}\r\n".encode() for a in args]))
            return s.recv(4096)

    def test_an_acknowledged_write_survives_a_restart(self):
        with tempfile.TemporaryDirectory(prefix="vetrina-redis-") as data:
            port = fleet.free_port()
            redis = fleet.start_redis(data, port=port)
            try:
                self.assertEqual(self.command(redis, "CONFIG", "GET", "appendfsync"),
                                 b"*2\r\n$11\r\nappendfsync\r\n$6\r\nalways\r\n")
                self.assertEqual(self.command(redis, "SET", "vt:test", "kept"), b"+OK\r\n")
            finally:
                redis.send(9)  # SIGKILL: no shutdown save, only the AOF remains
                redis.wait(10)
            redis = fleet.start_redis(data, port=port)
            try:
                self.assertEqual(self.command(redis, "GET", "vt:test"), b"$4\r\nkept\r\n")
            finally:
                self.assertEqual(fleet.stop_all([redis]), {"redis": 0})


if __name__ == "__main__":
    unittest.main()
