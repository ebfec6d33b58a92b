#!/usr/bin/python3
"""Open-loop trajectory optimisation with torch.optim through podsim.torch.rollout.

A batch of action sequences, one per initial state of the 2D pendulum (scenes/pendulum_2d_stop.json
by default), is optimised with Adam on the rollouts' cost; the gradient is podsim's adjoint. For
comparison the same problems are solved with podsim's own Gauss-Newton step from numpy
(Scene.gauss_newton_step with a halving line search on Scene.simulate's return).

    PYTHONPATH=build/python /usr/bin/python3 python/examples/open_loop_torch.py [--iterations 200]

Prints one JSON line: the mean return before, after Adam and after Gauss-Newton.
"""

import argparse
import json
import os
import time

import numpy as np
import torch

import podsim
import podsim.torch as pt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def adam(scene, initial, iterations, lr):
    """Adam on the mean cost of all rollouts; actions start at zero, clamping is part of the map."""
    actions = torch.zeros(len(initial), scene.horizon, scene.action_dim, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([actions], lr=lr)
    for _ in range(iterations):
        opt.zero_grad()
        loss = -pt.rollout(scene, actions, initial).rewards.sum(-1).mean()
        loss.backward()
        opt.step()
        with torch.no_grad():  # keep the iterate in the box, where the gradient is informative
            actions.clamp_(-scene.action_limit, scene.action_limit)
    with torch.no_grad():
        return pt.rollout(scene, actions, initial).rewards.sum(-1).numpy()


def gauss_newton(scene, z0, iterations, mu=1e-6):
    """Unconstrained Gauss-Newton steps from numpy with a halving line search on the return,
    projected onto the action box (a few iterations; podsim optimize is the box-aware solver)."""
    a = np.zeros((scene.horizon, scene.action_dim))
    value = scene.simulate(a, z0)["rewards"].sum()
    for _ in range(iterations):
        delta = scene.gauss_newton_step(a, mu=mu, initial=z0)
        alpha = 1.0
        for _ in range(12):
            trial = np.clip(a + alpha * delta, -scene.action_limit, scene.action_limit)
            v = scene.simulate(trial, z0)["rewards"].sum()
            if v > value:
                a, value = trial, v
                break
            alpha /= 2
        else:
            break
    return value


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scene", default=os.path.join(ROOT, "scenes", "pendulum_2d_stop.json"))
    ap.add_argument("--batch", type=int, default=4, help="initial states (seeds 0..batch-1)")
    ap.add_argument("--iterations", type=int, default=200, help="Adam iterations")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--gn-iterations", type=int, default=10)
    args = ap.parse_args()

    scene = podsim.Scene(args.scene)
    initial = [scene.sample_initial(seed) for seed in range(args.batch)]
    zero = np.array([scene.simulate(np.zeros((scene.horizon, scene.action_dim)), z)["rewards"].sum() for z in initial])
    start = time.perf_counter()
    after_adam = adam(scene, initial, args.iterations, args.lr)
    adam_s = time.perf_counter() - start
    start = time.perf_counter()
    after_gn = np.array([gauss_newton(scene, z, args.gn_iterations) for z in initial])
    gn_s = time.perf_counter() - start
    print(json.dumps({"scene": scene.name, "batch": args.batch, "return_zero_actions": zero.mean(),
                      "return_adam": after_adam.mean(), "adam_iterations": args.iterations, "adam_s": round(adam_s, 3),
                      "return_gauss_newton": after_gn.mean(), "gn_iterations": args.gn_iterations, "gn_s": round(gn_s, 3)}))


if __name__ == "__main__":
    main()
