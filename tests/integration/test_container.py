"""The production image: what `docker build` sends (.dockerignore) and what docker/Dockerfile
sets (user, volume, healthcheck, packages).

The build context is computed as Docker computes it: .dockerignore's patterns (Go's
filepath.Match plus `**`, a leading `!` re-includes) are matched against each path and each of its
parent directories (moby/patternmatcher's MatchesOrParentMatches). When a Docker daemon answers,
the image is also really built and inspected; otherwise that test is skipped and says so.
"""
import json
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
import unittest

SOURCE_DIR = os.environ.get("VETRINA_SOURCE_DIR",
                            os.path.join(os.path.dirname(__file__), "..", ".."))
DOCKERFILE = os.path.join(SOURCE_DIR, "docker", "Dockerfile")


def compile_pattern(pattern):
    """A .dockerignore pattern as a regex, translated the way moby/patternmatcher does."""
    regex, i = "^", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i + 1:i + 2] == "*":
                i += 1
                if pattern[i + 1:i + 2] == "/":
                    i += 1
                regex += ".*" if i + 1 == len(pattern) else "(.*/)?"
            else:
                regex += "[^/]*"
        elif ch == "?":
            regex += "[^/]"
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            regex += re.escape(pattern[i])
        elif ch in "[]":
            regex += ch
        else:
            regex += re.escape(ch)
        i += 1
    return re.compile(regex + "$")


def read_dockerignore(path):
    """[(regex, exclusion)] of a .dockerignore, cleaned as BuildKit's dockerignore.ReadAll."""
    patterns = []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            line = line.strip()
            if not line:
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
            line = posixpath.normpath(line)
            if len(line) > 1 and line.startswith("/"):
                line = line[1:]
            patterns.append((compile_pattern(line), exclusion))
    return patterns


def ignored(patterns, path):
    """Whether `path` (relative, '/'-separated) is left out of the context."""
    parents = posixpath.dirname(path).split("/") if "/" in path else []
    matched = False
    for regex, exclusion in patterns:
        if exclusion != matched:
            continue
        match = regex.match(path) is not None
        if not match:
            match = any(regex.match("/".join(parents[:i + 1])) for i in range(len(parents)))
        if match:
            matched = not exclusion
    return matched


def build_context(root):
    """The files (relative paths) `docker build` would send from `root`."""
    patterns = read_dockerignore(os.path.join(root, ".dockerignore"))
    sent = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            path = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
            if not ignored(patterns, path):
                sent.append(path)
    return set(sent)


def dockerfile_stages():
    """[[(instruction, arguments)]] per stage of docker/Dockerfile, continuation lines joined."""
    with open(DOCKERFILE) as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def runtime_stage():
    return dockerfile_stages()[-1]


def last(stage, instruction):
    values = [a for i, a in stage if i == instruction]
    return values[-1] if values else None


class DockerignoreMatchesDocker(unittest.TestCase):
    """The matcher itself, on cases whose answer Docker documents."""

    def test_patterns_match_as_in_docker(self):
        cases = [  # (pattern, path, ignored)
            ("build*/", "build/app/vetrina", True),          # a parent directory matches
            ("build*/", "build-asan/CMakeCache.txt", True),
            ("build*/", "tests/build/x", False),            # anchored at the context root
            ("*.token", "var/data/admin.token", False),     # `*` never crosses a `/`
            ("**/*.token", "var/data/admin.token", True),   # `**` spans directories
            ("**/*.token", "admin.token", True),            # ... and none
            ("var/", "var", True),
            ("/var", "var/data/notice.key", True),          # a leading `/` is the root
            ("**/__pycache__/", "tests/integration/__pycache__/a.pyc", True),
            ("docs/*.md", "docs/fleet.md", True),
            ("docs/?leet.md", "docs/fleet.md", True),
            ("docs/[a-e]*.md", "docs/fleet.md", False),
        ]
        for pattern, path, expected in cases:
            with self.subTest(pattern=pattern, path=path):
                with tempfile.TemporaryDirectory() as root:
                    with open(os.path.join(root, ".dockerignore"), "w") as f:
                        f.write(pattern + "\n")
                    patterns = read_dockerignore(os.path.join(root, ".dockerignore"))
                self.assertEqual(ignored(patterns, path), expected)

    def test_a_later_exception_re_includes(self):
        with tempfile.TemporaryDirectory() as root:
            with open(os.path.join(root, ".dockerignore"), "w") as f:
                f.write("# comment\n\n**/*.key\n!keep/*.key\n")
            patterns = read_dockerignore(os.path.join(root, ".dockerignore"))
        self.assertTrue(ignored(patterns, "var/data/notice.key"))
        self.assertFalse(ignored(patterns, "keep/test.key"))


