"""python: the examples of python/examples/ run on tiny budgets and do what they say."""

import json
import os
import subprocess
import sys
import unittest

from helpers import SOURCE_DIR

EXAMPLES = os.path.join(SOURCE_DIR, "python", "examples")


def run_example(name, *args):
    out = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args], check=True, capture_output=True,
                         text=True, env=os.environ)
    return json.loads(out.stdout.strip().splitlines()[-1])


class ExampleTest(unittest.TestCase):
    def test_open_loop_optimisation_improves_the_return(self):
        r = run_example("open_loop_torch.py", "--batch", "2", "--iterations", "30", "--gn-iterations", "3")
        self.assertGreater(r["return_adam"], r["return_zero_actions"])
        self.assertGreater(r["return_gauss_newton"], r["return_zero_actions"])

    def test_bptt_through_podsim_against_podsim_train(self):
        r = run_example("bptt_torch.py", "--epochs", "3", "--batch", "8", "--test-episodes", "8")
        # the Python closed loop evaluates podsim's policy as podsim's own test bed does
        self.assertAlmostEqual(r["podsim_test_return"], r["podsim_logged_test_return"],
                               delta=1e-9 * abs(r["podsim_logged_test_return"]))
        for key in ("torch_test_return", "torch_initial_return", "torch_loss_first", "torch_loss_last"):
            self.assertTrue(abs(r[key]) < 1e6, key)


if __name__ == "__main__":
    unittest.main()
