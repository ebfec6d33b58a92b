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
    double improved_return = 0;   ///< PODS: mean return of the improved trajectories
    double fit_loss = 0;          ///< PODS: mean regression loss of the epoch's Adam steps; PPO: mean surrogate loss
    double gradient_norm = 0;     ///< BPTT: |dC/dtheta|; PODS: mean |projected trajectory gradient|;
                                  ///< PPO: mean |dL/d(theta, log_std)| before clipping
    // PPO only (0 otherwise)
    double policy_std = 0;        ///< mean standard deviation after the epoch, in action units
    double approx_kl = 0;         ///< mean KL estimate of the last pass over the batch
    double clip_fraction = 0;     ///< mean fraction of clipped decisions over the epoch
    double value_loss = 0;        ///< mean value loss over the epoch
    int failed = 0;               ///< trajectories left out
    std::vector<TrajectoryFailure> failures;
    // where the time went (seconds; the per-trajectory phases summed over threads)
    double rollout_cpu_s = 0;     ///< closed-loop rollouts
    double improve_cpu_s = 0;     ///< PODS: improvement, line search and re-simulation; BPTT: reverse pass;
                                  ///< PPO: rewards, values and advantages
    double fit_s = 0;             ///< PODS: regression; BPTT: gradient sum and Adam step; PPO: the minibatch passes
};

} // namespace podsim::pods
