"""The `vetrina` command line: --version, help, option errors, the config file and its schema,
the environment, and `campaigns validate`/`push` with batches and tokens from a file or the
environment. Runs the built binary.
"""
import http.client
import json
import os
import re
import subprocess
import tempfile
import unittest

import jsonschema

from vetrina_process import VetrinaProcess

BINARY = os.environ["VETRINA_BINARY"]
SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
EXAMPLES_DIR = os.path.join(SOURCE_DIR, "schemas", "examples")

with open(os.path.join(SOURCE_DIR, "schemas", "config.schema.json")) as f:
    CONFIG_SCHEMA = json.load(f)


def run(*args, env=None, timeout=30):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VETRINA_")}
    clean.update(env or {})
    return subprocess.run([BINARY, *args], env=clean, capture_output=True, text=True,
                          timeout=timeout)


def serve_flags():
    """Every `--flag` of `vetrina serve --help`, and its variable."""
    help_text = run("serve", "--help").stdout
    return re.findall(r"^  (--[a-z-]+)\b.*?(?:env (VETRINA_[A-Z_]+))?\)?$", help_text, re.M)


def example(name, new_id):
    with open(os.path.join(EXAMPLES_DIR, name)) as f:
        campaign = json.load(f)
    campaign["id"] = new_id
    return campaign


