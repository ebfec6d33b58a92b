"""podsim.torch: podsim as a differentiable PyTorch layer (docs/python.md).

rollout(scene, actions, initial=None) simulates a batch of open-loop action sequences; its
backward pass is podsim's adjoint (one linear solve per step with the exact Hessian), batched over
the leading dimensions with OpenMP. step(scene, state, actions, t) is one BDF step of a batch
with the adjoint of that step, for closed loops: a PyTorch policy acting on observe(scene, state)
and trained by BPTT through the simulator. Everything is float64 on the CPU; actions are clamped
to the task's limit and the derivative of a clamped component is zero.

Flat simulator state (step, initial_state, observe, the costs): z = [x, v, x_prev, v_prev, p]
per item, n_z = 4 n_x + n_p, free nodes then handles in scene-file order with dim components each;
x_prev, v_prev are the previous step's (equal to x, v at t = 0, where they are unused).
"""

import collections

import torch as _torch

from . import _core

__all__ = ["Rollout", "rollout", "initial_state", "step", "observe", "step_cost", "terminal_cost", "closed_loop_cost"]

Rollout = collections.namedtuple("Rollout", ["positions", "velocities", "rewards"])
Rollout.__doc__ = """rollout()'s result: positions, velocities (..., N+1, n_nodes, dim), rewards (..., N+1)."""


def _threads(threads):
    return _torch.get_num_threads() if threads is None else int(threads)


def _as_double(name, x):
    """A float64 CPU tensor of x (floating tensors keep their graph; arrays and lists are copied)."""
    if not isinstance(x, _torch.Tensor):
        try:
            x = _torch.as_tensor(x, dtype=_torch.float64)
        except (TypeError, ValueError, RuntimeError) as e:
            raise ValueError(f"{name}: must be a tensor or an array of numbers ({e})") from None
    if x.device.type != "cpu":
        raise ValueError(f"{name}: got a tensor on {x.device}, must be on the CPU")
    if not (x.is_floating_point() or x.dtype in (_torch.int32, _torch.int64)):
        raise ValueError(f"{name}: got dtype {x.dtype}, must be floating point")
    return x.to(_torch.float64)


def _numpy(x):
    return x.detach().contiguous().numpy()


def _layout(scene):
    """The flat-state index maps of the cost and the observation (cached on the scene)."""
    layout = getattr(scene, "_torch_layout", None)
    if layout is None:
        raw = _core._layout(scene)
        layout = dict(raw)
        for key in ("cost_index", "observation_index"):
            layout[key] = _torch.as_tensor(raw[key]).long()
        for key in ("cost_target", "cost_weights", "cost_terminal_weights", "observation_offset", "observation_scale"):
            layout[key] = _torch.as_tensor(raw[key])
        scene._torch_layout = layout
    return layout


def _initial_arrays(scene, initial, batch_shape):
    """(positions, velocities) as (B, n_nodes, dim) numpy arrays for B = prod(batch_shape), or
    (None, None) for the nominal state."""
    if initial is None:
        return None, None
    b = 1
    for s in batch_shape:
        b *= s
    node_shape = (len(scene.node_names), scene.dim)
    if isinstance(initial, (list, tuple)):
        if len(initial) != b:
            raise ValueError(f"initial: got a list of {len(initial)} states, must have one per batch item ({b})")
        parts = [_initial_arrays(scene, item, ()) for item in initial]
        pos = _torch.cat([_torch.as_tensor(p) for p, _ in parts])
        vel = _torch.cat([_torch.as_tensor(v) for _, v in parts])
        return pos.numpy(), vel.numpy()
    if not isinstance(initial, dict) or set(initial) != {"positions", "velocities"}:
        raise ValueError('initial: must be None, a dict {"positions", "velocities"} (as Scene.sample_initial returns) '
                         "or a list of them, one per batch item")
    out = []
    for key in ("positions", "velocities"):
        x = _as_double(f"initial.{key}", initial[key])
        if x.requires_grad:
            raise ValueError(f"initial.{key}: gradients with respect to the initial state are not supported by rollout "
                             "(use initial_state and step)")
        if tuple(x.shape[-2:]) != node_shape:
            raise ValueError(f"initial.{key}: got shape {tuple(x.shape)}, must end in {node_shape} (nodes x dim)")
        out.append(_numpy(x.expand(*batch_shape, *node_shape).reshape(b, *node_shape)))
    return out[0], out[1]


class _RolloutFunction(_torch.autograd.Function):
    @staticmethod
    def forward(ctx, actions, scene, positions, velocities, threads):
        pos, vel, rew, tape = _core._rollout(scene, _numpy(actions), positions, velocities, threads)
        ctx.tape, ctx.threads = tape, threads
        return _torch.from_numpy(pos), _torch.from_numpy(vel), _torch.from_numpy(rew)

    @staticmethod
    @_torch.autograd.function.once_differentiable
    def backward(ctx, bar_positions, bar_velocities, bar_rewards):
        bar_actions = _core._rollout_backward(ctx.tape, _numpy(bar_positions), _numpy(bar_velocities),
                                              _numpy(bar_rewards), ctx.threads)
        return _torch.from_numpy(bar_actions), None, None, None, None


