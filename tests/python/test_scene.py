"""python: podsim.Scene against the command line (simulate, sample_initial), ownership, threads."""

import os
import shutil
import threading
import unittest

import numpy as np

import podsim
from helpers import (CABLE, DOUBLE_3D, PENDULUM, TempDir, read_csv, run_cli, smooth_actions,
                     write_actions_csv)


def cli_simulate(scene, path, actions, seed=None):
    """podsim simulate's states/rewards/actions CSV as arrays shaped like Scene.simulate's."""
    with TempDir() as tmp:
        a_csv = os.path.join(tmp, "A.csv")
        write_actions_csv(a_csv, scene, actions)
        args = ["simulate", path, "--actions", a_csv, "--steps", str(len(actions)), "--out", tmp]
        if seed is not None:
            args += ["--sample-initial", str(seed)]
        run_cli(*args)
        states, rewards, acts = (read_csv(os.path.join(tmp, f)) for f in ("states.csv", "rewards.csv", "actions.csv"))
    n, names, d = len(actions), scene.node_names, scene.dim
    pos = np.full((n + 1, len(names), d), np.nan)
    vel = np.full_like(pos, np.nan)
    for r in states:
        t, k = int(r["step"]), names.index(r["node"])
        pos[t, k] = [float(r[c]) for c in "xyz"[:d]]
        vel[t, k] = [float(r["v" + c]) for c in "xyz"[:d]]
    rew = np.array([float(r["reward"]) for r in rewards])
    costs = np.array([[float(r[c]) for c in ("cost_p", "cost_x", "cost_v", "cost_a")] for r in rewards])
    applied = np.zeros((n, scene.action_dim))
    for r in acts:
        h = scene.handle_names.index(r["handle"])
        applied[int(r["step"]), h * d:(h + 1) * d] = [float(r["a" + c]) for c in "xyz"[:d]]
    return pos, vel, rew, costs, applied


class SceneTest(unittest.TestCase):
    def test_properties(self):
        s = podsim.Scene(PENDULUM)
        self.assertEqual((s.horizon, s.action_dim, s.dim, s.dt, s.action_limit), (100, 2, 2, 0.01, 2.0))
        self.assertEqual(s.node_names, ["handle", "bob"])
        self.assertEqual(s.node_roles, ["handle", "free"])
        self.assertEqual(s.handle_names, ["handle"])
        self.assertEqual(s.state_labels, ["p:handle:x", "p:handle:y", "x:bob:x", "x:bob:y", "v:bob:x", "v:bob:y"])
        self.assertEqual(s.observation_dim, 6)
        self.assertEqual(s.observation_scale.shape, (6,))
        self.assertIn("pendulum_2d_stop.json", repr(s))

    def test_simulate_equals_cli_csv(self):
        # exact equality: the CSV files hold round-trip precision. Unclamped and clamped actions,
        # nominal and sampled initial states, 2D and 3D, a cable
        checked = 0
        for path, seed, amplitude in ((PENDULUM, None, 0.6), (PENDULUM, 7, 1.7), (CABLE, 3, 0.8), (DOUBLE_3D, 5, 1.5)):
            s = podsim.Scene(path)
            actions = smooth_actions(s, 40, seed=11, amplitude=amplitude)
            initial = None if seed is None else s.sample_initial(seed)
            out = s.simulate(actions, initial)
            pos, vel, rew, costs, applied = cli_simulate(s, path, actions, seed)
            with self.subTest(path=path, seed=seed):
                np.testing.assert_array_equal(out["positions"], pos)
                np.testing.assert_array_equal(out["velocities"], vel)
                np.testing.assert_array_equal(out["rewards"], rew)
                np.testing.assert_array_equal(out["costs"], costs)
                np.testing.assert_array_equal(out["actions"], applied)
                self.assertEqual(out["clamped_actions"], int(np.sum(np.abs(actions) > s.action_limit)))
                checked += 1
        self.assertEqual(checked, 4)
        self.assertGreater(podsim.Scene(PENDULUM).simulate(smooth_actions(podsim.Scene(PENDULUM), 40, 11, 1.7))["clamped_actions"], 0)

    def test_simulate_shapes_and_zero_steps(self):
        s = podsim.Scene(PENDULUM)
        out = s.simulate(np.zeros((0, 2)))
        self.assertEqual(out["positions"].shape, (1, 2, 2))
        self.assertEqual(out["rewards"].shape, (1,))
        out = s.simulate(np.zeros((s.horizon, 2)).tolist())  # lists are arrays too
        self.assertEqual(out["positions"].shape, (101, 2, 2))
        self.assertEqual(out["velocities"].shape, (101, 2, 2))
        self.assertTrue(out["positions"].flags.owndata or out["positions"].base is not None)

    def test_sample_initial_equals_cli(self):
        s = podsim.Scene(PENDULUM)
        for seed in (0, 1, 123456789):
            z = s.sample_initial(seed)
            pos, vel, *_ = cli_simulate(s, PENDULUM, np.zeros((1, 2)), seed)
            np.testing.assert_array_equal(z["positions"], pos[0])
            np.testing.assert_array_equal(z["velocities"], vel[0])
        self.assertFalse(np.array_equal(s.sample_initial(1)["positions"], s.sample_initial(2)["positions"]))
        np.testing.assert_array_equal(s.nominal_initial()["positions"], [[0, 0], [0.479426, -0.877583]])
        bed = s.test_bed(seed=12345, episodes=3)
        self.assertEqual(len(bed), 3)
        self.assertEqual(bed[0]["positions"].shape, (2, 2))

    def test_scene_works_after_its_file_is_deleted(self):
        with TempDir() as tmp:
            path = os.path.join(tmp, "p.json")
            shutil.copy(PENDULUM, path)
            s = podsim.Scene(path)
            os.remove(path)
        actions = smooth_actions(s, 30, 2)
        ref = podsim.Scene(PENDULUM)
        np.testing.assert_array_equal(s.simulate(actions)["positions"], ref.simulate(actions)["positions"])
        v, g = s.value_and_gradient(actions)
        self.assertEqual(v, ref.value_and_gradient(actions)[0])
        self.assertEqual(s.jacobian(actions).shape, (31, 6, 30, 2))

    def test_results_are_owned_by_python(self):
        s = podsim.Scene(PENDULUM)
        out = s.simulate(np.zeros((5, 2)))
        pos = out["positions"]
        del s, out
        self.assertEqual(pos.shape, (6, 2, 2))
        pos[:] = 0  # writable, ours
        init = podsim.Scene(PENDULUM).sample_initial(3)
        init["positions"][1, 0] += 0.0  # a plain owned array

    def test_threads_release_the_gil_and_agree(self):
        s = podsim.Scene(PENDULUM)
        actions = [smooth_actions(s, 100, seed) for seed in range(4)]
        expected = [s.simulate(a)["rewards"] for a in actions]
        results = [None] * 4

        def work(i):
            for _ in range(5):
                results[i] = s.simulate(actions[i])["rewards"]

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r, e in zip(results, expected):
            np.testing.assert_array_equal(r, e)

    def test_observe(self):
        s = podsim.Scene(PENDULUM)
        z = s.sample_initial(4)
        obs = s.observe(z["positions"], z["velocities"])
        # [p - p*, x - x*, v]
        np.testing.assert_allclose(obs, np.concatenate([z["positions"][0], z["positions"][1] - [0, -1], z["velocities"][1]]),
                                   rtol=0, atol=1e-15)
        self.assertEqual(s.observation_labels, s.state_labels)


if __name__ == "__main__":
    unittest.main()
