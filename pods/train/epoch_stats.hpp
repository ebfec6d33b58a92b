#pragma once
// What one training epoch reports (log.csv's training columns, docs/training.md), for every method.

#include <string>
#include <vector>

namespace podsim::pods {

/// A trajectory left out of an epoch: its index in the batch, the step and why.
struct TrajectoryFailure {
    int index = 0;
    int step = -1;
    std::string message;
};

struct EpochStats {
    long long sim_steps = 0;      ///< simulated steps (rollouts, line-search trials, re-simulations)
    double train_return = 0;      ///< mean return of the policy's own rollouts of this epoch (PPO: noisy)
    double alpha_mean = 0;        ///< PODS: mean accepted line-search step over the batch (0 if none)
    double mu = 0;                ///< PODS2: the Gauss-Newton damping of the epoch's improvement (0 otherwise)
    double improved_return = 0;   ///< PODS: mean return of the improved trajectories
    double fit_loss = 0;          ///< PODS: mean regression loss of the epoch's Adam steps; PPO: mean surrogate loss;
                                  ///< SAC: mean actor loss
    double gradient_norm = 0;     ///< BPTT: |dC/dtheta|; PODS: mean |projected trajectory gradient|;
                                  ///< PPO: mean |dL/d(theta, log_std)| before clipping
    // PPO (and SAC) only (0 otherwise)
    double policy_std = 0;        ///< mean standard deviation after the epoch, in action units (SAC: before the tanh)
    double approx_kl = 0;         ///< mean KL estimate of the last pass over the batch
    double clip_fraction = 0;     ///< mean fraction of clipped decisions over the epoch
    double value_loss = 0;        ///< mean value loss over the epoch (SAC: the twin Q networks' loss)
    // SAC only (0 otherwise); its actor loss is fit_loss, its log-std policy_std
    double temperature = 0;       ///< the entropy temperature alpha after the epoch
    double entropy = 0;           ///< mean -log pi of the actor's samples over the epoch's updates
    // H-NDP only (0 otherwise)
    double local_return = 0;      ///< mean over the regions of the locals' mean training return
    double global_return = 0;     ///< mean training return of the global policy over all regions
    double bc_loss = 0;           ///< mean L_BC of the global's Adam steps
    double pull_loss = 0;         ///< mean pull of the pulled locals' Adam steps (0 when none)
    int pulled_regions = 0;       ///< regions with alpha_i > 0 (the global succeeds there)
    /// PODS with fit_guard: the fraction of the fit's parameter change kept (1, 1/2, ..., 0: reverted);
    /// not in log.csv
    double guard_scale = 1;
    int failed = 0;               ///< trajectories left out
    std::vector<TrajectoryFailure> failures;
    // where the time went (seconds; the per-trajectory phases summed over threads)
    double rollout_cpu_s = 0;     ///< closed-loop rollouts
    double improve_cpu_s = 0;     ///< PODS: improvement, line search and re-simulation; BPTT: reverse pass;
                                  ///< PPO: rewards, values and advantages
    double fit_s = 0;             ///< PODS: regression; BPTT: gradient sum and Adam step; PPO: the minibatch passes
    // H-NDP's phases (wall seconds): rollouts and improvement of the global and every local, the
    // locals' fits (PPO: their whole epochs), the global's fit (fit_s is their sum)
    double simulate_s = 0, local_fit_s = 0, global_fit_s = 0;
};

} // namespace podsim::pods