def rollout(scene, actions, initial=None, threads=None):
    """Open-loop rollouts of a batch, differentiable with respect to the actions.

    actions: (..., N, action_dim), any leading (batch) dimensions, float64 (other floating types
    are converted). initial: None (the scene's nominal state), a dict {"positions", "velocities"}
    of (n_nodes, dim) or (..., n_nodes, dim) arrays (Scene.sample_initial), or a list of such
    dicts, one per item of a single batch dimension; not differentiable. threads: OpenMP threads
    over the batch (default torch.get_num_threads(); results do not depend on it).

    Returns Rollout(positions, velocities, rewards) shaped (..., N+1, n_nodes, dim) and
    (..., N+1), each item equal to Scene.simulate of it. Backward: podsim's adjoint. RuntimeError
    (naming the batch item and step) when Newton does not converge; ValueError on bad input.
    """
    if not isinstance(scene, _core.Scene):
        raise ValueError(f"scene: got {type(scene).__name__}, must be a podsim.Scene")
    actions = _as_double("actions", actions)
    if actions.dim() < 2 or actions.shape[-1] != scene.action_dim:
        raise ValueError(f"actions: got shape {tuple(actions.shape)}, must be (..., N, {scene.action_dim}) "
                         "(batch x steps x action_dim)")
    batch_shape, steps = tuple(actions.shape[:-2]), actions.shape[-2]
    flat = actions.reshape(-1, steps, scene.action_dim)
    positions, velocities = _initial_arrays(scene, initial, batch_shape)
    pos, vel, rew = _RolloutFunction.apply(flat, scene, positions, velocities, _threads(threads))
    return Rollout(pos.reshape(*batch_shape, *pos.shape[1:]), vel.reshape(*batch_shape, *vel.shape[1:]),
                   rew.reshape(*batch_shape, rew.shape[-1]))


def initial_state(scene, initial=None, batch=None):
    """Flat states z_0 (B, n_z) of a batch: initial as for rollout (None: the nominal state
    repeated `batch` times, default 1; a list: one state per item)."""
    if isinstance(initial, (list, tuple)):
        b = len(initial)
    elif initial is None:
        b = 1 if batch is None else int(batch)
    else:
        b = 1 if batch is None else int(batch)
    positions, velocities = _initial_arrays(scene, initial, (b,))
    return _torch.from_numpy(_core._initial_flat(scene, b, positions, velocities))


class _StepFunction(_torch.autograd.Function):
    @staticmethod
    def forward(ctx, state, actions, scene, t, threads):
        z, a = _numpy(state), _numpy(actions)
        z_next = _torch.from_numpy(_core._step(scene, z, a, t, threads))
        ctx.scene, ctx.t, ctx.threads = scene, t, threads
        ctx.save_for_backward(state, actions, z_next)
        return z_next

    @staticmethod
    @_torch.autograd.function.once_differentiable
    def backward(ctx, bar_next):
        state, actions, z_next = ctx.saved_tensors
        bar_z, bar_a = _core._step_backward(ctx.scene, _numpy(state), _numpy(actions), _numpy(z_next), _numpy(bar_next),
                                            ctx.t, ctx.threads)
        return _torch.from_numpy(bar_z), _torch.from_numpy(bar_a), None, None, None


def step(scene, state, actions, t, threads=None):
    """One BDF step of a batch: z_{t+1} (B, n_z) from z_t (B, n_z) and actions (B, action_dim)
    (clamped), t = steps taken so far (t = 0 is the BDF1 first step). Differentiable with respect
    to the state and the actions (the adjoint of the step). Unbatched (n_z,) works too."""
    if not isinstance(scene, _core.Scene):
        raise ValueError(f"scene: got {type(scene).__name__}, must be a podsim.Scene")
    if isinstance(t, bool) or not isinstance(t, int) or t < 0:
        raise ValueError(f"t: got {t!r}, must be an integer >= 0 (steps taken)")
    state, actions = _as_double("state", state), _as_double("actions", actions)
    single = state.dim() == 1
    if single:
        state, actions = state.unsqueeze(0), actions.unsqueeze(0)
    n_z = _layout(scene)["n_z"]
    if state.dim() != 2 or state.shape[1] != n_z:
        raise ValueError(f"state: got shape {tuple(state.shape)}, must be (B, {n_z})")
    if tuple(actions.shape) != (state.shape[0], scene.action_dim):
        raise ValueError(f"actions: got shape {tuple(actions.shape)}, must be ({state.shape[0]}, {scene.action_dim})")
    z_next = _StepFunction.apply(state, actions, scene, t, _threads(threads))
    return z_next[0] if single else z_next


def observe(scene, state):
    """The policy observation [p - handle_target, x - target, v] (..., n_obs) of flat states, in
    physical units (multiply by scene.observation_scale for a network input), differentiable."""
    lay = _layout(scene)
    return state[..., lay["observation_index"]] - lay["observation_offset"]


def step_cost(scene, state, actions):
    """c_t (...,) of flat states and actions (clamped, zero derivative where clamped): the
    negative reward of Scene.simulate's step t."""
    lay = _layout(scene)
    e = state[..., lay["cost_index"]] - lay["cost_target"]
    a = actions.clamp(-lay["action_limit"], lay["action_limit"])
    return (lay["cost_weights"] * e * e).sum(-1) + lay["action_weight"] * (a * a).sum(-1)


def terminal_cost(scene, state):
    """c_N (...,) of flat states with the terminal weights."""
    lay = _layout(scene)
    e = state[..., lay["cost_index"]] - lay["cost_target"]
    return (lay["cost_terminal_weights"] * e * e).sum(-1)


def closed_loop_cost(scene, policy, state, steps=None, threads=None):
    """Total cost C (B,) of the closed loop a_t = policy(observe(scene, z_t)) from flat states
    (B, n_z) over `steps` (default the horizon): sum of step_cost plus terminal_cost, differentiable
    with respect to the policy's parameters (BPTT through podsim's step adjoints)."""
    steps = scene.horizon if steps is None else int(steps)
    total = 0
    for t in range(steps):
        a = policy(observe(scene, state))
        total = total + step_cost(scene, state, a)
        state = step(scene, state, a, t, threads)
    return total + terminal_cost(scene, state)
