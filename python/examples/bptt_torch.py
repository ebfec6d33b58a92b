#!/usr/bin/python3
"""A policy trained in PyTorch by BPTT through podsim, compared with `podsim train --method bptt`.

The PyTorch side: an MLP 64-64 tanh with output a_max tanh and a small last layer (as podsim's MLP
head), acting on podsim.torch.observe(state) scaled by scene.observation_scale, rolled out in a
closed loop with podsim.torch.step (each step's backward is podsim's step adjoint), the mean cost
of a batch of sampled initial states minimised by Adam (lr 1e-3, gradient norm clipped at 1, the
defaults of podsim's BPTT). The C++ side: podsim.train(method="bptt") with the same epochs and
batch. Both policies are then evaluated by the same Python closed loop on podsim's test bed (the
states `podsim train` tests on), so the comparison is on equal terms; podsim's own test return
is printed beside it as a check of the Python loop.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/bptt_torch.py [--epochs 30] [--batch 64]

Prints one JSON line.
"""

import argparse
import json
import os
import time

import torch

import podsim
import podsim.torch as pt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class MlpPolicy(torch.nn.Module):
    def __init__(self, scene, hidden=64, seed=1):
        super().__init__()
        torch.manual_seed(seed)
        n_obs, n_act = scene.observation_dim, scene.action_dim
        self.net = torch.nn.Sequential(torch.nn.Linear(n_obs, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, hidden),
                                       torch.nn.Tanh(), torch.nn.Linear(hidden, n_act)).double()
        for layer in self.net:
            if isinstance(layer, torch.nn.Linear):
                torch.nn.init.xavier_uniform_(layer.weight)
                torch.nn.init.zeros_(layer.bias)
        with torch.no_grad():
            self.net[-1].weight.mul_(0.01)
        self.register_buffer("scale", torch.as_tensor(scene.observation_scale))
        self.limit = scene.action_limit

    def forward(self, obs):
        return self.limit * torch.tanh(self.net(obs * self.scale))


def evaluate(scene, act, initial):
    """Mean return of the closed loop a_t = act(obs_t) from the given initial states."""
    with torch.no_grad():
        z = pt.initial_state(scene, initial)
        return -pt.closed_loop_cost(scene, act, z).mean().item()


def train_torch(scene, epochs, batch, seed, threads):
    policy = MlpPolicy(scene, seed=seed)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-3)
    losses, start = [], time.perf_counter()
    for epoch in range(epochs):
        # training states: the scene's sampler, seeds apart from the test bed's
        initial = [scene.sample_initial(1_000_000 * seed + epoch * batch + i) for i in range(batch)]
        z0 = pt.initial_state(scene, initial)
        opt.zero_grad()
        loss = pt.closed_loop_cost(scene, policy, z0, threads=threads).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    return policy, losses, time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scene", default=os.path.join(ROOT, "scenes", "pendulum_2d_stop.json"))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--test-episodes", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads of podsim (both sides)")
    args = ap.parse_args()

    torch.set_num_threads(1)
    scene = podsim.Scene(args.scene)
    test_bed = scene.test_bed(seed=12345, episodes=args.test_episodes)

    policy, losses, torch_s = train_torch(scene, args.epochs, args.batch, args.seed, args.threads)
    start = time.perf_counter()
    run = podsim.train(args.scene, method="bptt", epochs=args.epochs, batch=args.batch, seed=args.seed,
                       test_episodes=args.test_episodes, threads=args.threads)
    podsim_s = time.perf_counter() - start  # includes podsim's test-bed evaluations
    cpp = run["policy"]

    def cpp_act(obs):
        return torch.from_numpy(cpp.act(obs.numpy()))

    print(json.dumps({
        "scene": scene.name, "epochs": args.epochs, "batch": args.batch,
        "torch_initial_return": evaluate(scene, MlpPolicy(scene, seed=args.seed), test_bed),
        "torch_test_return": evaluate(scene, policy, test_bed),
        "torch_train_s": round(torch_s, 3), "torch_loss_first": losses[0] if losses else None,
        "torch_loss_last": losses[-1] if losses else None,
        "podsim_test_return": evaluate(scene, cpp_act, test_bed),
        "podsim_logged_test_return": float(run["log"]["test_return_mean"][-1]),
        "podsim_initial_test_return": float(run["log"]["test_return_mean"][0]),
        "podsim_train_s": round(float(run["log"]["wall_s"][-1]), 3), "podsim_call_s": round(podsim_s, 3)}))


if __name__ == "__main__":
    main()
