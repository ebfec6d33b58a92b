#pragma once
// The simulation half of a PODS epoch (PODS paper Algorithm 1, lines 3-7; docs/training.md) for
// one or several policies at once: closed-loop rollouts, box-aware improvement of every
// trajectory and the regression samples of the re-simulated improved trajectories. Every group's
// trajectories are cut into lockstep batches, and all groups' batches run in one parallel loop
// (spread over the cluster's ranks), so several small groups (H-NDP's regions) keep every thread
// busy. Results do not depend on the thread or rank count.

#include "pods/task/cost.hpp"
#include "pods/task/observation.hpp"
#include "pods/task/task.hpp"
#include "pods/train/closed_loop.hpp"
#include "pods/train/epoch_stats.hpp"
#include "pods/train/regression.hpp"
#include "pods/train/train_config.hpp"
#include "pods/train/workers.hpp"
#include "policy/policy.hpp"

#include <span>
#include <vector>

namespace podsim::pods {

/// Trajectories one policy runs: from every state of `initial`; with `improve` false only the
/// rollouts are made (no improvement, no samples). Every rank gets every rollout's outcome, and
/// with `decisions` also its decisions (obs, handle_velocity, requested and applied actions; the
/// states stay on the rank that ran it).
struct PodsGroup {
    const policy::Policy* policy = nullptr;
    std::span<const sim::State> initial;
    bool improve = true;
    bool decisions = false;
};

/// A group's results, in the order of its initial states.
struct PodsGroupResult {
    std::vector<ClosedLoopRollout> rollouts;
    /// the regression samples of each improved trajectory (empty for failed ones and without
    /// improvement)
    std::vector<RegressionData> samples;
    /// sim_steps, train_return, improved_return, alpha_mean, gradient_norm, failed, failures
    /// (indices within the group), rollout_cpu_s, improve_cpu_s; the means over the successful
    /// trajectories
    EpochStats stats;
};

/// Runs every group (improvement settings: config.method's order, mu, max_halvings). Every rank
/// of the workers' cluster must call it with the same groups; every rank gets every result.
/// `results` is resized to the number of groups (its buffers are reused).
void pods_rollouts(Workers& workers, const ObservationMap& obs_map, const Task& task, const QuadraticCost& cost,
                   const TrainConfig& config, std::span<const PodsGroup> groups, std::vector<PodsGroupResult>& results);

} // namespace podsim::pods
