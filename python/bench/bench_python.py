#!/usr/bin/python3
"""Timings of the Python layer (docs/PERFORMANCE.md, "Python module"), one JSON line:

- simulate: one Scene.simulate call of the 2D pendulum (100 steps) from Python against the same
  simulation called from C++ inside the module (Scene._time_simulate: run_episode with a pooled
  simulator, no conversions); medians over --repeats calls, and their difference, the overhead
  of the Python call (argument checks, the numpy conversions, the result dict);
- bptt epoch: one BPTT epoch through podsim.torch (closed loop of an MLP 64-64 tanh with
  podsim.torch.step, backward through the step adjoints, one Adam step) at batch --batch,
  horizon 100, one thread; median of --epochs after one warm-up. The pure PyTorch reference of
  the same problem is bench/torch/bptt_pendulum.py (run separately, same batch).

    PYTHONPATH=build/python /usr/bin/python3 python/bench/bench_python.py [--repeats 2000] [--epochs 5]
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

import podsim
import podsim.torch as pt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python", "examples"))
from bptt_torch import MlpPolicy  # noqa: E402


def bench_simulate(scene, repeats):
    actions = 0.5 * np.sin(0.1 * np.arange(scene.horizon))[:, None] * np.ones((1, scene.action_dim))
    scene._time_simulate(actions, 100)  # warm-up
    for _ in range(100):
        scene.simulate(actions)
    cpp = scene._time_simulate(actions, repeats)
    py = []
    for _ in range(repeats):
        start = time.perf_counter()
        scene.simulate(actions)
        py.append(time.perf_counter() - start)
    c, p = statistics.median(cpp), statistics.median(py)
    return {"simulate_cpp_us_median": round(c * 1e6, 2), "simulate_python_us_median": round(p * 1e6, 2),
            "simulate_overhead_us": round((p - c) * 1e6, 2), "repeats": repeats}


def bench_bptt(scene, batch, epochs):
    policy = MlpPolicy(scene)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-3)
    times, forward = [], []
    for epoch in range(epochs + 1):
        initial = [scene.sample_initial(epoch * batch + i) for i in range(batch)]
        start = time.perf_counter()
        z0 = pt.initial_state(scene, initial)
        opt.zero_grad()
        loss = pt.closed_loop_cost(scene, policy, z0, threads=1).mean()
        mid = time.perf_counter()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        opt.step()
        end = time.perf_counter()
        if epoch > 0:
            times.append(end - start)
            forward.append(mid - start)
    return {"bptt_epoch_s_median": round(statistics.median(times), 4), "bptt_forward_s_median": round(statistics.median(forward), 4),
            "bptt_epoch_s": [round(t, 4) for t in times], "batch": batch}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scene", default=os.path.join(ROOT, "scenes", "pendulum_2d_stop.json"))
    ap.add_argument("--repeats", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    scene = podsim.Scene(args.scene)
    out = {"scene": scene.name, "torch": torch.__version__}
    out.update(bench_simulate(scene, args.repeats))
    out.update(bench_bptt(scene, args.batch, args.epochs))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
