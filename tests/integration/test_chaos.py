"""scripts/chaos.py bounded for CI: one round of each fault (kill -9 a node, SIGSTOP a node,
kill -9 Redis, SIGTERM every node) on a three-node fleet under bid and notice load; it exits 0
only when no budget was overspent, every acknowledged notice answered its retry as a duplicate
with the charge first acknowledged, no dead lease outlived its hold, and the fleet bid again in
time. `make chaos` runs 100 rounds.
"""
import os
import subprocess
import sys
import unittest

SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
BINARY = os.environ["VETRINA_BINARY"]
ROUNDS = int(os.environ.get("CHAOS_ROUNDS", "4"))


class ChaosTest(unittest.TestCase):
    def test_one_round_of_each_fault_keeps_money_right(self):
        argv = [sys.executable, os.path.join(SOURCE_DIR, "scripts", "chaos.py"),
                "--binary", BINARY, "--rounds", str(ROUNDS), "--seed", "1"]
        try:
            run = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=240)
        except subprocess.TimeoutExpired as e:
            self.fail(f"chaos.py ran over 240 s; its output:\n{e.stdout}")
        print(run.stdout)
        self.assertEqual(run.returncode, 0, "chaos.py found violations (output above)")
        self.assertIn(f"rounds {ROUNDS}, with violations 0", run.stdout)


if __name__ == "__main__":
    unittest.main()
