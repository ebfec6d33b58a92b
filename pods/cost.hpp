#pragma once
// The task cost per step and at the end of the horizon (PODS paper eq. 15, DESIGN.md section 4):
//   c_t = w_p |p_t - p*|^2 + w_x sum_payload |x_t - x*|^2 + w_v sum_payload |v_t|^2 + w_a |a_t|^2
// The reward is -c_t.

#include "pods/task.hpp"
#include "sim/state.hpp"

namespace podsim::pods {

/// The four terms of a cost, already weighted. @note cost, not reward: lower is better.
struct CostTerms {
    double p = 0, x = 0, v = 0, a = 0;
    double total() const { return p + x + v + a; }
};

/// c_t(s_t, a_t) with the task's per-step weights.
CostTerms step_cost(const sim::Model& model, const Task& task, const sim::State& z,
                    const Eigen::VectorXd& a);

/// c_N(s_N) with the terminal weights (no action term).
CostTerms terminal_cost(const sim::Model& model, const Task& task, const sim::State& z);

} // namespace podsim::pods
