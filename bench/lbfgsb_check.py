#!/usr/bin/python3
"""Checks `podsim optimize` against scipy's L-BFGS-B on the same box-constrained open-loop problem.

For each sampled initial state, L-BFGS-B (bounds |a_i| <= action_limit) gets the cost and its
gradient from `podsim sensitivity` (summary.json "cost", gradient.csv = dV/da = -dC/da), one
podsim process per evaluation; `podsim optimize` runs on the same scene and seed. Prints one
table row per case (costs, ratio, times) and, with --check, exits 1 if optimize's cost is more
than --tolerance (relative) above L-BFGS-B's. See docs/optimization.md.

  /usr/bin/python3 bench/lbfgsb_check.py --podsim build-release/apps/podsim \
      --scene scenes/pendulum_2d_stop.json --seeds 1 2 3 4 5
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.optimize import minimize


def handles_of(scene_path):
    with open(scene_path) as f:
        scene = json.load(f)
    names = [n["name"] for n in scene["nodes"] if n["role"] == "handle"]
    return scene, names


class Problem:
    """C(a) and dC/da through `podsim sensitivity`, a = n_handles x dim x steps flattened."""

    def __init__(self, podsim, scene_path, seed, steps, workdir):
        self.podsim, self.scene_path, self.seed, self.steps = podsim, scene_path, seed, steps
        scene, self.handles = handles_of(scene_path)
        self.dim = scene["dim"]
        self.limit = scene["task"]["action_limit"]
        self.n = steps * len(self.handles) * self.dim
        self.actions = os.path.join(workdir, "a.csv")
        self.out = os.path.join(workdir, "sens")
        self.evaluations = 0

    def write_actions(self, x):
        a = x.reshape(self.steps, len(self.handles), self.dim)
        with open(self.actions, "w") as f:
            f.write("step,handle,ax,ay,az\n")
            for t in range(self.steps):
                for h, name in enumerate(self.handles):
                    v = list(a[t, h]) + [0.0] * (3 - self.dim)
                    f.write("%d,%s,%s\n" % (t, name, ",".join(repr(float(c)) for c in v)))

    def __call__(self, x):
        self.evaluations += 1
        self.write_actions(x)
        cmd = [self.podsim, "sensitivity", self.scene_path, "--actions", self.actions, "--out", self.out,
               "--steps", str(self.steps), "--sample-initial", str(self.seed)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr.strip()))
        with open(os.path.join(self.out, "summary.json")) as f:
            cost = json.load(f)["cost"]
        grad = np.zeros((self.steps, len(self.handles), self.dim))
        with open(os.path.join(self.out, "gradient.csv")) as f:
            for row in csv.DictReader(f):
                t, h = int(row["step"]), self.handles.index(row["handle"])
                grad[t, h] = [-float(row[k]) for k in ("dx", "dy", "dz")[: self.dim]]  # dC/da = -dV/da
        return cost, grad.ravel()


def run_lbfgsb(problem, max_iterations):
    x0 = np.zeros(problem.n)
    start = time.perf_counter()
    res = minimize(problem, x0, jac=True, method="L-BFGS-B", bounds=[(-problem.limit, problem.limit)] * problem.n,
                   options={"maxiter": max_iterations, "maxfun": 20 * max_iterations, "ftol": 1e-12, "gtol": 1e-8})
    seconds = time.perf_counter() - start
    active = int(np.sum(np.abs(res.x) >= problem.limit * (1 - 1e-9)))
    return {"cost": float(res.fun), "seconds": seconds, "iterations": int(res.nit), "evaluations": problem.evaluations,
            "active": active, "message": str(res.message)}


def run_optimize(podsim, scene_path, seed, steps, iterations, order, workdir):
    out = os.path.join(workdir, "opt")
    cmd = [podsim, "optimize", scene_path, "--sample-initial", str(seed), "--steps", str(steps),
           "--iterations", str(iterations), "--order", str(order), "--out", out]
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr.strip()))
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    return {"cost": s["cost"], "seconds": seconds, "inner_seconds": s["seconds"], "iterations": s["iterations"],
            "reason": s["reason"], "active": s["active"], "cmd": " ".join(cmd)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--podsim", required=True, help="path of the podsim executable")
    p.add_argument("--scene", default="scenes/pendulum_2d_stop.json")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--steps", type=int, default=None, help="horizon (default: the task's)")
    p.add_argument("--lbfgsb-iterations", type=int, default=15000)
    p.add_argument("--iterations", type=int, default=200, help="podsim optimize --iterations")
    p.add_argument("--order", type=int, default=2, choices=[1, 2])
    p.add_argument("--check", action="store_true", help="exit 1 if optimize is worse than L-BFGS-B by > tolerance")
    p.add_argument("--tolerance", type=float, default=0.01, help="relative (default 0.01)")
    args = p.parse_args()

    scene, _ = handles_of(args.scene)
    steps = args.steps or scene["task"]["horizon"]
    print("scene %s, N = %d, optimize --order %d --iterations %d, L-BFGS-B maxiter %d" %
          (args.scene, steps, args.order, args.iterations, args.lbfgsb_iterations))
    print("| seed | L-BFGS-B cost | its | evals | s | active | optimize cost | its | s | active | reason | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="lbfgsb_check.") as work:
        for seed in args.seeds:
            problem = Problem(args.podsim, args.scene, seed, steps, work)
            lb = run_lbfgsb(problem, args.lbfgsb_iterations)
            op = run_optimize(args.podsim, args.scene, seed, steps, args.iterations, args.order, work)
            ratio = op["cost"] / lb["cost"]
            worst = max(worst, ratio)
            print("| %d | %.8g | %d | %d | %.2f | %d | %.8g | %d | %.3f | %d | %s | %.5f |" %
                  (seed, lb["cost"], lb["iterations"], lb["evaluations"], lb["seconds"], lb["active"], op["cost"],
                   op["iterations"], op["seconds"], op["active"], op["reason"], ratio))
            sys.stdout.flush()
    print("worst ratio optimize / L-BFGS-B: %.5f" % worst)
    if args.check and worst > 1 + args.tolerance:
        print("FAIL: podsim optimize is more than %g worse than L-BFGS-B" % args.tolerance)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
