#pragma once
// Projected backtracking line search on the re-simulated cost (docs/design.md section 4):
// alpha = alpha0, alpha0/2, ... accept the first with C(clamp(a + alpha delta)) < C(a).

#include "pods/task/cost.hpp"
#include "pods/task/task.hpp"
#include "sim/bdf2.hpp"

namespace podsim::pods {

struct LineSearchResult {
    bool accepted = false;
    double alpha = 0;       ///< the accepted step (0 when none)
    double cost = 0;        ///< C of the returned actions (C(a) when none accepted)
    int evaluations = 0;    ///< rollouts simulated
    Eigen::MatrixXd actions;///< clamp(a + alpha delta), or a when none accepted
};

/// Tries alpha0 / 2^k for k = 0..max_halvings; a trial whose Newton solve fails counts as
/// rejected. `cost_a` is C(a). Never returns a cost above C(a).
LineSearchResult line_search(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                             const sim::State& z0, const Eigen::MatrixXd& actions, double cost_a,
                             const Eigen::MatrixXd& delta, double alpha0 = 1.0, int max_halvings = 10);

} // namespace podsim::pods
