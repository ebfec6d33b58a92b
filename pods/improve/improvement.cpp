// Cost gradients, Gauss-Newton steps (dense and Riccati) (see improvement.hpp).
#include "pods/improve/improvement.hpp"

#include "common/input_error.hpp"
#include "pods/improve/box_step.hpp"
#include "pods/improve/lq_model.hpp"
#include "sim/sensitivity.hpp"
#include "sim/trajectory_linearization.hpp"
#include "common/text_io.hpp"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <limits>

namespace podsim::pods {

Eigen::MatrixXd cost_gradient_adjoint(sim::Simulator& sim, const QuadraticCost& cost,
                                      const std::vector<sim::State>& states, const Eigen::MatrixXd& actions)
{
    Eigen::VectorXd d_s;
    Eigen::MatrixXd d_a;
    cost.gradient(sim.model(), states, actions, d_s, d_a);
    return d_a + sim::trajectory_adjoint(sim, states, cost.selection, d_s).actions;
}

Eigen::MatrixXd cost_gradient_jacobian(const sim::Model& model, const QuadraticCost& cost,
                                       const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                       const Eigen::MatrixXd& jacobian)
{
    Eigen::VectorXd d_s;
    Eigen::MatrixXd d_a;
    cost.gradient(model, states, actions, d_s, d_a);
    const Eigen::VectorXd jt = jacobian.transpose() * d_s;
    return d_a + jt.reshaped(d_a.rows(), d_a.cols());
}

Eigen::MatrixXd gauss_newton_matrix(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian, int horizon, double mu)
{
    const Eigen::VectorXd q = cost.state_hessian_diagonal(horizon);
    Eigen::MatrixXd g(jacobian.cols(), jacobian.cols());
    g.setZero();
    g.selfadjointView<Eigen::Lower>().rankUpdate(jacobian.transpose() * q.cwiseSqrt().asDiagonal());
    g = g.selfadjointView<Eigen::Lower>();
    g.diagonal().array() += 2 * cost.action_weight + mu;
    return g;
}

double solve_gauss_newton_system(Eigen::Ref<Eigen::MatrixXd> g, Eigen::Ref<Eigen::VectorXd> rhs,
                                 const Eigen::Array<bool, Eigen::Dynamic, 1>& shiftable, double floor,
                                 const char* what)
{
    // The in-place Cholesky overwrites the lower triangle and the diagonal only, so a retry
    // restores the matrix from the strict upper triangle and the saved diagonal.
    const Eigen::VectorXd diagonal = g.diagonal();
    double scale = 0;
    for (Eigen::Index i = 0; i < g.rows(); ++i)
        if (shiftable[i]) scale = std::max(scale, std::abs(diagonal[i]));
    double lambda = 0, rcond = 0;
    for (int attempt = 0;; ++attempt) {
        if (attempt > 0) {
            g.triangularView<Eigen::StrictlyLower>() = g.transpose();
            g.diagonal() = diagonal;
            lambda = std::pow(10.0, -12 + 2 * attempt) * scale;
            for (Eigen::Index i = 0; i < g.rows(); ++i)
                if (shiftable[i]) g(i, i) += lambda;
        }
        const Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(g);
        rcond = llt.info() == Eigen::Success ? llt.rcond() : 0.0;
        if (rcond >= kMinReciprocalCondition) {
            rhs = llt.solve(rhs);
            return lambda;
        }
        if (!(floor > 0) || attempt == 4 || !(scale > 0)) break;
    }
    throw common::RuntimeFailure(std::string("the ") + what + " is singular or ill-conditioned (reciprocal condition " +
                                 common::format_double(rcond) +
                                 (floor > 0 ? std::string(" with a damping shift of ") + common::format_double(lambda)
                                            : std::string()) +
                                 "): use an action weight or mu > 0");
}

Eigen::MatrixXd gauss_newton_step_dense(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian,
                                        const Eigen::MatrixXd& gradient, double mu, double* shift)
{
    const int n = int(gradient.cols());
    Eigen::MatrixXd g = gauss_newton_matrix(cost, jacobian, n, mu);
    Eigen::VectorXd delta = -gradient.reshaped();
    const double lambda = solve_gauss_newton_system(g, delta, Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(delta.size(), true),
                                                    2 * cost.action_weight + mu, "Gauss-Newton matrix");
    if (shift) *shift = lambda;
    return delta.reshaped(gradient.rows(), gradient.cols());
}

double gauss_newton_predicted_decrease(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian,
                                       const Eigen::MatrixXd& gradient, const Eigen::MatrixXd& delta, double mu)
{
    const int n = int(delta.cols());
    const Eigen::VectorXd jd = jacobian * delta.reshaped();
    const double curvature = jd.dot(cost.state_hessian_diagonal(n).cwiseProduct(jd)) +
                             (2 * cost.action_weight + mu) * delta.squaredNorm();
    return -(gradient.reshaped().dot(delta.reshaped()) + 0.5 * curvature);
}

std::string dense_size_problem(const sim::Model& model, const QuadraticCost& cost, int steps)
{
    const std::int64_t order = std::int64_t(steps) * model.n_p();
    const std::int64_t entries = (std::int64_t(steps) + 1) * cost.selection.size(model) * order;
    if (entries > kMaxJacobianEntries)
        return "the trajectory Jacobian would have " + std::to_string(entries) + " entries (limit " +
               std::to_string(kMaxJacobianEntries) + "); use fewer steps";
    if (order > kMaxDenseGaussNewtonOrder)
        return "the dense Gauss-Newton system would have order " + std::to_string(order) + " (limit " +
               std::to_string(kMaxDenseGaussNewtonOrder) + "); use fewer steps";
    return {};
}

const char* to_string(GaussNewtonMethod method)
{
    switch (method) {
    case GaussNewtonMethod::kAuto: return "auto";
    case GaussNewtonMethod::kDense: return "dense";
    case GaussNewtonMethod::kRiccati: return "riccati";
    case GaussNewtonMethod::kMatrixFree: return "matrix-free";
    }
    return "?";
}

GaussNewtonMethod choose_gauss_newton(const sim::Model& model, const QuadraticCost& cost, int horizon, double mu)
{
    if (4 * model.n_x() + model.n_p() <= kRiccatiMaxState) return GaussNewtonMethod::kRiccati;
    if (!dense_size_problem(model, cost, horizon).empty()) return GaussNewtonMethod::kMatrixFree;
    // the measured switch: long horizons, a damped model, dense steps (as sim::Simulator decides)
    const sim::LinearSolverChoice solver = model.solver.linear_solver;
    const bool dense_solver = solver == sim::LinearSolverChoice::kDense ||
                              (solver == sim::LinearSolverChoice::kAuto && model.n_x() <= sim::kDenseSolverMaxDofs);
    const bool matrix_free = dense_solver && horizon >= kMatrixFreeMinHorizon && 2 * cost.action_weight + mu >= kMatrixFreeMinDamping;
    return matrix_free ? GaussNewtonMethod::kMatrixFree : GaussNewtonMethod::kDense;
}

Eigen::MatrixXd gauss_newton_step_matrix_free(sim::Simulator& sim, const QuadraticCost& cost,
                                              const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                              double mu, double tolerance, int max_iterations)
{
    sim::TrajectoryLinearization linearization(sim, states);
    const Eigen::MatrixXd grad = cost_gradient_linearized(linearization, cost, states, actions);
    GaussNewtonOperator g(linearization, cost, mu);
    const ActionMask nothing = ActionMask::Constant(actions.rows(), actions.cols(), false);
    CgOptions cg;
    cg.tolerance = tolerance;
    cg.max_iterations = max_iterations;
    return box_newton_step_matrix_free(g, grad, actions, std::numeric_limits<double>::infinity(), nothing, 0, cg).delta;
}

Eigen::MatrixXd gauss_newton_step_riccati(sim::Simulator& sim, const QuadraticCost& cost,
                                          const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                          double mu)
{
    // the box-DDP pass with nothing held and no box is the unconstrained Riccati solve
    const LqModel lq = lq_model(sim, cost, states, actions);
    const ActionMask nothing = ActionMask::Constant(actions.rows(), actions.cols(), false);
    return box_riccati_step(lq, actions, std::numeric_limits<double>::infinity(), mu, nothing).delta;
}

Eigen::MatrixXd gauss_newton_step(sim::Simulator& sim, const QuadraticCost& cost,
                                  const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                  double mu, GaussNewtonMethod method)
{
    if (method == GaussNewtonMethod::kAuto) method = choose_gauss_newton(sim.model(), cost, int(actions.cols()), mu);
    if (method == GaussNewtonMethod::kRiccati) return gauss_newton_step_riccati(sim, cost, states, actions, mu);
    if (method == GaussNewtonMethod::kMatrixFree) return gauss_newton_step_matrix_free(sim, cost, states, actions, mu);
    const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, states, cost.selection);
    const Eigen::MatrixXd grad = cost_gradient_jacobian(sim.model(), cost, states, actions, j);
    return gauss_newton_step_dense(cost, j, grad, mu);
}

} // namespace podsim::pods
