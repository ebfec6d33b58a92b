#!/usr/bin/python3
"""PyTorch CPU reference for the BPTT benchmark on scenes/pendulum_2d_stop.json.

The same problem as podsim, written the way a PyTorch user would write it, in double precision:
a kinematic handle driven by velocity actions (p_{t+1} = p_t + h a_t, a clamped to the action
limit), a free bob on a bilateral spring to the handle, gravity, BDF2 time stepping (the first
step BDF1) with each step solved by Newton on

    E(x) = 1/2 (x - xhat)^T M (x - xhat) + gamma U(x, p_{t+1})

(docs/design.md section 2), the task cost of docs/design.md section 4, the observation
[p - handle_target, x - target, v] scaled like podsim (positions / L, velocities / sqrt(|g| L)),
an MLP 64-64 tanh with output a_max tanh, a batch of initial states from the scene's swing
sampler (not podsim's random stream), one Adam step per epoch.

Gradients (--grad):
  unrolled  (default) autograd records every Newton iteration; the loop runs until
            |g|_inf < tol for the whole batch, so the derivative of the unrolled solve is the
            implicit-function derivative up to the solver tolerance. This is what a PyTorch
            user writes first.
  implicit  Newton runs under no_grad; a torch.autograd.Function returns x* and its backward
            solves H lambda = x_bar and pushes -lambda through dg/d(xhat, p) (the implicit
            function theorem), one 2x2 solve per step, like podsim's adjoint.

Usage:
  bench/torch/bptt_pendulum.py [--scene S] [--epochs 5] [--batch 256] [--grad unrolled|implicit]
      prints one JSON line: {"epoch_s_median", "epochs", "threads": 1, "torch", ...}
  bench/torch/bptt_pendulum.py --check-actions A.csv --check-states STATES.csv
      [--check-rewards REWARDS.csv] [--check-gradient GRADIENT.csv]
      simulates A.csv (podsim actions.csv columns) from the scene's nominal state and prints
      one JSON line with the largest differences to podsim's states.csv of the same actions
      (and to the return and podsim sensitivity's dV/da, both gradient modes)
"""

import argparse
import csv
import json
import math
import os
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ------------------------------------------------------------------------------------------------
# scene


