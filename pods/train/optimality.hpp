#pragma once
// The optimality ratio (docs/training.md): a deterministic policy cannot beat the best action
// sequence from a state, so mean_i C(policy, s_i) / C(open-loop optimum, s_i) over a test bed
// measures how close a policy comes to per-state trajectory optimisation.

#include "pods/improve/optimize.hpp"
#include "pods/train/closed_loop.hpp"
#include "pods/train/workers.hpp"

#include <vector>

namespace podsim::pods {

/// The box-constrained open-loop optimal cost from every initial state: optimize_actions (second
/// order) from zero actions (OpenMP over states). A state whose optimisation fails gets NaN.
std::vector<double> open_loop_optimal_costs(Workers& workers, const Task& task, const QuadraticCost& cost,
                                            const std::vector<sim::State>& initial,
                                            const OptimizeOptions& options = {});

/// Mean of C(rollout_i) / optimal_i over the episodes where both exist (NaN when none).
double optimality_ratio(const std::vector<ClosedLoopRollout>& rollouts, const std::vector<double>& optimal);
/// Mean of the finite optimal costs (NaN when none).
double mean_optimal_cost(const std::vector<double>& optimal);

} // namespace podsim::pods
