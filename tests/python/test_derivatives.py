"""python: value_and_gradient, jacobian and gauss_newton_step against central finite differences
of simulate and against `podsim sensitivity` (same numbers as its CSV files)."""

import os
import unittest

import numpy as np

import podsim
from helpers import (DOUBLE_3D, PENDULUM, TempDir, assert_close, read_csv, read_json, run_cli,
                     smooth_actions, write_actions_csv)

EPS = 1e-5


def reduced_states(scene, out):
    """s_t (N+1, n_s) of a simulate result, entries as scene.state_labels names them."""
    cols = []
    for label in scene.state_labels:
        kind, node, axis = label.split(":")
        k, c = scene.node_names.index(node), "xyz".index(axis)
        cols.append((out["velocities"] if kind == "v" else out["positions"])[:, k, c])
    return np.stack(cols, axis=1)


def value(scene, actions, initial=None):
    return scene.simulate(actions, initial)["rewards"].sum()


class DerivativeTest(unittest.TestCase):
    def test_gradient_matches_central_differences(self):
        checks = expected = 0
        for path, steps, seed in ((PENDULUM, 30, 3), (DOUBLE_3D, 12, 5)):
            s = podsim.Scene(path)
            a = smooth_actions(s, steps, seed)
            z0 = s.sample_initial(seed)
            v, g = s.value_and_gradient(a, z0)
            self.assertEqual(g.shape, a.shape)
            self.assertGreater(np.abs(g).max(), 1e-3)  # not trivially zero
            self.assertAlmostEqual(v, value(s, a, z0), delta=1e-12 * abs(v))  # summed in another order
            # every entry (these are small problems) ...
            fd = np.zeros_like(a)
            for idx in np.ndindex(*a.shape):
                e = np.zeros_like(a)
                e[idx] = EPS
                fd[idx] = (value(s, a + e, z0) - value(s, a - e, z0)) / (2 * EPS)
            checks += assert_close(self, g, fd, 1e-5, f"{path} dV/da")
            # ... and one random direction
            u = np.random.default_rng(seed).normal(size=a.shape)
            u /= np.linalg.norm(u)
            directional = (value(s, a + EPS * u, z0) - value(s, a - EPS * u, z0)) / (2 * EPS)
            checks += assert_close(self, np.sum(g * u), directional, 1e-6, f"{path} directional")
            expected += a.size + 1
        self.assertEqual(checks, expected)
        self.assertEqual(expected, 30 * 2 + 12 * 3 + 2)

    def test_jacobian_matches_central_differences(self):
        checks = expected = 0
        for path, steps, seed in ((PENDULUM, 15, 1), (DOUBLE_3D, 6, 2)):
            s = podsim.Scene(path)
            a = smooth_actions(s, steps, seed)
            z0 = s.sample_initial(seed)
            j = s.jacobian(a, z0)
            n_s = len(s.state_labels)
            self.assertEqual(j.shape, (steps + 1, n_s, steps, s.action_dim))
            fd = np.full_like(j, np.nan)
            for k, c in np.ndindex(steps, s.action_dim):
                e = np.zeros_like(a)
                e[k, c] = EPS
                plus, minus = (reduced_states(s, s.simulate(a + d, z0)) for d in (e, -e))
                fd[:, :, k, c] = (plus - minus) / (2 * EPS)
            checks += assert_close(self, j, fd, 1e-6, f"{path} ds/da")
            expected += (steps + 1) * n_s * steps * s.action_dim
            # block lower triangular: s_t does not depend on a_k for k >= t
            for t in range(steps + 1):
                self.assertTrue(np.all(j[t, :, t:, :] == 0))
            self.assertGreater(np.abs(j).max(), 1e-3)
        self.assertEqual(checks, expected)

    def test_gauss_newton_step_matches_its_formula(self):
        # delta = -(J^T Q J + R + mu I)^-1 dC/da with the cost's weights and J from the analytic
        # Jacobian (to round-off) and from finite differences (independent of it; the solve with
        # w_a = 0.001 and mu = 0 amplifies their 1e-7 differences)
        s = podsim.Scene(PENDULUM)
        steps = 12
        a = smooth_actions(s, steps, 4)
        lay = podsim._core._layout(s)
        n_s, n_a = len(s.state_labels), s.action_dim
        fd = np.zeros((steps + 1, n_s, steps, n_a))
        for k, c in np.ndindex(steps, n_a):
            e = np.zeros_like(a)
            e[k, c] = EPS
            fd[:, :, k, c] = (reduced_states(s, s.simulate(a + e)) - reduced_states(s, s.simulate(a - e))) / (2 * EPS)
        j = fd.reshape((steps + 1) * n_s, steps * n_a)
        q = np.concatenate([np.tile(2 * lay["cost_weights"], steps), 2 * lay["cost_terminal_weights"]])
        grad = -s.value_and_gradient(a)[1].reshape(-1)
        analytic = s.jacobian(a).reshape(j.shape)

        def formula(jac, mu):
            h = jac.T @ (q[:, None] * jac) + (2 * lay["action_weight"] + mu) * np.eye(steps * n_a)
            return -np.linalg.solve(h, grad).reshape(steps, n_a)

        for mu, fd_tol in ((0.0, 1e-4), (0.5, 1e-6)):
            step = s.gauss_newton_step(a, mu=mu)
            self.assertEqual(step.shape, a.shape)
            assert_close(self, step, formula(analytic, mu), 1e-9, f"mu={mu}, analytic J")
            assert_close(self, step, formula(j, mu), fd_tol, f"mu={mu}, finite-difference J")
        # the model decrease is positive: the step goes downhill
        self.assertLess(np.sum(grad * s.gauss_newton_step(a).reshape(-1)), 0)

    def test_equal_to_podsim_sensitivity(self):
        s = podsim.Scene(PENDULUM)
        a = smooth_actions(s, 20, 9, amplitude=1.3)  # some components clamped
        with TempDir() as tmp:
            a_csv = os.path.join(tmp, "A.csv")
            write_actions_csv(a_csv, s, a)
            run_cli("sensitivity", PENDULUM, "--actions", a_csv, "--steps", "20", "--jacobian", "--mu", "0.25",
                    "--sample-initial", "6", "--out", tmp)
            grad_rows = read_csv(os.path.join(tmp, "gradient.csv"))
            step_rows = read_csv(os.path.join(tmp, "gn_step.csv"))
            jac_rows = read_csv(os.path.join(tmp, "jacobian.csv"))
            summary = read_json(os.path.join(tmp, "summary.json"))
        z0 = s.sample_initial(6)
        v, g = s.value_and_gradient(a, z0)
        self.assertEqual(v, summary["value"])
        np.testing.assert_array_equal(g, [[float(r["dx"]), float(r["dy"])] for r in grad_rows])
        np.testing.assert_array_equal(s.gauss_newton_step(a, mu=0.25, initial=z0),
                                      [[float(r["dx"]), float(r["dy"])] for r in step_rows])
        j = s.jacobian(a, z0).reshape(21 * 6, 40)
        np.testing.assert_array_equal(j, [[float(v) for k, v in r.items() if k not in ("step", "component")] for r in jac_rows])


if __name__ == "__main__":
    unittest.main()