class Pendulum:
    """The handle + bob scene: one handle, one free node, one bilateral spring between them."""

    def __init__(self, path):
        with open(path) as f:
            s = json.load(f)
        if s["dim"] != 2:
            raise SystemExit(f"{path}: this reference handles 2D scenes only")
        handles = [n for n in s["nodes"] if n.get("role", "free") == "handle"]
        free = [n for n in s["nodes"] if n.get("role", "free") == "free"]
        springs = s.get("springs", [])
        if len(handles) != 1 or len(free) != 1 or len(springs) != 1 or s.get("ropes") or s.get("cloths"):
            raise SystemExit(f"{path}: expected one handle, one free node and one spring")
        sp = springs[0]
        if sp.get("kind", "bilateral") != "bilateral" or set(sp["nodes"]) != {handles[0]["name"], free[0]["name"]}:
            raise SystemExit(f"{path}: expected a bilateral spring between the handle and the bob")
        t = s["task"]
        self.h = float(s["dt"])
        self.g = torch.tensor(s.get("gravity", [0.0, -9.81]), dtype=torch.float64)
        self.m = float(free[0]["mass"])
        self.k = float(sp["stiffness"])
        self.p0 = torch.tensor(handles[0]["position"], dtype=torch.float64)
        self.x0 = torch.tensor(free[0]["position"], dtype=torch.float64)
        self.v0 = torch.tensor(free[0].get("velocity", [0.0, 0.0]), dtype=torch.float64)
        self.L = float(sp["rest_length"]) if "rest_length" in sp else float((self.x0 - self.p0).norm())
        self.horizon = int(t["horizon"])
        self.target = torch.tensor(t["target"], dtype=torch.float64)
        self.handle_target = torch.tensor(t.get("handle_target", handles[0]["position"]), dtype=torch.float64)
        w = t["weights"]
        self.w = {key: float(w[key]) for key in ("p", "x", "v", "a")}
        tw = t.get("terminal_weights", {key: w[key] for key in ("p", "x", "v")})
        self.wN = {key: float(tw.get(key, 0.0)) for key in ("p", "x", "v")}
        self.a_max = float(t["action_limit"])
        init = t.get("initial_state", {"kind": "nominal"})
        if init["kind"] != "swing":
            raise SystemExit(f"{path}: expected a swing initial-state sampler")
        self.angle = [float(v) for v in init["angle"]]
        self.omega = [float(v) for v in init["angular_velocity"]]
        # Newton tolerance as podsim's default: 1e-9 * max mass * length scale (nominal bounding-box
        # diagonal, at least 1e-3 m)
        solver = s.get("solver", {})
        length = max(float((self.x0 - self.p0).norm()), 1e-3)
        self.tol = float(solver.get("tolerance", 1e-9)) * self.m * length
        self.max_iterations = int(solver.get("max_iterations", 500))
        self.extra_iterations = 0
        # observation scale (podsim's rule): positions / L, velocities / sqrt(|g| L)
        L_obs = max(length, float((self.x0 - self.p0).norm()))
        vel = math.sqrt(float(self.g.norm()) * L_obs) if float(self.g.norm()) > 0 else self.a_max
        self.obs_scale = torch.tensor([1 / L_obs] * 4 + [1 / vel] * 2)

    # -- physics ---------------------------------------------------------------------------------

    def gradient(self, x, xhat, p, gamma):
        """g = M (x - xhat) + gamma dU/dx, batched (B, 2)."""
        d = x - p
        l = d.norm(dim=1, keepdim=True)
        return self.m * (x - xhat) + gamma * (-self.m * self.g + self.k * (l - self.L) * d / l)

    def hessian(self, x, p, gamma):
        """H = M + gamma k [(1 - L/l) I + (L/l) n n^T], batched (B, 2, 2). Exact; positive
        definite unless the spring is compressed to l < gamma k L / (m + gamma k)."""
        d = x - p
        l = d.norm(dim=1, keepdim=True)
        n = d / l
        c = (1 - self.L / l).unsqueeze(2)
        eye = torch.eye(2).expand(x.shape[0], 2, 2)
        K = self.k * (c * eye + (self.L / l).unsqueeze(2) * n.unsqueeze(2) * n.unsqueeze(1))
        return self.m * eye + gamma * K

    def energy(self, x, xhat, p, gamma):
        d = x - p
        l = d.norm(dim=1)
        U = -self.m * (x @ self.g) + 0.5 * self.k * (l - self.L) ** 2
        return 0.5 * self.m * ((x - xhat) ** 2).sum(dim=1) + gamma * U

    def newton(self, xhat, p, gamma, stats):
        """Minimiser of E from the warm start xhat: Newton with a backtracking line search on E
        (per sample), until |g|_inf < tol for the whole batch. Differentiable by autograd when
        the inputs require gradients (every iteration is recorded)."""
        x = xhat
        for it in range(self.max_iterations + 1):
            g = self.gradient(x, xhat, p, gamma)
            res = g.detach().abs().max()
            if res < self.tol:
                stats["iterations"] += it
                stats["solves"] += 1
                # optional extra full Newton steps after convergence: they leave x unchanged to
                # rounding but make the unrolled derivative converge too (it lags one iteration)
                for _ in range(self.extra_iterations if x.requires_grad else 0):
                    x = x - torch.linalg.solve(self.hessian(x, p, gamma), g.unsqueeze(2)).squeeze(2)
                    g = self.gradient(x, xhat, p, gamma)
                return x
            if it == self.max_iterations:
                break
            dx = -torch.linalg.solve(self.hessian(x, p, gamma), g.unsqueeze(2)).squeeze(2)
            # Armijo backtracking on E, per sample (a full step is taken almost always)
            with torch.no_grad():
                e0 = self.energy(x, xhat, p, gamma)
                slope = (g * dx).sum(dim=1)
                alpha = torch.ones(x.shape[0], 1)
                for _ in range(40):
                    e1 = self.energy(x + alpha * dx, xhat, p, gamma)
                    bad = (e1 > e0 + 1e-4 * alpha.squeeze(1) * slope) & (e1 - e0 > 64 * 2.2e-16 * e0.abs())
                    if not bad.any():
                        break
                    alpha[bad] *= 0.5
            x = x + alpha * dx
        raise RuntimeError(f"Newton did not converge: |g|_inf = {res:.3g} > {self.tol:.3g}")

    def solve(self, xhat, p, gamma, mode, stats):
        if mode == "unrolled":
            return self.newton(xhat, p, gamma, stats)
        return ImplicitSolve.apply(xhat, p, self, gamma, stats)

    def step(self, z, a, mode, stats):
        """One BDF2 step (BDF1 when z["t"] == 0) of the batch; returns the next state."""
        h = self.h
        a = a.clamp(-self.a_max, self.a_max)  # zero derivative where clamped
        p1 = z["p"] + h * a
        if z["t"] == 0:
            xhat, gamma = z["x"] + h * z["v"], h * h
        else:
            xhat = 4 / 3 * z["x"] - 1 / 3 * z["xp"] + 8 * h / 9 * z["v"] - 2 * h / 9 * z["vp"]
            gamma = 4 / 9 * h * h
        x1 = self.solve(xhat, p1, gamma, mode, stats)
        if z["t"] == 0:
            v1 = (x1 - z["x"]) / h
        else:
            v1 = (3 * x1 - 4 * z["x"] + z["xp"]) / (2 * h)
        return {"t": z["t"] + 1, "x": x1, "v": v1, "xp": z["x"], "vp": z["v"], "p": p1}

    def initial(self, x, v, p):
        return {"t": 0, "x": x, "v": v, "xp": x, "vp": v, "p": p}

    # -- task ------------------------------------------------------------------------------------

    def cost(self, z, a=None):
        """c_t (with the action term) or the terminal c_N (a is None), per sample (B,)."""
        w = self.w if a is not None else self.wN
        c = (w["p"] * ((z["p"] - self.handle_target) ** 2).sum(dim=1)
             + w["x"] * ((z["x"] - self.target) ** 2).sum(dim=1)
             + w["v"] * (z["v"] ** 2).sum(dim=1))
        if a is not None:
            c = c + self.w["a"] * (a.clamp(-self.a_max, self.a_max) ** 2).sum(dim=1)
        return c

    def observe(self, z):
        return torch.cat([z["p"] - self.handle_target, z["x"] - self.target, z["v"]], dim=1) * self.obs_scale

    def sample_swing(self, batch, generator):
        """Rigid rotation of the bob about the handle by an angle in `angle`, plus the rigid
        angular velocity from `angular_velocity` (the swing sampler; own random stream)."""
        u = torch.rand(batch, 2, generator=generator)
        th = self.angle[0] + (self.angle[1] - self.angle[0]) * u[:, 0:1]
        om = self.omega[0] + (self.omega[1] - self.omega[0]) * u[:, 1:2]
        c, s = torch.cos(th), torch.sin(th)
        r = self.x0 - self.p0
        v = self.v0
        r_rot = torch.cat([c * r[0] - s * r[1], s * r[0] + c * r[1]], dim=1)
        v_rot = torch.cat([c * v[0] - s * v[1], s * v[0] + c * v[1]], dim=1)
        x = self.p0 + r_rot
        vel = v_rot + om * torch.cat([-r_rot[:, 1:2], r_rot[:, 0:1]], dim=1)
        return x, vel, self.p0.expand(batch, 2).clone()


