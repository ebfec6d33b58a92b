"""python: podsim.torch, the PyTorch layer: rollout and step equal Scene.simulate, their adjoints
pass torch.autograd.gradcheck in double, batches do not depend on the thread count."""

import unittest

import numpy as np
import torch

import podsim
import podsim.torch as pt
from helpers import CABLE, DOUBLE_3D, PENDULUM, TempDir, assert_close, scene_with_solver, smooth_actions

torch.set_default_dtype(torch.float64)


def tight(path):
    """The scene with Newton converged to 1e-13 (relative): central differences of the solver's
    output then measure the derivative, not the solver tolerance (at the default 1e-9 the
    velocity (3 x' - 4 x + x_prev) / 2h amplifies it past gradcheck's tolerances)."""
    with TempDir() as tmp:
        return podsim.Scene(scene_with_solver(path, tmp, tolerance=1e-13))


class RolloutTest(unittest.TestCase):
    def test_rollout_equals_simulate_per_item(self):
        for path in (PENDULUM, DOUBLE_3D):
            s = podsim.Scene(path)
            a = np.stack([smooth_actions(s, 25, seed, amplitude=1.4) for seed in range(3)])
            initial = [s.sample_initial(seed) for seed in range(3)]
            r = pt.rollout(s, torch.tensor(a), initial)
            self.assertEqual(tuple(r.positions.shape), (3, 26, len(s.node_names), s.dim))
            for b in range(3):
                out = s.simulate(a[b], initial[b])
                np.testing.assert_array_equal(r.positions[b].numpy(), out["positions"])
                np.testing.assert_array_equal(r.velocities[b].numpy(), out["velocities"])
                np.testing.assert_array_equal(r.rewards[b].numpy(), out["rewards"])

    def test_leading_dimensions_and_broadcast_initial(self):
        s = podsim.Scene(PENDULUM)
        a = torch.zeros(2, 3, 10, 2)
        z = s.sample_initial(5)
        r = pt.rollout(s, a, z)
        self.assertEqual(tuple(r.rewards.shape), (2, 3, 11))
        np.testing.assert_array_equal(r.rewards[1, 2].numpy(), s.simulate(np.zeros((10, 2)), z)["rewards"])
        self.assertEqual(tuple(pt.rollout(s, torch.zeros(10, 2)).positions.shape), (11, 2, 2))

    def test_gradcheck(self):
        for path in (PENDULUM, CABLE):
            s = tight(path)
            a = torch.tensor(np.stack([smooth_actions(s, 6, seed) for seed in (1, 2)]), requires_grad=True)
            initial = [s.sample_initial(3), s.sample_initial(4)]
            for part in range(3):
                fn = lambda x, part=part: pt.rollout(s, x, initial)[part]  # noqa: E731
                self.assertTrue(torch.autograd.gradcheck(fn, (a,), eps=1e-6, atol=1e-5, rtol=1e-4), f"{path} output {part}")

    def test_backward_is_the_value_gradient(self):
        s = podsim.Scene(PENDULUM)
        a = smooth_actions(s, 100, 8)
        x = torch.tensor(a, requires_grad=True)
        pt.rollout(s, x).rewards.sum().backward()
        v, g = s.value_and_gradient(a)
        assert_close(self, x.grad.numpy(), g, 1e-12, "dV/da")
        self.assertGreater(np.abs(g).max(), 1e-2)

    def test_clamped_components_have_zero_derivative(self):
        s = podsim.Scene(PENDULUM)
        a = smooth_actions(s, 20, 2, amplitude=1.5)
        clamped = np.abs(a) > s.action_limit
        self.assertTrue(clamped.any() and (~clamped).any())
        x = torch.tensor(a, requires_grad=True)
        pt.rollout(s, x).rewards.sum().backward()
        self.assertTrue(np.all(x.grad.numpy()[clamped] == 0))
        self.assertTrue(np.all(x.grad.numpy()[~clamped] != 0))

    def test_thread_count_does_not_change_results(self):
        s = podsim.Scene(PENDULUM)
        a = torch.tensor(np.stack([smooth_actions(s, 50, seed, 1.2) for seed in range(7)]))
        out = []
        for threads in (1, 2):
            x = a.clone().requires_grad_()
            r = pt.rollout(s, x, [s.sample_initial(k) for k in range(7)], threads=threads)
            (r.rewards.sum() + r.positions.square().sum()).backward()
            out.append((r.positions, x.grad))
        self.assertTrue(torch.equal(out[0][0], out[1][0]))
        self.assertTrue(torch.equal(out[0][1], out[1][1]))

    def test_bad_input(self):
        s = podsim.Scene(PENDULUM)
        with self.assertRaisesRegex(ValueError, r"actions: got shape \(10, 3\), must be \(\.\.\., N, 2\)"):
            pt.rollout(s, torch.zeros(10, 3))
        with self.assertRaisesRegex(ValueError, r"actions\[0, 4, 1\] = nan: must be finite"):
            a = torch.zeros(1, 10, 2)
            a[0, 4, 1] = float("nan")
            pt.rollout(s, a)
        with self.assertRaisesRegex(ValueError, "initial: got a list of 1 states, must have one per batch item"):
            pt.rollout(s, torch.zeros(2, 10, 2), [s.sample_initial(1)])
        z = s.sample_initial(1)
        with self.assertRaisesRegex(ValueError, "gradients with respect to the initial state"):
            pt.rollout(s, torch.zeros(10, 2), {"positions": torch.tensor(z["positions"], requires_grad=True),
                                               "velocities": z["velocities"]})
        with self.assertRaisesRegex(ValueError, "scene: got str"):
            pt.rollout("scene.json", torch.zeros(10, 2))
        # float32 is computed in double
        self.assertEqual(pt.rollout(s, torch.zeros(10, 2, dtype=torch.float32)).rewards.dtype, torch.float64)


