#pragma once
// The task cost per step and at the end of the horizon (PODS paper eq. 15, docs/design.md section 4):
//   c_t = w_p |p_t - p*|^2 + w_x sum_payload |x_t - x*|^2 + w_v sum_payload |v_t|^2 + w_a |a_t|^2
// The reward is -c_t.

#include "pods/task/task.hpp"
#include "sim/sensitivity.hpp"
#include "sim/state.hpp"

#include <vector>

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

/// The same cost in reduced-state form, for derivatives (docs/design.md section 4):
///   c_t = (s_t - s*)^T diag(w) (s_t - s*) + w_a |a_t|^2,   c_N = (s_N - s*)^T diag(w_N) (s_N - s*)
/// with s_t = (p_t, x_t of the payload, v_t of the payload) as in sim::StateSelection.
/// Gradients: dc/ds = 2 diag(w) (s - s*), dc/da = 2 w_a a; Hessians (constant, PSD):
/// Q_t = 2 diag(w), R = 2 w_a I.
struct QuadraticCost {
    sim::StateSelection selection;
    Eigen::VectorXd target;           ///< s*
    Eigen::VectorXd weights;          ///< w, per step
    Eigen::VectorXd terminal_weights; ///< w_N
    double action_weight = 0;         ///< w_a

    /// Cost of a rollout: sum of c_t over the N actions plus c_N (states z_0..z_N).
    double total(const sim::Model& model, const std::vector<sim::State>& states, const Eigen::MatrixXd& actions) const;
    /// dC/ds for s_0..s_N stacked ((N+1) n_s) and dC/da (n_a x N).
    void gradient(const sim::Model& model, const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                  Eigen::VectorXd& d_s, Eigen::MatrixXd& d_a) const;
    /// Diagonal of Q = d2C/ds2 for s_0..s_N stacked.
    Eigen::VectorXd state_hessian_diagonal(int horizon) const;
};

QuadraticCost quadratic_cost(const sim::Model& model, const Task& task);

} // namespace podsim::pods
