#pragma once
// An evaluated open-loop episode: the states, the actions actually applied (clamped to the
// task's limit) and the cost of every step, terminal term included.

#include "pods/task/cost.hpp"
#include "pods/task/task.hpp"
#include "sim/bdf2.hpp"
#include "sim/rollout.hpp"

#include <vector>

namespace podsim::pods {

struct Episode {
    std::vector<sim::State> states; ///< z_0 .. z_N
    Eigen::MatrixXd actions;        ///< n_p x N, clamped, column t = a_t
    std::vector<CostTerms> costs;   ///< c_0 .. c_{N-1}, then the terminal c_N
    sim::RolloutStats stats;

    /// Sum of all costs (the return is its negative).
    double total_cost() const;
};

/// Clamps `actions` (n_p x N) to the task's limit, simulates them from z0 and evaluates the
/// cost. Throws common::RuntimeFailure naming the step when Newton does not converge. Returns the
/// number of clamped action components in `clamped` when non-null.
Episode run_episode(sim::Simulator& sim, const Task& task, const sim::State& z0,
                    const Eigen::MatrixXd& actions, int* clamped = nullptr);

} // namespace podsim::pods
