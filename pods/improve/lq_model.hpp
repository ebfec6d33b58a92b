#pragma once
// The linear-quadratic model of a rollout's cost (docs/optimization.md): the dynamics linearised
// along the rollout over the BDF2 state z = (x, v, x_prev, v_prev, p),
//   dz_{t+1} = A_t dz_t + B_t da_t,   ds_t = S dz_t,
// with the cost's gradients and constant Hessians. The Riccati Gauss-Newton steps (unconstrained
// and box-aware) and the exact cost gradient by the linearised adjoint are computed from it.

#include "pods/task/cost.hpp"
#include "sim/bdf2.hpp"

#include <vector>

namespace podsim::pods {

struct LqModel {
    std::vector<Eigen::MatrixXd> a; ///< A_t, nz x nz, t = 0..N-1 (nz = 4 n_x + n_p)
    std::vector<Eigen::MatrixXd> b; ///< B_t, nz x n_a
    Eigen::MatrixXd selection;      ///< S, n_s x nz: s_t = S z_t
    Eigen::VectorXd d_s;            ///< dC/ds for s_0..s_N stacked, (N+1) n_s
    Eigen::MatrixXd d_a;            ///< dC/da (explicit action term), n_a x N
    Eigen::VectorXd q;              ///< diagonal of Q = d2C/ds2, (N+1) n_s
    double r = 0;                   ///< R = r I (= 2 w_a)

    int horizon() const { return int(a.size()); }
    int state_size() const { return int(selection.cols()); }
    int action_size() const { return int(d_a.rows()); }
};

/// z = (x, v, x_prev, v_prev, p) of a state, stacked in the order of A_t's rows and columns
/// (4 n_x + n_p).
Eigen::VectorXd stacked_state(const sim::State& z);

/// Linearises a rollout (states z_0..z_N from `actions`, n_a x N): one tangent solve with
/// nz + n_a columns per step. Throws sim::SensitivityError.
LqModel lq_model(sim::Simulator& sim, const QuadraticCost& cost, const std::vector<sim::State>& states,
                 const Eigen::MatrixXd& actions);

/// dC/da (n_a x N) by the adjoint of the linearised dynamics:
///   lambda_N = S^T dC/ds_N,  grad_t = dC/da_t + B_t^T lambda_{t+1},  lambda_t = S^T dC/ds_t + A_t^T lambda_{t+1}.
/// Equal to cost_gradient_adjoint up to round-off, without another pass over the simulator.
Eigen::MatrixXd lq_gradient(const LqModel& lq);

} // namespace podsim::pods
