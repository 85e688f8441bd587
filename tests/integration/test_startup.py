"""Start-up checks of the public URL, run the way the Docker image runs the bidder.

The image's ENTRYPOINT (docker/Dockerfile) listens on 0.0.0.0, so its notice URLs must come from
VETRINA_PUBLIC_URL; without it, or with a bad one, the bidder must refuse to start and say why.
Docker itself is not needed: the ENTRYPOINT's arguments are run with the built binary.
"""
import http.client
import json
import os
import re
import subprocess
import tempfile
import unittest

from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
CAMPAIGNS_DIR = os.path.join(SOURCE_DIR, "schemas", "examples")
DEMO_REQUEST = os.path.join(SOURCE_DIR, "docs", "examples", "bid-request.json")


def entrypoint_args():
    """The Dockerfile's ENTRYPOINT after the binary, on free ports and local directories."""
    with open(os.path.join(SOURCE_DIR, "docker", "Dockerfile")) as f:
        text = f.read().replace("\\\n", " ")
    args = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", text, re.M).group(1))
    assert args[:2] == ["vetrina", "serve"], args
    args = args[2:]
    listen = args.index("--listen") + 1
    assert args[listen].startswith("0.0.0.0:"), args[listen]
    args[listen] = "0.0.0.0:0"
    args[args.index("--admin-listen") + 1] = "127.0.0.1:0"
    args[args.index("--data-dir") + 1] = tempfile.mkdtemp(prefix="vetrina-startup-")
    args[args.index("--campaigns") + 1] = CAMPAIGNS_DIR
    return args


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VETRINA_PUBLIC_URL")}
    env.update(extra)
    return env


def run_until_exit(args, env):
    return subprocess.run([BINARY, "serve", *args], env=env, capture_output=True, text=True,
                          timeout=30)


class StartupTest(unittest.TestCase):
    def test_the_image_without_a_public_url_refuses_to_start(self):
        result = run_until_exit(entrypoint_args(), clean_env())
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--public-url", result.stderr)
        self.assertIn("VETRINA_PUBLIC_URL", result.stderr)
        self.assertNotIn("listening", result.stdout)

    def test_a_bad_public_url_is_refused_with_its_name(self):
        cases = [
            (entrypoint_args(), clean_env(VETRINA_PUBLIC_URL="not a url"), "VETRINA_PUBLIC_URL"),
            (entrypoint_args(), clean_env(VETRINA_PUBLIC_URL="http://0.0.0.0:8080"), "wildcard"),
            (entrypoint_args(),
             clean_env(VETRINA_PUBLIC_URL="http://bid.example",
                       VETRINA_PUBLIC_URL_HTTPS="http://bid.example"),
             "VETRINA_PUBLIC_URL_HTTPS"),
            (["--listen", "127.0.0.1:0", "--public-url", "not a url"], clean_env(),
             "--public-url: \"not a url\""),
        ]
        for args, env, message in cases:
            with self.subTest(message=message):
                result = run_until_exit(args, env)
                self.assertNotEqual(result.returncode, 0)
                self.assertIn(message, result.stderr)

    def test_the_image_builds_notice_urls_on_the_public_urls(self):
        env = clean_env(VETRINA_PUBLIC_URL="http://bid.example:8080",
                        VETRINA_PUBLIC_URL_HTTPS="https://bid.example/rtb")
        old_env = os.environ.copy()
        os.environ.clear()
        os.environ.update(env)
        try:
            # VetrinaProcess adds its own --listen/--admin-listen/--data-dir/--campaigns first;
            # the entrypoint's later ones (0.0.0.0) win.
            server = VetrinaProcess(BINARY, CAMPAIGNS_DIR, extra_args=entrypoint_args())
        finally:
            os.environ.clear()
            os.environ.update(old_env)
        try:
            with open(DEMO_REQUEST) as f:
                request = json.load(f)
            for secure, base in ((0, "http://bid.example:8080/ev/"),
                                 (1, "https://bid.example/rtb/ev/")):
                with self.subTest(secure=secure):
                    request["imp"][0]["secure"] = secure
                    conn = http.client.HTTPConnection("127.0.0.1", server.public_port, timeout=10)
                    conn.request("POST", "/openrtb2/bid", json.dumps(request),
                                 {"Content-Type": "application/json"})
                    response = conn.getresponse()
                    self.assertEqual(response.status, 200)
                    bid = json.loads(response.read())["seatbid"][0]["bid"][0]
                    conn.close()
                    for field in ("nurl", "burl", "lurl"):
                        self.assertTrue(bid[field].startswith(base), bid[field])
                    self.assertIn(base + "imp?t=", bid["adm"])
            conn = http.client.HTTPConnection("127.0.0.1", server.public_port, timeout=10)
            conn.request("GET", "/privacy")
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            self.assertIn(b"opt out", response.read())
            conn.close()
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
