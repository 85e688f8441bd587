"""A fleet of Vetrina nodes on loopback: redis-server with AOF, bidder nodes, nginx in front.

`scripts/fleet` (`make fleet`) runs the one of docs/fleet.md; tests reuse the parts:

    redis = start_redis(state / "redis", port=6390)
    node = start_node(binary, NodeSpec("node-1", 8081, 9091), [redis.url], state / "node-1",
                      public_url="http://127.0.0.1:8080", extra_args=["--campaigns", seeds])
    node.wait_ready()
    lb = start_nginx(state / "nginx", public_listen="127.0.0.1:8080",
                     admin_listen="127.0.0.1:9090", nodes=[node.spec])
    ...
    stop_all([node, lb, redis])  # nodes, then nginx, then Redis

Every child runs in its own session (a terminal's Ctrl-C reaches only this script, which stops
them in order) and gets SIGTERM if the process that started it dies.
"""
import ctypes
import dataclasses
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = REPO / "docker" / "nginx.conf.template"
COMPOSE_NGINX_CONF = REPO / "docker" / "nginx.conf"

# `make fleet`'s topology (docker/compose.yaml mirrors it; tests/integration/test_compose.py
# checks that it does).
HOST = "127.0.0.1"
REDIS_PORT = 6390  # not 6379: a Redis the machine already runs stays untouched
PUBLIC_PORT = 8080  # nginx, over every node's public port
ADMIN_PORT = 9090  # nginx, over every node's admin port
PUBLIC_URL = f"http://{HOST}:{PUBLIC_PORT}"  # notice URLs go through the load balancer
SEED_CAMPAIGNS = REPO / "schemas" / "examples"  # given to the first node only


@dataclasses.dataclass(frozen=True)
class NodeSpec:
    node_id: str
    public_port: int
    admin_port: int
    host: str = HOST


NODES = tuple(NodeSpec(f"node-{n}", PUBLIC_PORT + n, ADMIN_PORT + n) for n in (1, 2, 3))



def seed_args(spec):
    """The first node seeds the demo campaigns into the fleet; the others get them from Redis."""
    return ["--campaigns", str(SEED_CAMPAIGNS)] if spec == NODES[0] else []


# Inside Docker Compose every node is its own host, listening where docker/Dockerfile says.
CONTAINER_PUBLIC_PORT = 8080
CONTAINER_ADMIN_PORT = 9090
CONTAINER_REDIS_PORT = 6379

ADMIN_TOKEN_LINE = re.compile(r"^admin token \(.*\): (\S+)\s*$")
LISTENING_ADMIN_LINE = re.compile(r"^listening admin ")


class ChildFailed(RuntimeError):
    """A child exited, or did not come up in time; the message carries its last output."""