class StepTest(unittest.TestCase):
    def test_steps_equal_the_rollout_and_costs_the_rewards(self):
        s = podsim.Scene(PENDULUM)
        a = torch.tensor(np.stack([smooth_actions(s, 30, seed, 1.3) for seed in (4, 5)]))
        initial = [s.sample_initial(4), s.sample_initial(5)]
        r = pt.rollout(s, a, initial)
        z = pt.initial_state(s, initial)
        n_x = 2
        cost = torch.zeros(2)
        for t in range(30):
            cost = cost + pt.step_cost(s, z, a[:, t])
            z = pt.step(s, z, a[:, t], t)
            self.assertTrue(torch.equal(z[:, :n_x], r.positions[:, t + 1, 1]))
            self.assertTrue(torch.equal(z[:, n_x:2 * n_x], r.velocities[:, t + 1, 1]))
        cost = cost + pt.terminal_cost(s, z)
        assert_close(self, cost.numpy(), -r.rewards.sum(1).numpy(), 1e-13, "cost")
        obs = pt.observe(s, z)
        np.testing.assert_allclose(obs[0].numpy(), s.observe(r.positions[0, -1].numpy(), r.velocities[0, -1].numpy()),
                                   rtol=0, atol=1e-15)

    def test_step_gradcheck(self):
        for path in (PENDULUM, CABLE, DOUBLE_3D):
            s = tight(path)
            b = 2
            a = torch.tensor(np.stack([smooth_actions(s, 4, seed) for seed in range(b)]))
            z = pt.initial_state(s, [s.sample_initial(k) for k in range(b)])
            for t in range(4):
                x, u = z.clone().requires_grad_(), a[:, t].clone().requires_grad_()
                self.assertTrue(torch.autograd.gradcheck(lambda x, u, t=t: pt.step(s, x, u, t), (x, u), eps=1e-6,
                                                         atol=1e-5, rtol=1e-4), f"{path} t={t}")
                z = pt.step(s, z, a[:, t], t)

    def test_closed_loop_gradient_matches_central_differences(self):
        s = podsim.Scene(PENDULUM)
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
        scale = torch.as_tensor(s.observation_scale)
        policy = lambda o: 2.0 * torch.tanh(net(o * scale))  # noqa: E731
        z0 = pt.initial_state(s, [s.sample_initial(k) for k in range(3)])
        loss = pt.closed_loop_cost(s, policy, z0, steps=25).mean()
        params = list(net.parameters())
        grads = torch.autograd.grad(loss, params)
        self.assertGreater(max(g.abs().max().item() for g in grads), 1e-3)
        gen = torch.Generator().manual_seed(1)
        directions = [torch.randn(p.shape, generator=gen) for p in params]
        norm = torch.sqrt(sum((d * d).sum() for d in directions))
        directions = [d / norm for d in directions]
        eps = 1e-5
        with torch.no_grad():
            def shifted(sign):
                for p, d in zip(params, directions):
                    p.add_(sign * eps * d)
                value = pt.closed_loop_cost(s, policy, z0, steps=25).mean().item()
                for p, d in zip(params, directions):
                    p.sub_(sign * eps * d)
                return value
            fd = (shifted(1) - shifted(-1)) / (2 * eps)
        analytic = sum((g * d).sum() for g, d in zip(grads, directions)).item()
        assert_close(self, analytic, fd, 1e-6, "directional derivative")

    def test_step_bad_input(self):
        s = podsim.Scene(PENDULUM)
        z = pt.initial_state(s, batch=2)
        self.assertEqual(tuple(z.shape), (2, 10))
        with self.assertRaisesRegex(ValueError, r"state: got shape \(2, 9\), must be \(B, 10\)"):
            pt.step(s, z[:, :9], torch.zeros(2, 2), 0)
        with self.assertRaisesRegex(ValueError, r"actions: got shape \(3, 2\), must be \(2, 2\)"):
            pt.step(s, z, torch.zeros(3, 2), 0)
        with self.assertRaisesRegex(ValueError, "t: got -1"):
            pt.step(s, z, torch.zeros(2, 2), -1)
        with self.assertRaisesRegex(ValueError, r"state\[1, 0\] = inf: must be finite"):
            bad = z.clone()
            bad[1, 0] = float("inf")
            pt.step(s, bad, torch.zeros(2, 2), 0)
        # Newton failure: one iteration allowed, an unreachable tolerance
        with TempDir() as tmp:
            failing = podsim.Scene(scene_with_solver(PENDULUM, tmp, max_iterations=1, tolerance=1e-15))
        for fn in (lambda: pt.step(failing, z, torch.ones(2, 2), 0),
                   lambda: pt.rollout(failing, torch.ones(2, 5, 2))):
            with self.assertRaises(RuntimeError) as cm:
                fn()
            self.assertIn("batch item 0: step 0: Newton did not converge", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
