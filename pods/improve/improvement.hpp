#pragma once
// Trajectory improvement (PODS paper eq. 6 and 14, docs/design.md section 4): the cost gradient with
// respect to the actions (adjoint, or through the trajectory Jacobian), the first-order step and
// the Gauss-Newton step, dense or by a Riccati recursion.
//   grad  = dC/da + J^T dC/ds                          (the value gradient is dV/da = -grad)
//   first order:   delta = -grad
//   Gauss-Newton:  delta = -(J^T Q J + R + mu I)^-1 grad

#include "pods/task/cost.hpp"
#include "sim/bdf2.hpp"

#include <cstdint>
#include <string>
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

/// Dense reference: delta = -(J^T Q J + R + mu I)^-1 grad (n_a x N), solved by
/// solve_gauss_newton_system (an ill-conditioned matrix gets a small damping shift when
/// 2 w_a + mu > 0; `shift`, if given, receives it). Throws common::RuntimeFailure if the matrix
/// is singular or ill-conditioned and w_a = mu = 0.
Eigen::MatrixXd gauss_newton_step_dense(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian,
                                        const Eigen::MatrixXd& gradient, double mu, double* shift = nullptr);

/// The same step as the open-loop solution of the LQR problem linearised along the rollout,
/// by a backward Riccati recursion over the BDF2 state (x, v, x_prev, v_prev, p): cost linear in
/// N, cubic in the state size 4 n_x + n_p. Equal to the dense step up to round-off.
Eigen::MatrixXd gauss_newton_step_riccati(sim::Simulator& sim, const QuadraticCost& cost,
                                          const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                          double mu);

/// Below this reciprocal condition number a Gauss-Newton system is reported as singular.
inline constexpr double kMinReciprocalCondition = 1e-12;

/// Solves g x = rhs in place (rhs becomes x) for a symmetric Gauss-Newton matrix g, factorised in
/// its own storage (g is consumed; its strict upper triangle must hold the matrix too). `floor`
/// is the least eigenvalue the matrix is known to have (2 w_a + mu for J^T Q J + R + mu I).
/// When the Cholesky factorisation fails or its reciprocal condition number is below
/// kMinReciprocalCondition and floor > 0, the matrix is positive definite but the Jacobian makes
/// it ill-conditioned (a cloth near buckling): lambda = 1e-10, 1e-8, 1e-6, 1e-4 times the largest
/// shifted diagonal entry is added to the entries flagged in `shiftable` (Levenberg-Marquardt
/// damping) until it factorises well. Returns the lambda used (0: none). Throws
/// common::RuntimeFailure naming `what` when floor <= 0 (typically w_a = mu = 0) or every shift fails.
double solve_gauss_newton_system(Eigen::Ref<Eigen::MatrixXd> g, Eigen::Ref<Eigen::VectorXd> rhs,
                                 const Eigen::Array<bool, Eigen::Dynamic, 1>& shiftable, double floor,
                                 const char* what);

/// The decrease of the Gauss-Newton model predicted for `delta`:
/// -(grad . delta + 1/2 delta^T (J^T Q J + R + mu I) delta), without forming the matrix.
double gauss_newton_predicted_decrease(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian,
                                       const Eigen::MatrixXd& gradient, const Eigen::MatrixXd& delta, double mu);

/// Size limits of the dense path: the Jacobian's entries and the Gauss-Newton matrix's order.
inline constexpr std::int64_t kMaxJacobianEntries = 50'000'000;
inline constexpr std::int64_t kMaxDenseGaussNewtonOrder = 5000;
/// Empty when the trajectory Jacobian and the dense Gauss-Newton system of `steps` steps fit
/// the limits, otherwise why not.
std::string dense_size_problem(const sim::Model& model, const QuadraticCost& cost, int steps);

enum class GaussNewtonMethod { kAuto, kDense, kRiccati, kMatrixFree };

/// "auto", "dense", "riccati", "matrix-free".
const char* to_string(GaussNewtonMethod method);

/// Riccati when the BDF2 state is small (4 n_x + n_p <= kRiccatiMaxState); otherwise matrix-free
/// (conjugate gradients on tangent / adjoint sweeps) where the dense path does not fit its size
/// limits (dense_size_problem) and where it was measured faster (docs/optimization.md): a dense
/// linear solver (its linearisation keeps inverses), N >= kMatrixFreeMinHorizon and damping
/// 2 w_a + mu >= kMatrixFreeMinDamping (CG needs more products as the damping falls); dense
/// otherwise.
inline constexpr int kRiccatiMaxState = 64;
inline constexpr int kMatrixFreeMinHorizon = 100;
inline constexpr double kMatrixFreeMinDamping = 1.0;
GaussNewtonMethod choose_gauss_newton(const sim::Model& model, const QuadraticCost& cost, int horizon, double mu = 0);

/// Tolerance of the matrix-free path's conjugate gradients (relative residual of each solve).
inline constexpr double kMatrixFreeTolerance = 1e-8;

/// The unconstrained matrix-free step: delta = -(J^T Q J + R + mu I)^-1 grad by conjugate
/// gradients (relative residual `tolerance`, at most max_iterations products; 0: N n_a) over a
/// sim::TrajectoryLinearization of the rollout. Equal to gauss_newton_step_dense to the
/// tolerance. Throws like box_newton_step_matrix_free (box_step.hpp).
Eigen::MatrixXd gauss_newton_step_matrix_free(sim::Simulator& sim, const QuadraticCost& cost,
                                              const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                              double mu, double tolerance = kMatrixFreeTolerance, int max_iterations = 0);

/// The Gauss-Newton step with the chosen (or automatic) method.
Eigen::MatrixXd gauss_newton_step(sim::Simulator& sim, const QuadraticCost& cost,
                                  const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                  double mu, GaussNewtonMethod method = GaussNewtonMethod::kAuto);

} // namespace podsim::pods
