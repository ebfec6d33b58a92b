"""podsim: differentiable mass-spring / cable / cloth simulation, PODS, BPTT and PPO from Python.

    import podsim
    scene = podsim.Scene("scenes/pendulum_2d_stop.json")
    out = scene.simulate(actions)                    # actions: (N, scene.action_dim)
    value, grad = scene.value_and_gradient(actions)  # dV/da by the adjoint
    run = podsim.train("scenes/pendulum_2d_stop.json", method="bptt", epochs=20)
    run["policy"].act(scene.observe(out["positions"][0], out["velocities"][0]))

podsim.torch holds the PyTorch layer (imported on demand: `import podsim.torch`). Bad input
raises ValueError and numerical failures (Newton did not converge) RuntimeError, with the
command line's one-line messages. docs/python.md describes everything.
"""

import os as _os
import tempfile as _tempfile

from . import _core
from ._core import Policy, Scene  # noqa: F401

__all__ = ["Scene", "Policy", "train"]


def train(scene_path, method="pods2", out=None, **options):
    """Trains a policy on a scene as `podsim train SCENE --method METHOD --out OUT` does.

    options are the command line's, with underscores: head, epochs, batch, seed, threads,
    time_budget, test_episodes, test_seed, validation, validation_every, hidden (a list of widths), activation, ndp_horizon,
    ndp_basis, ndp_substeps, mu, max_halvings, fit_steps, minibatch, fit_lr, fit_proximal,
    fit_guard, fit_replay, fit_replay_follow, pods_target, pods_metric, pods_damping, init_policy (a policy.json path), bptt_lr, clip_norm,
    truncation, ppo_lr, value_lr, ppo_epochs, ppo_minibatch, ppo_clip, gamma, gae_lambda,
    entropy_coef, ppo_std_init, ppo_max_grad_norm, scale_rewards, sac_lr, sac_critic_lr,
    sac_alpha_lr, sac_tau, sac_buffer, sac_minibatch, sac_updates, sac_alpha_init,
    sac_target_entropy, gps_conditions, gps_samples, gps_step, gps_noise, shac_window, shac_lr,
    shac_lambda, shac_critic_iters, shac_critic_minibatches, shac_critic_lr, shac_target_alpha,
    shac_noise, resume; for method "hndp"
    regions, region_samples, local_method, success_fraction, pull_weight, bc_weight,
    local_parallel (docs/hndp.md). Defaults as docs/training.md. They are validated like the command line's (ValueError naming the option).

    out: the run directory (policy.json, log.csv, config.json, rewritten after every epoch, so
    Ctrl-C leaves a resumable run); None trains in a temporary directory removed afterwards.

    Returns a dict: policy (the delivered Policy: the last one, or with validation states the
    best-validating one), delivered_epoch, log (log.csv's columns as arrays), stopped ("epochs"
    or "time budget"), resumed_from (-1 unless resumed), config (every effective setting), out.
    """
    options = dict(options, method=method)
    scene_path = _os.fspath(scene_path)
    if out is not None:
        return _core._train(scene_path, _os.fspath(out), options)
    with _tempfile.TemporaryDirectory(prefix="podsim-train-") as tmp:
        result = _core._train(scene_path, _os.path.join(tmp, "run"), options)
    result["out"] = None
    return result