try:
    # Looked up here: the child between fork and exec only calls it (no dlopen there).
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def _die_with_parent():
    """In the child before exec: SIGTERM when the parent dies."""
    if _prctl is not None:
        PR_SET_PDEATHSIG = 1
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def find_program(name):
    """`name` on PATH, or in /usr/sbin and /sbin (nginx is there, off a user's PATH)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    found = shutil.which(name, path=path)
    if found is None:
        raise ChildFailed(f"{name} is not installed (scripts/install-deps installs it)")
    return found


def busy_ports(ports, host=HOST):
    """The ports of `ports` something already listens on (or that cannot be bound)."""
    busy = []
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((host, port))
            except OSError:
                busy.append(port)
    return busy


def free_port(host=HOST):
    """A port the kernel picked as free just now (for tests that start several servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Child:
    """A started process whose merged stdout and stderr a thread reads line by line, keeping the
    lines and passing each to `echo(name, line)` when given."""

    kind = "child"

    def __init__(self, name, argv, echo=None, cwd=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.lines = []
        self._echo = echo
        self._changed = threading.Condition()
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, errors="replace", cwd=cwd,
            start_new_session=True, preexec_fn=_die_with_parent)
        self._reader = threading.Thread(target=self._read, name=f"{name}-output", daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
            if self._echo:
                self._echo(self.name, line)
        with self._changed:
            self._changed.notify_all()

    def alive(self):
        return self.proc.poll() is None

    @property
    def returncode(self):
        return self.proc.poll()

    def output(self, last=40):
        with self._changed:
            return "\n".join(self.lines[-last:])

    def failure(self, what):
        code = self.proc.poll()
        state = f"exited with {code}" if code is not None else "is still running"
        return ChildFailed(f"{self.name} {what} ({state}); its last output:\n{self.output()}")

    def wait_for_line(self, pattern, timeout, stop=None):
        """The first match of `pattern` (a compiled regex) in the output, waiting up to `timeout`
        seconds; None when the process ended, the time ran out or `stop` (an Event) was set."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if m := pattern.search(line):
                        return m
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (stop and stop.is_set()):
                    return None
                if not self._reader.is_alive():
                    return None
                self._changed.wait(min(left, 0.1))

    def send(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout):
        """The exit code, after SIGKILL if the process is still there after `timeout` seconds."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=2)
        if not self._reader.is_alive():
            self.proc.stdout.close()
        return self.proc.returncode

    def stop(self, sig=signal.SIGTERM, timeout=10):
        self.send(sig)
        return self.wait(timeout)


def _wait_until(check, child, what, timeout, stop=None):
    deadline = time.monotonic() + timeout
    # Alive as well: whatever answered might be another server on the same port.
    while not (check() and child.alive()):
        if not child.alive():
            raise child.failure(f"exited before it could {what}")
        if stop is not None and stop.is_set():
            return False
        if time.monotonic() > deadline:
            raise child.failure(f"did not {what} within {timeout} s")
        time.sleep(0.05)
    return True


def _wait_or_stop(check, child, what, timeout, stop):
    """_wait_until, stopping `child` before raising: a caller that gets an exception has no
    child to stop."""
    try:
        return _wait_until(check, child, what, timeout, stop)
    except ChildFailed:
        child.stop(timeout=5)
        raise


class Redis(Child):
    kind = "redis"

    def __init__(self, name, argv, host, port, echo=None):
        super().__init__(name, argv, echo)
        self.host = host
        self.port = port
        self.url = f"redis://{host}:{port}"

    def ping(self):
        """Whether this process (not another server on the same port) answers."""
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as s:
                s.sendall(b"INFO server\r\n")
                reply = b""
                while not (found := re.search(rb"^process_id:(\d+)\r$", reply, re.M)):
                    chunk = s.recv(4096)
                    if not chunk:
                        return False
                    reply += chunk
                return int(found.group(1)) == self.proc.pid
        except OSError:
            return False


# An acknowledged write is on Redis' disk (docs/fleet.md); no RDB snapshots besides the AOF.
REDIS_ARGS = ("--appendonly", "yes", "--appendfsync", "always", "--save", "",
              "--daemonize", "no", "--logfile", "")


# A Redis Cluster master: start three with these, then create_cluster().
CLUSTER_NODE_ARGS = ("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")


def free_cluster_port(host=HOST):
    """A free port for a Redis Cluster node: at most 55535, since the node also listens on the
    port 10000 above for its cluster bus, and that one must be free too."""
    for _ in range(100):
        port = random.randint(20000, 55535)
        if not busy_ports([port, port + 10000], host):
            return port
    raise RuntimeError("no free port pair for a Redis Cluster node")


def create_cluster(masters, timeout=30):
    """Joins redis-servers started with CLUSTER_NODE_ARGS into one cluster of masters without
    replicas (`redis-cli --cluster create`), and returns once every node says cluster_state:ok."""
    subprocess.run([find_program("redis-cli"), "--cluster", "create",
                    *[f"{m.host}:{m.port}" for m in masters],
                    "--cluster-replicas", "0", "--cluster-yes"],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=timeout)
    deadline = time.monotonic() + timeout
    for m in masters:
        while b"cluster_state:ok" not in _redis_command(m, b"CLUSTER INFO"):
            if time.monotonic() > deadline:
                raise m.failure("did not reach cluster_state:ok")
            time.sleep(0.05)


def start_loopback_redis(data_dir, cluster=False):
    """The Redis a test or benchmark fleet shares, on free loopback ports under `data_dir`: one
    redis-server, or three joined into a Redis Cluster. Returns the servers; on failure the ones
    started are stopped."""
    if not cluster:
        return [start_redis(os.path.join(data_dir, "redis"), port=free_port())]
    masters = []
    try:
        for i in range(3):
            masters.append(start_redis(os.path.join(data_dir, f"redis-{i}"),
                                       port=free_cluster_port(), name=f"redis-{i}",
                                       extra_args=CLUSTER_NODE_ARGS))
        create_cluster(masters)
    except BaseException:
        stop_all(masters)
        raise
    return masters


def _redis_command(redis, inline):
    """One inline command's raw reply, b"" when the server cannot be reached."""
    try:
        with socket.create_connection((redis.host, redis.port), timeout=1) as s:
            s.sendall(inline + b"\r\n")
            return s.recv(65536)
    except OSError:
        return b""


def start_redis(data_dir, port=REDIS_PORT, host=HOST, extra_args=(), echo=None, name="redis",
                timeout=10, stop=None):
    """redis-server on `host`:`port` with its data (the AOF) in `data_dir`; returns once it
    answers PING. Every write is on disk before Redis acknowledges it (appendfsync always)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [find_program("redis-server"), "--port", port, "--bind", host,
            "--dir", data_dir.resolve(), *REDIS_ARGS, *extra_args]
    redis = Redis(name, argv, host, port, echo)
    _wait_or_stop(redis.ping, redis, f"answer PING on {host}:{port}", timeout, stop)
    return redis


class Node(Child):
    kind = "node"

    def __init__(self, spec, argv, data_dir, echo=None):
        super().__init__(spec.node_id, argv, echo)
        self.spec = spec
        self.data_dir = Path(data_dir)
        self.public_url = f"http://{spec.host}:{spec.public_port}"
        self.admin_url = f"http://{spec.host}:{spec.admin_port}"

    def ready(self):
        try:
            with urllib.request.urlopen(self.admin_url + "/readyz", timeout=1) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout=30, stop=None):
        """Until /readyz answers 200: True; False when `stop` was set first. Raises ChildFailed
        when the node exits or the time runs out."""
        return _wait_until(self.ready, self, "answer 200 on /readyz", timeout, stop)

    def admin_token(self, timeout=5):
        """The admin token the node printed (the first node of a fleet prints it when it creates
        it), else the one in its data dir (single node), else None."""
        # The token line comes before "listening admin", in the same flush.
        self.wait_for_line(LISTENING_ADMIN_LINE, timeout)
        if m := self.wait_for_line(ADMIN_TOKEN_LINE, timeout=0):
            return m.group(1)
        token_file = self.data_dir / "admin.token"
        if token_file.exists():
            return token_file.read_text().strip() or None
        return None


def node_args(spec, redis_urls, data_dir, public_url=PUBLIC_URL, threads=1, extra_args=()):
    """`vetrina serve`'s arguments for one fleet node."""
    return ["serve", "--redis", ",".join(redis_urls), "--node-id", spec.node_id,
            "--listen", f"{spec.host}:{spec.public_port}",
            "--admin-listen", f"{spec.host}:{spec.admin_port}",
            "--data-dir", Path(data_dir).resolve(), "--public-url", public_url,
            "--threads", threads, *extra_args]


def start_node(binary, spec, redis_urls, data_dir, public_url=PUBLIC_URL, threads=1,
               extra_args=(), echo=None):
    """`vetrina serve` as the fleet node `spec`, joined through `redis_urls`. Returns at once:
    call wait_ready() on it."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    argv = [binary, *node_args(spec, redis_urls, data_dir, public_url, threads, extra_args)]
    return Node(spec, argv, data_dir, echo)


def render_nginx_conf(public_listen, admin_listen, public_servers, admin_servers, main="",
                      http=""):
    """docker/nginx.conf.template with its slots filled: the listeners, the upstream servers
    ("HOST:PORT" each), and the directives of the main and http blocks that differ per place."""
    def block(lines, indent):
        return "\n".join(indent + line for line in lines)

    text = NGINX_TEMPLATE.read_text()
    for slot, value in (("@@MAIN@@", block(main, "")), ("@@HTTP@@", block(http, "  ")),
                        ("@@PUBLIC_SERVERS@@", block((f"server {s}{UPSTREAM_FAILS};"
                                                      for s in public_servers), "    ")),
                        ("@@ADMIN_SERVERS@@", block((f"server {s}{UPSTREAM_FAILS};"
                                                     for s in admin_servers), "    ")),
                        ("@@PUBLIC_LISTEN@@", public_listen), ("@@ADMIN_LISTEN@@", admin_listen)):
        assert slot in text, slot
        text = text.replace(slot, value)
    return text


# A node that refused a connection is left out for 2 s, not nginx's default 10 s: when every node
# restarts at once, the fleet answers again 2 s after they are back.
UPSTREAM_FAILS = " max_fails=1 fail_timeout=2s"


def loopback_nginx_conf(prefix_dir, public_listen, admin_listen, nodes):
    """The conf of an unprivileged nginx whose pid file, logs and temp files stay in
    `prefix_dir`, in front of `nodes` (NodeSpecs)."""
    prefix = Path(prefix_dir).resolve()
    main = [f"pid {prefix / 'nginx.pid'};", "error_log stderr warn;"]
    http = [f"{kind}_temp_path {prefix / 'temp' / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")]
    return render_nginx_conf(public_listen, admin_listen,
                             [f"{n.host}:{n.public_port}" for n in nodes],
                             [f"{n.host}:{n.admin_port}" for n in nodes], main, http)


def compose_nginx_conf(node_ids=tuple(n.node_id for n in NODES)):
    """docker/nginx.conf: the nginx image's paths, the nodes by their Compose service names."""
    return render_nginx_conf(
        f"{PUBLIC_PORT}", f"{ADMIN_PORT}",
        [f"{n}:{CONTAINER_PUBLIC_PORT}" for n in node_ids],
        [f"{n}:{CONTAINER_ADMIN_PORT}" for n in node_ids],
        ["user nginx;", "pid /var/run/nginx.pid;", "error_log /dev/stderr notice;"])


def _accepts(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class Nginx(Child):
    kind = "nginx"


def start_nginx(prefix_dir, public_listen, admin_listen, nodes, echo=None, name="nginx",
                timeout=10, stop=None):
    """nginx (not as a daemon, unprivileged) on `public_listen` and `admin_listen`
    ("HOST:PORT"), balancing over `nodes`; returns once both listeners accept connections."""
    prefix = Path(prefix_dir).resolve()
    for sub in ("temp", "logs"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(loopback_nginx_conf(prefix, public_listen, admin_listen, nodes))
    # -e: the error log before the conf is read (the default /var/log/nginx is root's).
    argv = [find_program("nginx"), "-p", f"{prefix}/", "-c", conf, "-e", "stderr",
            "-g", "daemon off;"]
    nginx = Nginx(name, argv, echo)
    listeners = [hp.rsplit(":", 1) for hp in (public_listen, admin_listen)]
    _wait_or_stop(lambda: all(_accepts(h, int(p)) for h, p in listeners), nginx,
                  f"listen on {public_listen} and {admin_listen}", timeout, stop)
    return nginx


def check_nginx_conf(conf_text, prefix_dir):
    """`nginx -t` on `conf_text` (written to `prefix_dir`): (ok, nginx's output)."""
    prefix = Path(prefix_dir).resolve()
    for sub in ("temp", "logs"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx-test.conf"
    conf.write_text(conf_text)
    r = subprocess.run([find_program("nginx"), "-t", "-p", f"{prefix}/", "-c", str(conf), "-e",
                        "stderr"], capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


STOP_ORDER = ("node", "nginx", "redis")


def stop_all(children, timeout=10):
    """Stops `children` with SIGTERM, nodes first (together), then nginx, then Redis (each after
    the previous kind has exited), SIGKILL after `timeout` seconds. Returns {name: exit code}."""
    codes = {}
    kinds = list(STOP_ORDER) + sorted({c.kind for c in children} - set(STOP_ORDER))
    for kind in kinds:
        group = [c for c in children if c.kind == kind]
        for c in group:
            c.send(signal.SIGTERM)
        for c in group:
            codes[c.name] = c.wait(timeout)
    return codes