class ImplicitSolve(torch.autograd.Function):
    """x* = argmin E(x; xhat, p): forward Newton without a graph, backward by the implicit
    function theorem, dx* = -H^{-1} dg/d(xhat, p) d(xhat, p)."""

    @staticmethod
    def forward(ctx, xhat, p, scene, gamma, stats):
        with torch.no_grad():
            x = scene.newton(xhat, p, gamma, stats)
        ctx.save_for_backward(x, xhat, p)
        ctx.scene, ctx.gamma = scene, gamma
        return x

    @staticmethod
    def backward(ctx, x_bar):
        x, xhat, p = ctx.saved_tensors
        scene, gamma = ctx.scene, ctx.gamma
        lam = torch.linalg.solve(scene.hessian(x, p, gamma), x_bar.unsqueeze(2)).squeeze(2)
        with torch.enable_grad():
            xh = xhat.detach().requires_grad_()
            pp = p.detach().requires_grad_()
            g = scene.gradient(x, xh, pp, gamma)
            xhat_bar, p_bar = torch.autograd.grad(g, (xh, pp), -lam)
        return xhat_bar, p_bar, None, None, None


# ------------------------------------------------------------------------------------------------
# policy and training


def make_policy(a_max, seed):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(6, 64), torch.nn.Tanh(),
                              torch.nn.Linear(64, 64), torch.nn.Tanh(),
                              torch.nn.Linear(64, 2))
    for layer in net:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    with torch.no_grad():  # small last layer: the initial policy is close to zero
        net[4].weight.mul_(0.01)
    return lambda obs: a_max * torch.tanh(net(obs)), net


