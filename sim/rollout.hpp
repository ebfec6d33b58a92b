#pragma once
// Open-loop rollouts: a sequence of BDF steps under given handle velocities.

#include "sim/bdf2.hpp"

#include <vector>

namespace podsim::sim {

struct RolloutStats {
    bool converged = true;
    int failed_step = -1;      ///< index t of the step that failed (z_t -> z_{t+1})
    StepStatus failure;        ///< status of the failed step
    long newton_iterations = 0;
    long factorizations = 0;
    long krylov_iterations = 0; ///< inner conjugate-gradient iterations (StepStatus::krylov)
    int steps = 0;             ///< steps taken

    double mean_iterations() const { return steps ? double(newton_iterations) / steps : 0.0; }
    double mean_factorizations() const { return steps ? double(factorizations) / steps : 0.0; }
};

/// Simulates actions.cols() steps from z0 (column t of `actions` = a_t, applied as given).
/// `states` is resized to steps + 1 with states[0] = z0; stops at the first failed step.
RolloutStats rollout(Simulator& sim, const State& z0, const Eigen::MatrixXd& actions,
                     std::vector<State>& states);

} // namespace podsim::sim
