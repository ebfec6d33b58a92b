"""python: podsim.train (the run of `podsim train`, options checked as the command line checks
them) and podsim.Policy (load, act, parameters) against the command line's files."""

import os
import unittest

import numpy as np
import torch

import podsim
import podsim.torch as pt
from helpers import PENDULUM, TempDir, read_csv, read_json, run_cli

TINY = dict(epochs=2, batch=4, test_episodes=4, hidden=[8, 8], seed=3)


class TrainTest(unittest.TestCase):
    def test_train_writes_the_cli_run(self):
        with TempDir() as tmp:
            py_out, cli_out = os.path.join(tmp, "py"), os.path.join(tmp, "cli")
            run = podsim.train(PENDULUM, method="bptt", out=py_out, **TINY)
            run_cli("train", PENDULUM, "--method", "bptt", "--epochs", "2", "--batch", "4", "--test-episodes", "4",
                    "--hidden", "8,8", "--seed", "3", "--out", cli_out)
            for f in ("policy.json", "log.csv", "config.json"):
                self.assertTrue(os.path.exists(os.path.join(py_out, f)), f)
            py_policy, cli_policy = (read_json(os.path.join(d, "policy.json")) for d in (py_out, cli_out))
            self.assertEqual(py_policy["parameters"], cli_policy["parameters"])
            self.assertEqual(read_json(os.path.join(py_out, "config.json")), read_json(os.path.join(cli_out, "config.json")))
            log = read_csv(os.path.join(cli_out, "log.csv"))
            np.testing.assert_array_equal(run["log"]["test_return_mean"], [float(r["test_return_mean"]) for r in log])
            np.testing.assert_array_equal(run["log"]["epoch"], [0, 1, 2])
            loaded = podsim.Policy.load(os.path.join(py_out, "policy.json"))
            np.testing.assert_array_equal(loaded.parameters(), run["policy"].parameters())
            self.assertEqual(run["stopped"], "epochs")
            self.assertEqual(run["config"]["method"], "bptt")
            # an existing run is not overwritten, resume continues it
            with self.assertRaisesRegex(ValueError, "resume"):
                podsim.train(PENDULUM, method="bptt", out=py_out, **TINY)
            more = podsim.train(PENDULUM, method="bptt", out=py_out, resume=True, **dict(TINY, epochs=3))
            self.assertEqual(more["resumed_from"], 2)
            self.assertEqual(len(more["log"]["epoch"]), 4)

    def test_policy_act_reproduces_the_test_returns(self):
        # the closed loop in Python (podsim.torch.step + Policy.act) gives the test-bed return
        # that training logged for the same policy
        s = podsim.Scene(PENDULUM)
        run = podsim.train(PENDULUM, method="pods2", **TINY)
        self.assertIsNone(run["out"])
        policy = run["policy"]
        self.assertEqual((policy.type, policy.n_obs, policy.n_act, policy.horizon), ("mlp", 6, 2, 1))
        self.assertEqual(policy.parameters().shape, (policy.n_params,))
        z = pt.initial_state(s, s.test_bed(12345, 4))
        total = torch.zeros(4, dtype=torch.float64)
        for t in range(s.horizon):
            a = torch.from_numpy(policy.act(pt.observe(s, z).numpy()))
            total += pt.step_cost(s, z, a)
            z = pt.step(s, z, a, t)
        total += pt.terminal_cost(s, z)
        self.assertAlmostEqual(-total.mean().item(), run["log"]["test_return_mean"][-1], delta=1e-9 * abs(total.mean().item()))

    def test_act_shapes_and_ndp_head(self):
        run = podsim.train(PENDULUM, method="pods1", head="ndp", epochs=0, test_episodes=2, ndp_horizon=5)
        p = run["policy"]
        self.assertEqual((p.type, p.horizon), ("ndp", 5))
        obs = np.random.default_rng(0).normal(size=(3, 6)) * 0.1
        self.assertEqual(p.act(obs).shape, (3, 5, 2))
        self.assertEqual(p.act(obs[0]).shape, (5, 2))
        np.testing.assert_array_equal(p.act(obs)[1], p.act(obs[1]))
        self.assertEqual(p.act(obs, handle_velocity=np.zeros((3, 2))).shape, (3, 5, 2))
        with self.assertRaisesRegex(ValueError, r"obs: got shape \(3, 5\), must be \(6,\) or \(B, 6\)"):
            p.act(obs[:, :5])
        with self.assertRaisesRegex(ValueError, r"handle_velocity: got shape \(2,\), must be \(3, 2\)"):
            p.act(obs, handle_velocity=np.zeros(2))
        q = podsim.train(PENDULUM, method="bptt", epochs=0, test_episodes=2)["policy"]
        theta = q.parameters()
        q.set_parameters(theta * 0.5)
        np.testing.assert_array_equal(q.parameters(), theta * 0.5)
        with TempDir() as tmp:
            q.save(os.path.join(tmp, "p.json"))
            np.testing.assert_array_equal(podsim.Policy.load(os.path.join(tmp, "p.json")).parameters(), theta * 0.5)

    def test_hndp_writes_the_cli_run(self):
        with TempDir() as tmp:
            py_out, cli_out = os.path.join(tmp, "py"), os.path.join(tmp, "cli")
            hndp = dict(regions=2, region_samples=32, ndp_basis=4, fit_steps=5)
            run = podsim.train(PENDULUM, method="hndp", out=py_out, **TINY, **hndp)
            run_cli("train", PENDULUM, "--method", "hndp", "--epochs", "2", "--batch", "4", "--test-episodes", "4",
                    "--hidden", "8,8", "--seed", "3", "--regions", "2", "--region-samples", "32", "--ndp-basis", "4",
                    "--fit-steps", "5", "--out", cli_out)
            py_policy, cli_policy = (read_json(os.path.join(d, "policy.json")) for d in (py_out, cli_out))
            self.assertEqual(py_policy["type"], "ndp")
            self.assertEqual(py_policy["training"]["hndp"], cli_policy["training"]["hndp"])
            log = read_csv(os.path.join(cli_out, "log.csv"))
            for column in ("global_return", "local_return", "bc_loss", "pulled_regions"):
                np.testing.assert_array_equal(run["log"][column], [float(r[column]) for r in log])
            self.assertGreater(run["log"]["bc_loss"][-1], 0)
        with self.assertRaisesRegex(ValueError, 'local_method: got "bptt", must be one of pods2, pods1, ppo'):
            podsim.train(PENDULUM, method="hndp", local_method="bptt", epochs=0)
        with self.assertRaisesRegex(ValueError, "head: method hndp trains NDP policies, must be ndp"):
            podsim.train(PENDULUM, method="hndp", head="mlp", epochs=0)

    def test_method_defaults(self):
        # pods2 fits on-policy, replays 3 epochs and adapts its damping unless told otherwise,
        # pods1 fits on-policy, as `podsim train` does
        with TempDir() as tmp:
            for method, options, replay, target, damping in (
                    ("pods2", {}, 3, "on-policy", "adaptive"),
                    ("pods2", dict(fit_replay=0, pods_target="feedback", pods_damping="fixed"), 0, "feedback", "fixed"),
                    ("pods1", {}, 0, "on-policy", "fixed")):
                with self.subTest(method=method, options=options):
                    out = os.path.join(tmp, method + str(len(options)))
                    run = podsim.train(PENDULUM, method=method, out=out, **dict(TINY, epochs=1, fit_steps=2), **options)
                    self.assertEqual(run["config"]["fit_replay"], replay)
                    self.assertEqual(run["config"]["pods_target"], target)
                    self.assertEqual(run["config"]["pods_damping"], damping)

    def test_bad_options(self):
        cases = [
            (dict(method="foo"), 'method: got "foo", must be one of pods2, pods1, bptt, ppo'),
            (dict(head="cnn"), 'head: got "cnn", must be one of mlp, ndp'),
            (dict(epochs=-1), "epochs: got -1, must be in [0, 1000000]"),
            (dict(batch=2.5), "batch: got 2.5, must be an integer"),
            (dict(fit_lr=2.0), "fit_lr: must be in (0, 1]"),
            (dict(fit_proximal=-1.0), "fit_proximal: must be in [0, 1e6]"),
            (dict(fit_guard=61), "fit_guard: got 61, must be in [0, 60]"),
            (dict(fit_replay=17), "fit_replay: got 17, must be in [0, 16]"),
            (dict(fit_replay_follow=1.5), "fit_replay_follow: must be in [0, 1]"),
            (dict(hidden="64,64"), "hidden: got '64,64', must be a list of layer widths"),
            (dict(hidden=[]), "hidden: must have 1 to"),
            (dict(seed=-3), "seed: got -3, must be an integer in [0, "),
            (dict(time_budget=float("inf")), "time_budget: got inf, must be finite and >= 0"),
            (dict(colour=1), 'unknown option "colour", must be one of'),
            (dict(activation="sigmoid"), 'activation: got "sigmoid", must be one of tanh, relu, elu, linear'),
            (dict(resume=1), "resume: got 1, must be True or False"),
            (dict(pods_target="closed-loop"), 'pods_target: unknown PODS target "closed-loop" (choices: open-loop, feedback, on-policy)'),
            (dict(pods_metric="l1"), 'pods_metric: unknown PODS metric "l1" (choices: euclidean, control-hessian)'),
            (dict(init_policy="/nonexistent/policy.json"), "/nonexistent/policy.json"),
        ]
        for options, message in cases:
            with self.subTest(options=options):
                with self.assertRaises(ValueError) as cm:
                    podsim.train(PENDULUM, **options)
                self.assertIn(message, str(cm.exception))
        with self.assertRaisesRegex(ValueError, "cannot open"):
            podsim.train("/nonexistent.json", epochs=0)


if __name__ == "__main__":
    unittest.main()