def bptt_epoch(scene, policy, optimizer, batch, generator, mode, stats):
    x, v, p = scene.sample_swing(batch, generator)
    z = scene.initial(x, v, p)
    total = torch.zeros(batch)
    for _ in range(scene.horizon):
        a = policy(scene.observe(z))
        total = total + scene.cost(z, a)
        z = scene.step(z, a, mode, stats)
    total = total + scene.cost(z)
    loss = total.mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss)


def bench(args):
    scene = Pendulum(args.scene)
    scene.extra_iterations = args.extra_iterations
    if args.horizon:
        scene.horizon = args.horizon
    policy, net = make_policy(scene.a_max, args.seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    generator = torch.Generator().manual_seed(args.seed)
    times, losses = [], []
    stats = {"iterations": 0, "solves": 0}
    for epoch in range(args.warmup + args.epochs):
        t0 = time.perf_counter()
        losses.append(bptt_epoch(scene, policy, optimizer, args.batch, generator, args.grad, stats))
        if epoch >= args.warmup:
            times.append(time.perf_counter() - t0)
    print(json.dumps({
        "epoch_s_median": statistics.median(times), "epochs": len(times), "threads": torch.get_num_threads(),
        "torch": torch.__version__, "grad": args.grad, "batch": args.batch, "horizon": scene.horizon,
        "extra_iterations": args.extra_iterations, "epoch_s": [round(t, 4) for t in times],
        "newton_iterations_per_step": stats["iterations"] / max(stats["solves"], 1),
        "loss_first": losses[0], "loss_last": losses[-1]}))


# ------------------------------------------------------------------------------------------------
# check against podsim simulate


def read_actions(path, horizon):
    """podsim's actions.csv columns (episode optional); a missing step is a zero action."""
    a = torch.zeros(horizon, 2)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            a[int(row["step"])] = torch.tensor([float(row["ax"]), float(row["ay"])])
    return a


def check(args):
    scene = Pendulum(args.scene)
    scene.extra_iterations = args.extra_iterations
    actions = read_actions(args.check_actions, scene.horizon)
    stats = {"iterations": 0, "solves": 0}
    z = scene.initial(scene.x0.unsqueeze(0), scene.v0.unsqueeze(0), scene.p0.unsqueeze(0))
    xs, vs, ps = [z["x"][0]], [z["v"][0]], [z["p"][0]]
    cost = 0.0
    with torch.no_grad():
        for t in range(scene.horizon):
            cost += float(scene.cost(z, actions[t:t + 1]))
            z = scene.step(z, actions[t:t + 1], "unrolled", stats)
            xs.append(z["x"][0]); vs.append(z["v"][0]); ps.append(z["p"][0])
        cost += float(scene.cost(z))
    ref = {}
    with open(args.check_states, newline="") as f:
        for row in csv.DictReader(f):
            if row["role"] == "free":
                ref[int(row["step"])] = (float(row["x"]), float(row["y"]), float(row["vx"]), float(row["vy"]))
    if sorted(ref) != list(range(scene.horizon + 1)):
        raise SystemExit(f"{args.check_states}: expected the free node at steps 0..{scene.horizon}")
    dx = max(max(abs(float(xs[t][0]) - ref[t][0]), abs(float(xs[t][1]) - ref[t][1])) for t in ref)
    dv = max(max(abs(float(vs[t][0]) - ref[t][2]), abs(float(vs[t][1]) - ref[t][3])) for t in ref)
    out = {"steps": scene.horizon, "max_abs_bob_position_diff": dx, "max_abs_bob_velocity_diff": dv,
           "newton_tolerance": scene.tol, "newton_iterations_per_step": stats["iterations"] / stats["solves"],
           "return": -cost}
    if args.check_rewards:
        with open(args.check_rewards, newline="") as f:
            out["podsim_return"] = sum(float(r["reward"]) for r in csv.DictReader(f))
    if args.check_gradient:  # podsim sensitivity's gradient.csv: dV/da at the clamped actions
        ref = torch.zeros(scene.horizon, 2)
        with open(args.check_gradient, newline="") as f:
            for row in csv.DictReader(f):
                ref[int(row["step"])] = torch.tensor([float(row["dx"]), float(row["dy"])])
        a = actions.clamp(-scene.a_max, scene.a_max)
        for mode in ("unrolled", "implicit"):
            a_var = a.clone().requires_grad_()
            value = -rollout_cost(scene, a_var, mode)
            (grad,) = torch.autograd.grad(value, a_var)
            out[f"max_abs_gradient_diff_{mode}"] = float((grad - ref).abs().max())
        out["max_abs_gradient"] = float(ref.abs().max())
    print(json.dumps(out))


def rollout_cost(scene, actions, mode):
    """C(a) from the nominal state, differentiable with respect to the actions (N, 2)."""
    stats = {"iterations": 0, "solves": 0}
    z = scene.initial(scene.x0.unsqueeze(0), scene.v0.unsqueeze(0), scene.p0.unsqueeze(0))
    total = 0
    for t in range(scene.horizon):
        total = total + scene.cost(z, actions[t:t + 1]).sum()
        z = scene.step(z, actions[t:t + 1], mode, stats)
    return total + scene.cost(z).sum()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scene", default=os.path.join(ROOT, "scenes", "pendulum_2d_stop.json"))
    ap.add_argument("--epochs", type=int, default=5, help="timed epochs (default 5)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed epochs first (default 1)")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--horizon", type=int, default=0, help="default: the scene's")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--grad", choices=("unrolled", "implicit"), default="unrolled")
    ap.add_argument("--extra-iterations", type=int, default=0,
                    help="unrolled: Newton steps recorded after convergence (default 0)")
    ap.add_argument("--check-actions", metavar="A.csv")
    ap.add_argument("--check-states", metavar="STATES.csv", help="podsim simulate's states.csv")
    ap.add_argument("--check-rewards", metavar="REWARDS.csv", help="podsim simulate's rewards.csv")
    ap.add_argument("--check-gradient", metavar="GRADIENT.csv",
                    help="podsim sensitivity's gradient.csv (dV/da) of the same actions")
    args = ap.parse_args()
    if args.check_actions or args.check_states:
        if not (args.check_actions and args.check_states):
            ap.error("--check-actions and --check-states go together")
        check(args)
    else:
        bench(args)


if __name__ == "__main__":
    main()
