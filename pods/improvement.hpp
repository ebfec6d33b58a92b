#pragma once
// Trajectory improvement (PODS paper eq. 6 and 14, DESIGN.md section 4): the cost gradient with
// respect to the actions (adjoint, or through the trajectory Jacobian), the first-order step and
// the Gauss-Newton step, dense or by a Riccati recursion.
//   grad  = dC/da + J^T dC/ds                          (the value gradient is dV/da = -grad)
//   first order:   delta = -grad
//   Gauss-Newton:  delta = -(J^T Q J + R + mu I)^-1 grad

#include "pods/cost.hpp"
#include "sim/bdf2.hpp"

#include <vector>

namespace podsim::pods {

/// dC/da (n_a x N) of a rollout (states z_0..z_N from `actions`) by the adjoint recursion.
Eigen::MatrixXd cost_gradient_adjoint(sim::Simulator& sim, const QuadraticCost& cost,
                                      const std::vector<sim::State>& states, const Eigen::MatrixXd& actions);

/// dC/da (n_a x N) as dC/da + J^T dC/ds from a trajectory Jacobian J (sim::trajectory_jacobian).
Eigen::MatrixXd cost_gradient_jacobian(const sim::Model& model, const QuadraticCost& cost,
                                       const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                       const Eigen::MatrixXd& jacobian);

/// The Gauss-Newton matrix J^T Q J + R + mu I (N n_a square, symmetric PSD; PD when w_a + mu > 0).
Eigen::MatrixXd gauss_newton_matrix(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian, int horizon, double mu);

/// Dense reference: delta = -(J^T Q J + R + mu I)^-1 grad (n_a x N). Throws sim::RuntimeFailure
/// if the matrix is singular (w_a = mu = 0 and J rank-deficient).
Eigen::MatrixXd gauss_newton_step_dense(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian,
                                        const Eigen::MatrixXd& gradient, double mu);

/// The same step as the open-loop solution of the LQR problem linearised along the rollout,
/// by a backward Riccati recursion over the BDF2 state (x, v, x_prev, v_prev, p): cost linear in
/// N, cubic in the state size 4 n_x + n_p. Equal to the dense step up to round-off.
Eigen::MatrixXd gauss_newton_step_riccati(sim::Simulator& sim, const QuadraticCost& cost,
                                          const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                          double mu);

enum class GaussNewtonMethod { kAuto, kDense, kRiccati };

/// Riccati when the BDF2 state is small (4 n_x + n_p <= kRiccatiMaxState), dense otherwise.
inline constexpr int kRiccatiMaxState = 64;
GaussNewtonMethod choose_gauss_newton(const sim::Model& model);

/// The Gauss-Newton step with the chosen (or automatic) method.
Eigen::MatrixXd gauss_newton_step(sim::Simulator& sim, const QuadraticCost& cost,
                                  const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                  double mu, GaussNewtonMethod method = GaussNewtonMethod::kAuto);

} // namespace podsim::pods
