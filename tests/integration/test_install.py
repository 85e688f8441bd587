"""`cmake --install` and the systemd unit (packaging/): the files land where the install rules say,
the unit passes `systemd-analyze verify` (when systemd-analyze is there) and keeps its sandbox."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

BINARY = os.environ["VETRINA_BINARY"]
BUILD_DIR = os.environ["VETRINA_BUILD_DIR"]
SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
UNIT = "lib/systemd/system/vetrina.service"


def install(prefix, destdir=None):
    env = dict(os.environ)
    if destdir:
        env["DESTDIR"] = destdir
    result = subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", prefix],
                            capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise AssertionError(result.stdout + result.stderr)


def read_unit(path):
    """{section: {key: [values]}}: systemd keys may repeat, so every value is kept."""
    unit = {}
    section = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = unit.setdefault(line.strip("[]"), {})
                continue
            key, _, value = line.partition("=")
            section.setdefault(key, []).append(value)
    return unit


class InstallRules(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prefix = tempfile.mkdtemp(prefix="vetrina-install-")
        install(cls.prefix)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix)

    def at(self, path):
        return os.path.join(self.prefix, path)

    def test_the_binary_lands_in_bin_and_runs(self):
        binary = self.at("bin/vetrina")
        self.assertTrue(os.access(binary, os.X_OK))
        result = subprocess.run([binary, "--help"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0)
        self.assertIn("vetrina serve", result.stdout)

    def test_schemas_and_examples_land_in_share(self):
        self.assertTrue(os.path.isfile(self.at("share/vetrina/schemas/campaign.schema.json")))
        examples = sorted(os.listdir(os.path.join(SOURCE_DIR, "schemas", "examples")))
        self.assertEqual(sorted(os.listdir(self.at("share/vetrina/schemas/examples"))), examples)
        # The installed examples validate: they are the campaigns an operator seeds from there.
        result = subprocess.run(
            [BINARY, "campaigns", "validate",
             *[self.at(f"share/vetrina/schemas/examples/{e}") for e in examples]],
            capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_docs_and_license_land_in_share_doc(self):
        doc = self.at("share/doc/vetrina")
        for name in ["README.md", "LICENSE", "vetrina.env.example", "operations.md", "fleet.md",
                     "examples/bid-request.json"]:
            with self.subTest(name=name):
                self.assertTrue(os.path.isfile(os.path.join(doc, name)))
        with open(os.path.join(doc, "LICENSE")) as installed, \
                open(os.path.join(SOURCE_DIR, "LICENSE")) as source:
            self.assertEqual(installed.read(), source.read())

    def test_the_unit_lands_in_lib_systemd_and_starts_the_configured_binary(self):
        unit = read_unit(self.at(UNIT))
        exec_start = unit["Service"]["ExecStart"]
        self.assertEqual(len(exec_start), 1)
        argv = exec_start[0].split()
        # The path is the configured prefix's (CMAKE_INSTALL_PREFIX), which `--prefix` at install
        # time does not change; here it is compared with the build's own cache.
        with open(os.path.join(BUILD_DIR, "CMakeCache.txt")) as f:
            configured = re.search(r"^CMAKE_INSTALL_PREFIX:PATH=(.*)$", f.read(), re.M).group(1)
        self.assertEqual(argv[0], os.path.join(configured, "bin", "vetrina"))
        self.assertEqual(argv[1:], ["serve", "--data-dir", "/var/lib/vetrina"])
        self.assertNotRegex(open(self.at(UNIT)).read(), r"@[A-Z_]+@")

    def test_a_package_build_with_destdir_matches_what_the_dockerfile_copies(self):
        with tempfile.TemporaryDirectory(prefix="vetrina-destdir-") as stage:
            install("/usr", destdir=stage)
            with open(os.path.join(SOURCE_DIR, "docker", "Dockerfile")) as f:
                copies = re.findall(r"^COPY --from=build /stage(/\S+) ", f.read(), re.M)
            self.assertTrue(copies)
            for path in copies:
                with self.subTest(path=path):
                    self.assertTrue(os.path.exists(stage + path), path)
            self.assertTrue(os.path.isfile(os.path.join(stage, "usr", UNIT)))


class SystemdUnit(unittest.TestCase):
    def setUp(self):
        self.prefix = tempfile.mkdtemp(prefix="vetrina-unit-")
        self.addCleanup(shutil.rmtree, self.prefix)
        install(self.prefix)
        self.path = os.path.join(self.prefix, UNIT)
        self.unit = read_unit(self.path)
        self.service = self.unit["Service"]

    def one(self, key):
        values = self.service.get(key)
        self.assertIsNotNone(values, f"{key}= is missing")
        self.assertEqual(len(values), 1, f"{key}= is set {len(values)} times")
        return values[0]

    def test_runs_as_a_simple_service_of_its_own_user_with_its_state_dir(self):
        self.assertEqual(self.one("Type"), "simple")
        self.assertEqual(self.one("DynamicUser"), "yes")
        self.assertEqual(self.one("StateDirectory"), "vetrina")
        self.assertEqual(self.one("StateDirectoryMode"), "0700")
        self.assertNotIn("User", self.service)
        self.assertEqual(self.one("EnvironmentFile"), "-/etc/vetrina/vetrina.env")
        self.assertEqual(self.unit["Install"]["WantedBy"], ["multi-user.target"])

    def test_stops_gracefully_and_restarts_on_failure(self):
        self.assertEqual(self.one("KillSignal"), "SIGTERM")
        # The drain: the public listener's 4 s grace, the admin one's 0.5 s, the lease hand-back
        # and the spend writer's queue, with room.
        self.assertGreaterEqual(int(self.one("TimeoutStopSec")), 10)
        self.assertEqual(self.one("Restart"), "on-failure")
        self.assertEqual(self.one("LimitNOFILE"), "65536")

    def test_the_sandbox(self):
        expected = {
            "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
            "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectKernelTunables": "yes",
            "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
            "ProtectControlGroups": "yes", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
            "RestrictNamespaces": "yes", "LockPersonality": "yes",
            "MemoryDenyWriteExecute": "yes", "SystemCallArchitectures": "native",
            "SystemCallFilter": "@system-service", "CapabilityBoundingSet": "",
            "AmbientCapabilities": "",
        }
        for key, value in expected.items():
            with self.subTest(key=key):
                self.assertEqual(self.one(key), value)

    @unittest.skipIf(shutil.which("systemd-analyze") is None,
                     "systemd-analyze is not installed: the unit is checked statically only")
    def test_systemd_analyze_verifies_the_unit_and_rates_it_safe(self):
        # verify checks that ExecStart's binary exists: point it at the one built here.
        unit_text = open(self.path).read()
        exec_start = self.one("ExecStart")
        checked = os.path.join(self.prefix, "vetrina.service")
        with open(checked, "w") as f:
            f.write(unit_text.replace(exec_start.split()[0], os.path.abspath(BINARY)))
        result = subprocess.run(["systemd-analyze", "verify", checked], capture_output=True,
                                text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        # An unknown or misspelt key is only a warning to systemd: refuse it here.
        self.assertEqual(result.stderr.strip(), "")
        # Exposure 0 (locked down) to 10 (unsafe); the threshold is in tenths.
        security = subprocess.run(
            ["systemd-analyze", "security", "--offline=true", "--threshold=20", checked],
            capture_output=True, text=True)
        self.assertEqual(security.returncode, 0, security.stdout[-2000:] + security.stderr)


if __name__ == "__main__":
    unittest.main()
