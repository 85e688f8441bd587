"""Start-up checks of the Docker image's ENTRYPOINT and HEALTHCHECK, run with the built binary.

The image runs docker/vetrina-entrypoint, which listens on 0.0.0.0, so its notice URLs must come
from VETRINA_PUBLIC_URL; without it, or with a bad one, the bidder must refuse to start and say
why. The admin listener stays on loopback unless VETRINA_ADMIN_LISTEN opts in, and
docker/vetrina-healthcheck asks its /readyz. Docker itself is not needed: the scripts run here,
with `vetrina` on PATH (the built binary, or a stub that prints the arguments it was given).
"""
import http.client
import json
import os
import re
import stat
import subprocess
import tempfile
import time
import unittest

from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
CAMPAIGNS_DIR = os.path.join(SOURCE_DIR, "schemas", "examples")
DEMO_REQUEST = os.path.join(SOURCE_DIR, "docs", "examples", "bid-request.json")
ENTRYPOINT = os.path.join(SOURCE_DIR, "docker", "vetrina-entrypoint")
HEALTHCHECK = os.path.join(SOURCE_DIR, "docker", "vetrina-healthcheck")


def dockerfile_entrypoint():
    with open(os.path.join(SOURCE_DIR, "docker", "Dockerfile")) as f:
        text = f.read().replace("\\\n", " ")
    return json.loads(re.findall(r"^ENTRYPOINT (\[.*\])$", text, re.M)[-1])


def stub_path():
    """A directory with a `vetrina` that prints its arguments as JSON, for PATH."""
    directory = tempfile.mkdtemp(prefix="vetrina-stub-")
    stub = os.path.join(directory, "vetrina")
    with open(stub, "w") as f:
        f.write("#!/usr/bin/env python3\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    os.chmod(stub, os.stat(stub).st_mode | stat.S_IXUSR)
    return directory


def image_argv(env=None, args=()):
    """What the image's ENTRYPOINT runs: `vetrina` and its arguments."""
    assert dockerfile_entrypoint() == [os.path.basename(ENTRYPOINT)]
    env = dict(env if env is not None else clean_env())
    env["PATH"] = stub_path() + os.pathsep + env.get("PATH", os.defpath)
    result = subprocess.run([ENTRYPOINT, *args], env=env, capture_output=True, text=True,
                            check=True, timeout=30)
    return json.loads(result.stdout)


def flag(argv, name):
    """The value of the last `name` in argv: a flag given twice counts the last time."""
    values = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == name]
    return values[-1] if values else None


def entrypoint_args():
    """The ENTRYPOINT's arguments after `serve`, on free ports and local directories."""
    args = image_argv()
    assert args[0] == "serve", args
    args = args[1:]
    listen = args.index("--listen") + 1
    assert args[listen].startswith("0.0.0.0:"), args[listen]
    args[listen] = "0.0.0.0:0"
    args[args.index("--admin-listen") + 1] = "127.0.0.1:0"
    args[args.index("--data-dir") + 1] = tempfile.mkdtemp(prefix="vetrina-startup-")
    return args + ["--campaigns", CAMPAIGNS_DIR]


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VETRINA_")}
    env.update(extra)
    return env


def run_until_exit(args, env):
    return subprocess.run([BINARY, "serve", *args], env=env, capture_output=True, text=True,
                          timeout=30)


class StartupTest(unittest.TestCase):
    def test_the_image_listens_publicly_and_keeps_admin_on_loopback(self):
        argv = image_argv()
        self.assertEqual(argv[0], "serve")
        self.assertEqual(flag(argv, "--listen"), "0.0.0.0:8080")
        self.assertEqual(flag(argv, "--admin-listen"), "127.0.0.1:9090")
        self.assertIsNone(flag(argv, "--campaigns"), "a production image seeds no demo campaigns")
        # The public listener's address comes from VETRINA_LISTEN like every other option.
        moved = image_argv(clean_env(VETRINA_LISTEN="127.0.0.1:8081"))
        self.assertEqual(flag(moved, "--listen"), "127.0.0.1:8081")

    def test_the_admin_listener_is_public_only_when_asked(self):
        argv = image_argv(clean_env(VETRINA_ADMIN_LISTEN="0.0.0.0:9090"))
        self.assertEqual(flag(argv, "--admin-listen"), "0.0.0.0:9090")

    def test_docker_run_arguments_come_last_and_win(self):
        argv = image_argv(args=["--listen", "0.0.0.0:80", "--redis", "redis://r:6379"])
        self.assertEqual(argv[-4:], ["--listen", "0.0.0.0:80", "--redis", "redis://r:6379"])
        self.assertEqual(flag(argv, "--listen"), "0.0.0.0:80")

    def test_the_state_is_in_the_images_volume(self):
        with open(os.path.join(SOURCE_DIR, "docker", "Dockerfile")) as f:
            volume = re.findall(r"^VOLUME (.*)$", f.read(), re.M)[-1].split()
        self.assertEqual(volume, [flag(image_argv(), "--data-dir")])

    def test_the_healthcheck_asks_readyz_of_the_admin_listener(self):
        # The admin listener where VETRINA_ADMIN_LISTEN puts it (port 0: a free one, printed).
        env = clean_env(VETRINA_PUBLIC_URL="http://bid.example:8080",
                        VETRINA_ADMIN_LISTEN="127.0.0.1:0")
        env["PATH"] = os.path.dirname(os.path.abspath(BINARY)) + os.pathsep + env["PATH"]
        data_dir = tempfile.mkdtemp(prefix="vetrina-health-")
        proc = subprocess.Popen([ENTRYPOINT, "--listen", "127.0.0.1:0", "--data-dir", data_dir],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)

        def healthcheck(*args, **extra):
            return subprocess.run([HEALTHCHECK, *args], env=clean_env(**extra),
                                  capture_output=True, text=True, timeout=10).returncode

        try:
            output, listening = [], {}
            for line in proc.stdout:
                output.append(line)
                if line.startswith("listening "):
                    listening[line.split()[1]] = line.split()[2]
                if len(listening) == 2:
                    break
            self.assertEqual(sorted(listening), ["admin", "public"], "".join(output))
            admin = listening["admin"]
            self.assertTrue(admin.startswith("127.0.0.1:"), admin)
            public_port = int(listening["public"].rsplit(":", 1)[1])
            # Listening comes before ready (the data dir is still being read): wait for ready.
            deadline = time.monotonic() + 20
            while healthcheck(admin) != 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            # As Docker runs it (VETRINA_ADMIN_LISTEN), as compose does (an argument), and a
            # wildcard host asked on loopback.
            self.assertEqual(healthcheck(VETRINA_ADMIN_LISTEN=admin), 0)
            self.assertEqual(healthcheck(admin), 0)
            self.assertEqual(healthcheck("0.0.0.0:" + admin.rsplit(":", 1)[1]), 0)
            # Something that is not a ready admin listener: the public one has no /readyz.
            self.assertEqual(healthcheck(f"127.0.0.1:{public_port}"), 1)
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0)
        # Nothing listens any more.
        self.assertEqual(healthcheck(admin), 1)

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