class VersionAndHelpTest(unittest.TestCase):
    def test_version_prints_version_commit_and_build_type(self):
        with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
            version = re.search(r"project\(vetrina VERSION ([0-9.]+)", f.read()).group(1)
        for args in (["--version"], ["version"]):
            result = run(*args)
            self.assertEqual(result.returncode, 0)
            self.assertRegex(result.stdout,
                             r"^vetrina " + re.escape(version) + r" \(commit [0-9a-f]+(-dirty)?, "
                             r"[A-Za-z]+\)\n$")

    def test_help_on_every_command_exits_zero_and_describes_its_options(self):
        cases = [
            (["help"], ["--listen", "VETRINA_LISTEN", "--token-file", "consent"]),
            (["--help"], ["--admin-listen", "VETRINA_ADMIN_LISTEN", "--admin URL"]),
            (["serve", "--help"], ["--config FILE", "--log-level LEVEL", "VETRINA_LOG_LEVEL",
                                   "--access-log-sample FRACTION", "default 127.0.0.1:8080"]),
            (["serve", "--threads", "2", "--help"], ["--threads N"]),
            (["campaigns", "--help"], ["validate", "push"]),
            (["campaigns", "validate", "--help"], ["a batch", "JSON pointer"]),
            (["campaigns", "push", "--help"], ["--admin URL", "--token TOKEN", "VETRINA_TOKEN",
                                               "--token-file FILE"]),
            (["consent", "--help"], ["tcf", "usnat"]),
            (["help", "serve"], ["--redis URL"]),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                result = run(*args)
                self.assertEqual(result.returncode, 0, result.stderr)
                for text in expected:
                    self.assertIn(text, result.stdout)

    def test_serve_help_has_one_line_per_option_with_its_variable(self):
        flags = serve_flags()
        self.assertGreaterEqual(len(flags), 23)
        for flag, env in flags:
            if flag in ("--help",):
                continue
            with self.subTest(flag=flag):
                expected = "VETRINA_" + flag[2:].upper().replace("-", "_")
                self.assertEqual(env, expected)
        full = run("help").stdout
        for flag, env in flags:
            self.assertIn(flag, full)

    def test_docs_list_every_option_and_variable(self):
        with open(os.path.join(SOURCE_DIR, "docs", "configuration.md")) as f:
            docs = f.read()
        self.assertIn(run("help", "config-markdown").stdout, docs)
        for flag, env in serve_flags():
            if flag != "--help":
                self.assertIn(f"`{flag}", docs)
                self.assertIn(f"`{env}`", docs)


class OptionErrorsTest(unittest.TestCase):
    def test_unknown_options_and_missing_values_exit_2_with_a_clear_message(self):
        cases = [
            (["serve", "--bogus"],
             "vetrina serve: unknown option --bogus (see vetrina serve --help)\n"),
            (["serve", "--lisen", "127.0.0.1:0"],
             "vetrina serve: unknown option --lisen; did you mean --listen? "
             "(see vetrina serve --help)\n"),
            (["serve", "--threads"],
             "vetrina serve: --threads needs a value (N) (see vetrina serve --help)\n"),
            (["serve", "--threads", "0"],
             "vetrina serve: --threads: must be an integer in [1, 128], got \"0\" "
             "(see vetrina serve --help)\n"),
            (["campaigns", "push", "x.json", "--tokn", "t"],
             "vetrina campaigns push: unknown option --tokn; did you mean --token? "
             "(see vetrina campaigns push --help)\n"),
            (["campaigns", "validate", "--admin", "x"],
             "vetrina campaigns validate: unknown option --admin "
             "(see vetrina campaigns validate --help)\n"),
            (["campaigns", "validat", "x.json"],
             "vetrina campaigns: unknown command validat; did you mean validate? "
             "(see vetrina campaigns --help)\n"),
            (["srve"], "vetrina: unknown command srve; did you mean serve? (see vetrina --help)\n"),
        ]
        for args, stderr in cases:
            with self.subTest(args=args):
                result = run(*args)
                self.assertEqual(result.returncode, 2)
                self.assertEqual(result.stderr, stderr)
                self.assertNotIn("listening", result.stdout)

    def test_every_option_has_its_environment_variable(self):
        # Free text any value fits; the unit tests show these variables are read too.
        free_text = {"VETRINA_CAMPAIGNS", "VETRINA_DATA_DIR"}
        checked = 0
        for flag, env in serve_flags():
            if flag in ("--help", "--print-demo-curl") or env in free_text:
                continue
            with self.subTest(env=env):
                # A value no option takes: the variable is read, and named in the refusal. The
                # lone --node-id makes the server refuse to start even if the variable were
                # ignored.
                guard = [] if env == "VETRINA_NODE_ID" else ["--node-id", "n1"]
                value = "/nonexistent/vetrina.json" if env == "VETRINA_CONFIG" else "\x01bad"
                result = run("serve", *guard, env={env: value})
                self.assertEqual(result.returncode, 2, result.stdout)
                self.assertIn(value if env == "VETRINA_CONFIG" else env, result.stderr)
                checked += 1
        self.assertGreaterEqual(checked, 19)
        result = run("serve", env={"VETRINA_PRINT_DEMO_CURL": "maybe"})
        self.assertEqual(result.returncode, 2)
        self.assertIn("VETRINA_PRINT_DEMO_CURL: must be true or false", result.stderr)


class ConfigFileTest(unittest.TestCase):
    def write(self, text):
        fd, path = tempfile.mkstemp(suffix=".json", prefix="vetrina-config-")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        self.addCleanup(os.remove, path)
        return path

    def test_the_shipped_schema_is_the_generated_one_and_valid_2020_12(self):
        jsonschema.Draft202012Validator.check_schema(CONFIG_SCHEMA)
        generated = json.loads(run("help", "config-schema").stdout)
        self.assertEqual(generated, CONFIG_SCHEMA)
        options = {flag[2:] for flag, _ in serve_flags()} - {"help", "config"}
        self.assertEqual(set(CONFIG_SCHEMA["properties"]), options)

    def test_python_jsonschema_and_the_server_refuse_the_same_files(self):
        validator = jsonschema.Draft202012Validator(CONFIG_SCHEMA)
        cases = [
            ('{"lisen": "127.0.0.1:0"}', 'unknown key "lisen"; did you mean "listen"?'),
            ('{"threads": "2"}', '"threads" must be an integer'),
            ('{"threads": 0}', '"threads": must be an integer in [1, 128]'),
            ('{"threads": 2.5}', '"threads" must be an integer'),
            ('{"print-demo-curl": "yes"}', '"print-demo-curl" must be a boolean'),
            ('{"access-log-sample": 2}', '"access-log-sample": must be a number in [0, 1]'),
            ('{"log-level": "verbose"}', '"log-level": must be one of debug, info, warn, error'),
            ('{"data-dir": ""}', '"data-dir": must not be empty'),
            ('{"node-id": "bad id", "redis": "redis://127.0.0.1:1"}', '"node-id"'),
            ('["threads"]', "must be a JSON object"),
        ]
        for text, message in cases:
            with self.subTest(config=text):
                self.assertFalse(validator.is_valid(json.loads(text)), "python3-jsonschema")
                path = self.write(text)
                result = run("serve", "--config", path)
                self.assertEqual(result.returncode, 2, result.stdout)
                self.assertIn(f"vetrina serve: {path}", result.stderr)
                self.assertIn(message, result.stderr)

    def test_a_syntax_error_names_its_line_and_column(self):
        path = self.write('{\n  "threads": 2\n  "listen": "127.0.0.1:0"\n}\n')
        result = run("serve", "--config", path)
        self.assertEqual(result.returncode, 2)
        self.assertIn(f"{path}: invalid JSON at line 3, column 3: expected ',' or '}}'",
                      result.stderr)

    def test_a_config_file_configures_the_server_and_flags_win_over_it(self):
        config = {"listen": "127.0.0.1:1", "threads": 2, "print-demo-curl": True,
                  "max-connections": 500, "log-level": "debug", "access-log-sample": 0.5,
                  "public-url": "http://bid.example:8080"}
        self.assertTrue(jsonschema.Draft202012Validator(CONFIG_SCHEMA).is_valid(config))
        path = self.write(json.dumps(config))
        # VetrinaProcess passes --listen 127.0.0.1:0 as a flag: it wins over the file's port 1.
        server = VetrinaProcess(BINARY, EXAMPLES_DIR, extra_args=["--config", path])
        try:
            self.assertIsNotNone(server.wait_for_output("ready. try"),
                                 "the server printed no demo curl")
            self.assertNotEqual(server.public_port, 1)
            conn = http.client.HTTPConnection("127.0.0.1", server.public_port, timeout=10)
            with open(os.path.join(SOURCE_DIR, "docs", "examples", "bid-request.json")) as f:
                conn.request("POST", "/openrtb2/bid", f.read(),
                             {"Content-Type": "application/json"})
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            bid = json.loads(response.read())["seatbid"][0]["bid"][0]
            self.assertTrue(bid["nurl"].startswith("http://bid.example:8080/"), bid["nurl"])
            conn.close()
        finally:
            self.assertEqual(server.stop(), 0)


class CampaignsCommandTest(unittest.TestCase):
    def write(self, document):
        fd, path = tempfile.mkstemp(suffix=".json", prefix="vetrina-campaigns-")
        with os.fdopen(fd, "w") as f:
            f.write(document if isinstance(document, str) else json.dumps(document, indent=2))
        self.addCleanup(os.remove, path)
        return path

    def test_validate_takes_a_batch_and_reports_each_problem_by_pointer(self):
        good = [example("banner-sports-shoes.json", "cli-batch-1"),
                example("native-travel.json", "cli-batch-2")]
        ok = self.write(good)
        result = run("campaigns", "validate", ok)
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertEqual(result.stdout, f"OK {ok}\n  a batch of 2 campaigns\n")

        bad = [example("banner-sports-shoes.json", "cli-bad-0"),
               example("banner-sports-shoes.json", "cli-bad-1"),
               example("native-travel.json", "cli-bad-2"),
               example("product-headphones.json", "cli-bad-3")]
        bad[1]["creatives"][0]["w"] = 0
        bad[2]["bugdet"] = bad[2].pop("budget", {"daily": 5})
        bad[3]["creatives"][0]["w"] = 0 if bad[3]["creatives"][0].get("w") else None
        bad[3]["creatives"][0].pop("w")
        bad[3]["status"] = "running"
        path = self.write(bad)
        result = run("campaigns", "validate", path)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"INVALID {path}\n", result.stdout)
        self.assertIn("  /1/creatives/0/w: must be >= 1\n", result.stdout)
        self.assertIn('  /2/bugdet: unknown field "bugdet"; did you mean "budget"?\n',
                      result.stdout)
        self.assertIn("  /3/status: must be one of active, paused, archived\n", result.stdout)
        self.assertNotIn("  /0/", result.stdout)

    def test_validate_names_the_line_and_column_of_a_syntax_error(self):
        text = json.dumps(example("banner-sports-shoes.json", "cli-syntax"), indent=2)
        text = text.replace('"status"', '"status" ', 1).replace('"status" :', '"status"', 1)
        lines = text.split("\n")
        lines[2] = lines[2].rstrip(",")  # line 3 loses its comma
        path = self.write("\n".join(lines))
        result = run("campaigns", "validate", path)
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stdout,
                         r"  : invalid JSON at line 4, column 3: expected ',' or '}' after an "
                         r"object member\n")

    def test_push_reads_the_token_from_the_flag_the_environment_or_a_file(self):
        server = VetrinaProcess(BINARY, EXAMPLES_DIR)
        try:
            admin = f"http://127.0.0.1:{server.admin_port}"
            token = server.admin_token()
            token_file = self.write(f"  {token}  \nsecond line ignored\n")
            cases = [
                ("flag", ["--token", token], {}),
                ("environment", [], {"VETRINA_TOKEN": token}),
                ("file", ["--token-file", token_file], {}),
                ("environment over file", ["--token-file", "/nonexistent"],
                 {"VETRINA_TOKEN": token}),
            ]
            for n, (how, flags, env) in enumerate(cases):
                with self.subTest(how=how):
                    batch = self.write([example("banner-sports-shoes.json", f"cli-push-{n}a"),
                                        example("native-travel.json", f"cli-push-{n}b")])
                    result = run("campaigns", "push", batch, "--admin", admin, *flags, env=env)
                    self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
                    self.assertIn(f"PUSHED {batch} (200)", result.stdout)
                    self.assertNotIn(token, result.stdout + result.stderr)
                    conn = http.client.HTTPConnection("127.0.0.1", server.admin_port, timeout=10)
                    conn.request("GET", f"/v1/campaigns/cli-push-{n}b",
                                 headers={"Authorization": f"Bearer {token}"})
                    self.assertEqual(conn.getresponse().status, 200)
                    conn.close()
            single = self.write(example("product-headphones.json", "cli-push-single"))
            result = run("campaigns", "push", single, "--admin", admin, "--token-file",
                         token_file)
            self.assertEqual(result.returncode, 0, result.stdout)
            self.assertIn(f"PUSHED {single} (201)", result.stdout)
            # A wrong token is refused by the server and never echoed.
            result = run("campaigns", "push", single, "--admin", admin, "--token",
                         "wrong-secret-token-123")
            self.assertEqual(result.returncode, 1)
            self.assertIn(f"REJECTED {single} (401)", result.stdout)
            self.assertNotIn("wrong-secret-token-123", result.stdout + result.stderr)
            # No token at all is a usage error.
            result = run("campaigns", "push", single, "--admin", admin)
            self.assertEqual(result.returncode, 2)
            self.assertIn("no token: pass --token TOKEN, set VETRINA_TOKEN or pass --token-file",
                          result.stderr)
            empty = self.write("\n")
            result = run("campaigns", "push", single, "--admin", admin, "--token-file", empty)
            self.assertEqual(result.returncode, 2)
            self.assertIn("its first line is empty", result.stderr)
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
