#!/usr/bin/python3
"""PyTorch CPU reference for the cost of one SAC update (docs/PERFORMANCE.md, training epochs).

The update podsim's `--method sac` makes (pods/train/sac.cpp, docs/training.md), written the way
a PyTorch user would write it, in double precision on one thread, with the sizes of the 2D
pendulum: observation 6, action 2, critics on [obs, a_prev, time, action] (11 inputs), MLPs 64-64
tanh, minibatch 256, a buffer of 6400 transitions (one epoch of 64 episodes of 100 steps; random
contents: the cost does not depend on them). One update: a uniform minibatch from the buffer, the
targets with the target critics and the actor's samples at s', an Adam step of both critics on
their squared error, an Adam step of the actor (network and state-independent log-std) on
alpha log pi - min Q through the tanh-squashed Gaussian, an Adam step of log(alpha), and the
Polyak step of the targets.

Usage:
  bench/torch/sac_update.py [--updates 200] [--repeats 7] [--podsim build/bench/bench_train]
      prints one JSON line {"update_ms", ...} (the median over the repeats of the mean update
      time of a block); with --podsim it first runs `bench_train --sac-only` with the same
      --updates and --repeats and prints its lines too, then the ratio.
"""

import argparse
import copy
import json
import math
import statistics
import subprocess
import time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

N_OBS, N_ACT, LIMIT = 6, 2, 2.0
N_STATE = N_OBS + N_ACT + 1


def mlp(n_in, n_out):
    return torch.nn.Sequential(torch.nn.Linear(n_in, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh(),
                               torch.nn.Linear(64, n_out))


def log1m_tanh_squared(u):
    return 2 * (math.log(2) - u - torch.nn.functional.softplus(-2 * u))


class Sac:
    def __init__(self, buffer_size, minibatch):
        self.actor = mlp(N_OBS, N_ACT)
        self.log_std = torch.zeros(N_ACT, requires_grad=True)
        self.q = [mlp(N_STATE + N_ACT, 1), mlp(N_STATE + N_ACT, 1)]
        self.q_target = [copy.deepcopy(q) for q in self.q]
        self.log_alpha = torch.zeros(1, requires_grad=True)
        self.actor_opt = torch.optim.Adam(list(self.actor.parameters()) + [self.log_std], lr=3e-4)
        self.q_opt = [torch.optim.Adam(q.parameters(), lr=3e-4) for q in self.q]
        self.alpha_opt = torch.optim.Adam([self.log_alpha], lr=3e-4)
        self.minibatch = minibatch
        self.gamma, self.tau, self.target_entropy = 0.99, 0.005, -float(N_ACT)
        n = buffer_size
        self.obs = torch.randn(n, N_OBS)
        self.state = torch.cat([self.obs, torch.randn(n, N_ACT), torch.rand(n, 1) * 2 - 1], dim=1)
        self.action = torch.tanh(torch.randn(n, N_ACT)) * LIMIT
        self.reward = -torch.rand(n)
        self.not_done = (torch.rand(n) > 0.01).double()
        self.next_obs = torch.randn(n, N_OBS)
        self.next_state = torch.cat([self.next_obs, self.action, torch.rand(n, 1) * 2 - 1], dim=1)

    def sample(self, obs, eps):
        u = self.actor(obs) + self.log_std.exp() * eps
        log_prob = (-0.5 * eps ** 2 - self.log_std - 0.5 * math.log(2 * math.pi) - log1m_tanh_squared(u)).sum(dim=1)
        return LIMIT * torch.tanh(u), log_prob

    def update(self):
        idx = torch.randint(0, self.obs.shape[0], (self.minibatch,))
        obs, state, action = self.obs[idx], self.state[idx], self.action[idx]
        reward, not_done, next_obs, next_state = self.reward[idx], self.not_done[idx], self.next_obs[idx], self.next_state[idx]
        alpha = self.log_alpha.exp().item()
        # the critics on their targets
        with torch.no_grad():
            a2, lp2 = self.sample(next_obs, torch.randn(self.minibatch, N_ACT))
            x2 = torch.cat([next_state, a2], dim=1)
            soft = torch.min(self.q_target[0](x2), self.q_target[1](x2)).squeeze(1) - alpha * lp2
            y = reward + self.gamma * not_done * soft
        x = torch.cat([state, action], dim=1)
        for q, opt in zip(self.q, self.q_opt):
            loss = 0.5 * ((q(x).squeeze(1) - y) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        # the actor with the updated critics
        a, lp = self.sample(obs, torch.randn(self.minibatch, N_ACT))
        xa = torch.cat([state, a], dim=1)
        actor_loss = (alpha * lp - torch.min(self.q[0](xa), self.q[1](xa)).squeeze(1)).mean()
        self.actor_opt.zero_grad()
        actor_loss.backward()
        self.actor_opt.step()
        # the temperature, then the targets
        alpha_loss = -(self.log_alpha * (lp.detach().mean() + self.target_entropy)).sum()
        self.alpha_opt.zero_grad()
        alpha_loss.backward()
        self.alpha_opt.step()
        with torch.no_grad():
            for q, qt in zip(self.q, self.q_target):
                for p, pt in zip(q.parameters(), qt.parameters()):
                    pt.mul_(1 - self.tau).add_(self.tau * p)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=200, help="timed updates per repeat")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--minibatch", type=int, default=256)
    parser.add_argument("--buffer", type=int, default=6400)
    parser.add_argument("--podsim", help="bench_train executable: run its --sac-only measurement first")
    args = parser.parse_args()

    podsim_ms = None
    if args.podsim:
        out = subprocess.run([args.podsim, "--sac-only", "--sac-updates", str(args.updates), "--repeats",
                              str(args.repeats)], check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            print(line)
            row = json.loads(line)
            if row.get("threads") == 1:
                podsim_ms = row["update_ms"]

    torch.manual_seed(1)
    sac = Sac(args.buffer, args.minibatch)
    sac.update()  # warm-up
    per_update = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.updates):
            sac.update()
        per_update.append((time.perf_counter() - start) / args.updates)
    row = {"implementation": "pytorch", "case": "sac update", "minibatch": args.minibatch, "hidden": [64, 64],
           "threads": 1, "update_ms": 1e3 * statistics.median(per_update), "updates": args.updates,
           "repeats": args.repeats, "torch": torch.__version__}
    if podsim_ms is not None:
        row["podsim_update_ms"] = podsim_ms
        row["pytorch_over_podsim"] = row["update_ms"] / podsim_ms
    print(json.dumps(row))


if __name__ == "__main__":
    main()