def untracked_sources(root):
    """The source files of a checkout without git: everything but build trees, var/ and .git."""
    sources = []
    for dirpath, dirnames, filenames in os.walk(root):
        if dirpath == root:
            dirnames[:] = [d for d in dirnames if not re.match(r"build|var$|\.git$", d)]
        sources += [os.path.relpath(os.path.join(dirpath, n), root) for n in filenames]
    return sources


class BuildContext(unittest.TestCase):
    # What a developer's checkout holds after `make run`, `make test`, `make fleet`, a profile.
    LEFTOVERS = [
        "build/CMakeCache.txt", "build/app/vetrina", "build-asan/CMakeCache.txt",
        "build-tsan/tests/engine/core/engine_core_test", "build-fuzz/findings/crash-1",
        "var/data/admin.token", "var/data/notice.key", "var/data/spend.journal",
        "var/data/catalog.journal", "var/fleet/node-1/admin.token", "var/fleet/redis/dump.rdb",
        ".git/HEAD", ".git/objects/ab/cdef", "tests/integration/__pycache__/x.cpython-311.pyc",
        "perf/perf.data", "perf.data.old", "scripts/fleet.pyc", "ops/prod.env", "ops/tls.pem",
        "CMakeCache.txt", "docs/CMakeFiles/x.o",
    ]

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="vetrina-context-")
        self.addCleanup(shutil.rmtree, self.root)
        shutil.copy(os.path.join(SOURCE_DIR, ".dockerignore"), self.root)
        tracked = subprocess.run(["git", "-C", SOURCE_DIR, "ls-files"], capture_output=True,
                                 text=True)
        self.sources = (tracked.stdout.split() if tracked.returncode == 0 else
                        untracked_sources(SOURCE_DIR))
        for path in self.sources + self.LEFTOVERS:
            if path == ".dockerignore":
                continue
            full = os.path.join(self.root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write("x")
        self.context = build_context(self.root)

    def test_build_trees_state_and_secrets_stay_out(self):
        for path in self.LEFTOVERS:
            with self.subTest(path=path):
                self.assertFalse(path in self.context, f"{path} is sent")
        for path in self.context:
            self.assertFalse(re.match(r"(build[^/]*|var|\.git)/", path), path)
            self.assertFalse(re.search(r"\.(token|key|pem|env)$", path), path)

    def test_every_source_the_build_needs_is_sent(self):
        needed = [p for p in self.sources
                  if re.match(r"(CMakeLists\.txt|cmake/|base/|engine/|adapters/|app/|schemas/|"
                              r"docs/|packaging/|scripts/install-deps|LICENSE|README\.md|"
                              r"docker/vetrina-)", p)]
        self.assertTrue(any(p.startswith("engine/core/") for p in needed))
        self.assertEqual(sorted(set(needed) - self.context), [])

    def test_what_the_dockerfile_copies_is_sent(self):
        for stage in dockerfile_stages():
            for instruction, arguments in stage:
                if instruction != "COPY" or arguments.startswith("--from="):
                    continue
                *sources, _ = arguments.split()
                for source in sources:
                    with self.subTest(source=source):
                        if source == ".":
                            continue
                        self.assertTrue(source in self.context, f"{source} is not sent")

    def test_the_real_checkout_sends_no_build_tree_or_secret(self):
        for path in build_context(SOURCE_DIR):
            self.assertFalse(re.match(r"(build[^/]*|var|\.git)/", path), path)
            self.assertFalse(path.endswith((".token", ".key")), path)


class RuntimeImage(unittest.TestCase):
    def setUp(self):
        self.stage = runtime_stage()
        self.run_lines = " && ".join(a for i, a in self.stage if i == "RUN")

    def test_runs_as_a_fixed_non_root_user_created_in_the_image(self):
        user = last(self.stage, "USER")
        self.assertIsNotNone(user, "no USER: the image runs as root")
        uid, _, gid = user.partition(":")
        self.assertTrue(uid.isdigit() and int(uid) >= 1000, f"USER {user}: a fixed uid, not root")
        self.assertRegex(self.run_lines, rf"useradd [^&]*--uid {uid}\b[^&]* vetrina\b")
        if gid:
            self.assertRegex(self.run_lines, rf"groupadd [^&]*--gid {gid}\b[^&]* vetrina\b")

    def test_the_data_dir_is_a_volume_the_user_owns(self):
        volume = last(self.stage, "VOLUME")
        self.assertIsNotNone(volume, "no VOLUME: the journals go with the container")
        paths = json.loads(volume) if volume.startswith("[") else volume.split()
        self.assertEqual(paths, ["/var/lib/vetrina"])
        self.assertRegex(self.run_lines,
                         r"install -d -o vetrina -g vetrina -m 0700 /var/lib/vetrina")
        self.assertEqual(last(self.stage, "WORKDIR"), "/var/lib/vetrina")
        # The volume is declared after the directory is made, so a new volume copies its owner.
        order = [i for i, _ in self.stage]
        self.assertLess(order.index("RUN"), order.index("VOLUME"))

    def test_a_healthcheck_asks_the_helper_in_the_image(self):
        healthcheck = last(self.stage, "HEALTHCHECK")
        self.assertIsNotNone(healthcheck)
        command = json.loads(re.search(r"CMD (\[.*\])$", healthcheck).group(1))
        self.assertEqual(command, ["vetrina-healthcheck"])
        copies = " ".join(a for i, a in self.stage if i == "COPY")
        self.assertIn("docker/vetrina-healthcheck", copies)
        self.assertTrue(os.access(os.path.join(SOURCE_DIR, "docker", "vetrina-healthcheck"),
                                  os.X_OK))

    def test_the_entrypoint_is_the_script_and_stops_on_sigterm(self):
        self.assertEqual(json.loads(last(self.stage, "ENTRYPOINT")), ["vetrina-entrypoint"])
        self.assertTrue(os.access(os.path.join(SOURCE_DIR, "docker", "vetrina-entrypoint"),
                                  os.X_OK))
        self.assertEqual(last(self.stage, "STOPSIGNAL"), "SIGTERM")

    def test_runtime_packages_are_debian_packages_only(self):
        self.assertTrue(last(self.stage, "FROM").startswith("debian:"))
        self.assertNotRegex(self.run_lines, r"\b(curl|wget|pip3?|npm)\b")
        self.assertIsNone(last(self.stage, "ADD"))
        installs = re.findall(r"apt-get install ([^&]*)", self.run_lines)
        self.assertEqual(len(installs), 1)
        packages = [w for w in installs[0].split() if not w.startswith("-")]
        self.assertIn("libabsl20220623", packages)
        self.assertIn("--no-install-recommends", installs[0])
        for package in packages:
            self.assertRegex(package, r"^[a-z0-9][a-z0-9.+-]+$")


    @unittest.skipIf(shutil.which("shellcheck") is None, "shellcheck is not installed")
    def test_the_entrypoint_and_healthcheck_pass_shellcheck(self):
        scripts = [os.path.join(SOURCE_DIR, "docker", n)
                   for n in ("vetrina-entrypoint", "vetrina-healthcheck")]
        result = subprocess.run(["shellcheck", *scripts], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout)


def docker_daemon_answers():
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@unittest.skipUnless(docker_daemon_answers(), "no Docker daemon here: the image is not built")
class RealImage(unittest.TestCase):
    TAG = "vetrina-test-image"

    @classmethod
    def setUpClass(cls):
        subprocess.run(["docker", "build", "-f", DOCKERFILE, "-t", cls.TAG, SOURCE_DIR],
                       check=True, timeout=3600)

    def test_the_built_image_has_the_settings(self):
        inspect = subprocess.run(["docker", "image", "inspect", self.TAG], check=True,
                                 capture_output=True, text=True)
        config = json.loads(inspect.stdout)[0]["Config"]
        self.assertEqual(config["User"], "10001:10001")
        self.assertIn("/var/lib/vetrina", config["Volumes"])
        self.assertEqual(config["Healthcheck"]["Test"], ["CMD", "vetrina-healthcheck"])
        probe = subprocess.run(
            ["docker", "run", "--rm", "--entrypoint", "sh", self.TAG, "-c",
             "id -u; stat -c %u /var/lib/vetrina; ls /src /usr/share/vetrina/schemas/examples"],
            capture_output=True, text=True)
        lines = probe.stdout.split()
        self.assertEqual(lines[:2], ["10001", "10001"])
        self.assertIn("/src", probe.stderr)  # the build tree is not in the runtime image


if __name__ == "__main__":
    unittest.main()
