"""Starts `vetrina serve` on free ports for a test and stops it."""
import os
import signal
import subprocess
import tempfile
import threading
import time


class VetrinaProcess:
    def __init__(self, binary, campaigns_dir, extra_args=(), data_dir=None, prefix_args=(),
                 threads=2, separate_stderr=False):
        """`prefix_args` go between `binary` and `serve` (for a wrapper such as taskset).
        `separate_stderr`: keep the log (stderr) apart from stdout, in `stderr_lines`; by default
        both go to `output`. Both are read to the end on threads, so the log never blocks the
        server on a full pipe."""
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="vetrina-test-")
        self.proc = subprocess.Popen(
            [binary, *prefix_args, "serve", "--listen", "127.0.0.1:0",
             "--admin-listen", "127.0.0.1:0", "--threads", str(threads),
             "--data-dir", self.data_dir, "--campaigns", campaigns_dir, *extra_args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if separate_stderr else subprocess.STDOUT, text=True)
        self.public_port = self.admin_port = None
        self.output = []
        self.stderr_lines = []
        self._readers = []
        if separate_stderr:
            self._read_rest(self.proc.stderr, self.stderr_lines)
        deadline = time.monotonic() + 30
        while self.public_port is None or self.admin_port is None:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("vetrina exited early:\n" + "".join(self.output + self.stderr_lines))
            self.output.append(line)
            parts = line.split()
            if len(parts) == 3 and parts[0] == "listening":
                port = int(parts[2].rsplit(":", 1)[1])
                if parts[1] == "public":
                    self.public_port = port
                elif parts[1] == "admin":
                    self.admin_port = port
            if time.monotonic() > deadline:
                raise RuntimeError("vetrina did not start:\n" + "".join(self.output))
        self._read_rest(self.proc.stdout, self.output)

    def _read_rest(self, stream, lines):
        reader = threading.Thread(target=lambda: lines.extend(iter(stream.readline, "")),
                                  daemon=True)
        reader.start()
        self._readers.append(reader)

    def wait_for_output(self, text, timeout=30):
        """The output read so far, once it holds `text`; None if it didn't within `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            so_far = "".join(self.output)
            if text in so_far:
                return so_far
            if self.proc.poll() is not None and not any(r.is_alive() for r in self._readers):
                return None
            time.sleep(0.05)
        return None

    def admin_token(self):
        with open(os.path.join(self.data_dir, "admin.token")) as f:
            return f.read().strip()

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for reader in self._readers:
                reader.join(timeout=5)
            self.proc.stdout.close()
            if self.proc.stderr is not None:
                self.proc.stderr.close()
