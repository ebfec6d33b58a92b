"""python: bad input raises ValueError with the command line's one-line message, numerical
failures RuntimeError; nothing crashes."""

import json
import os
import subprocess
import unittest

import numpy as np

import podsim
from helpers import CLI, PENDULUM, TempDir, read_json


def write_scene(tmp, edit, name="s.json"):
    scene = read_json(PENDULUM)
    edit(scene)
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(scene, f)
    return path


class ErrorTest(unittest.TestCase):
    def assert_value_error(self, text, fn, *args, **kwargs):
        with self.assertRaises(ValueError) as cm:
            fn(*args, **kwargs)
        message = str(cm.exception)
        self.assertIn(text, message)
        self.assertNotIn("\n", message)
        return message

    def test_scene_file_errors_match_the_cli(self):
        with TempDir() as tmp:
            bad = write_scene(tmp, lambda s: s["springs"][0].update(stiffness=-1))
            unknown = write_scene(tmp, lambda s: s.update(colour="red"), "u.json")
            for path in (bad, unknown, os.path.join(tmp, "missing.json")):
                with self.assertRaises(ValueError) as cm:
                    podsim.Scene(path)
                cli = subprocess.run([CLI, "validate", path], capture_output=True, text=True)
                self.assertEqual(cli.returncode, 2)
                # the CLI prints "podsim: error: <message>" (validate may prefix the file)
                self.assertIn(str(cm.exception), cli.stderr + cli.stdout)

    def test_bad_actions(self):
        s = podsim.Scene(PENDULUM)
        self.assert_value_error("actions: got shape (100,), must be (N, 2)", s.simulate, np.zeros(100))
        self.assert_value_error("actions: got shape (10, 3), must be (N, 2)", s.value_and_gradient, np.zeros((10, 3)))
        m = self.assert_value_error("actions[2, 0] = nan: must be finite", s.simulate, np.where(np.eye(10, 2, -2) > 0, np.nan, 0))
        self.assertIn("nan", m)
        self.assert_value_error("actions[0, 0] = inf: must be finite", s.jacobian, np.full((4, 2), np.inf))
        self.assert_value_error("actions: got 0 steps, must be in [1,", s.value_and_gradient, np.zeros((0, 2)))
        self.assert_value_error("actions: got str, must be an array of numbers", s.simulate, "abc")
        self.assert_value_error("actions: got None", s.simulate, None)
        self.assert_value_error("mu: got -1, must be finite and >= 0", s.gauss_newton_step, np.zeros((5, 2)), mu=-1)
        cloth = podsim.Scene(os.path.join(os.path.dirname(PENDULUM), "cloth_32.json"))
        self.assert_value_error(f"actions: got {cloth.max_steps + 1} steps, must be in [0, {cloth.max_steps}]", cloth.simulate,
                                np.zeros((cloth.max_steps + 1, cloth.action_dim)))

    def test_bad_initial_states(self):
        s = podsim.Scene(PENDULUM)
        a = np.zeros((5, 2))
        z = s.sample_initial(1)
        self.assert_value_error("initial: got list", s.simulate, a, [1, 2])
        self.assert_value_error('initial: missing key "velocities"', s.simulate, a, {"positions": z["positions"]})
        self.assert_value_error('initial: unknown key "x"', s.simulate, a, dict(z, x=1))
        self.assert_value_error("initial.positions: got shape (2,), must be (2, 2)", s.simulate, a,
                                {"positions": [0, 0], "velocities": z["velocities"]})
        moving = {"positions": z["positions"], "velocities": z["velocities"] + 1}
        self.assert_value_error('initial.velocities[0] (handle "handle"): got (1, 1), must be 0', s.simulate, a, moving)
        self.assert_value_error("initial.velocities[1, 0] = nan", s.simulate, a,
                                {"positions": z["positions"], "velocities": np.array([[0, 0], [np.nan, 0]])})

    def test_bad_seeds_and_paths(self):
        s = podsim.Scene(PENDULUM)
        self.assert_value_error("seed: got -1, must be an integer in [0, 9007199254740992]", s.sample_initial, -1)
        self.assert_value_error("seed: got 1.5", s.sample_initial, 1.5)
        self.assert_value_error("seed: got True", s.sample_initial, True)
        self.assertEqual(s.sample_initial(np.int64(3))["positions"].shape, (2, 2))
        self.assert_value_error("episodes: got 0", s.test_bed, 1, 0)
        self.assert_value_error("cannot open", podsim.Scene, "/nonexistent/scene.json")
        self.assert_value_error("cannot open", podsim.Policy.load, "/nonexistent/policy.json")
        with self.assertRaises(TypeError):
            podsim.Scene(3)

    def test_newton_failure_is_a_runtime_error(self):
        with TempDir() as tmp:
            path = write_scene(tmp, lambda s: s.update(solver={"max_iterations": 1, "tolerance": 1e-15}))
            s = podsim.Scene(path)
        for fn in (s.simulate, s.value_and_gradient, s.jacobian):
            with self.assertRaises(RuntimeError) as cm:
                fn(np.ones((20, 2)))
            self.assertIn("Newton did not converge", str(cm.exception))
            self.assertIn("step 0", str(cm.exception))

    def test_dense_size_limits(self):
        # 2600 steps x 2 actions: a Gauss-Newton system of order 5200 > 5000 (checked up front)
        s = podsim.Scene(PENDULUM)
        self.assert_value_error("jacobian: ", s.jacobian, np.zeros((2600, 2)))
        self.assert_value_error("gauss_newton_step: ", s.gauss_newton_step, np.zeros((2600, 2)))


if __name__ == "__main__":
    unittest.main()
