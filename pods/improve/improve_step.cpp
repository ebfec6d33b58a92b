// One box-aware improvement of an action sequence (see improve_step.hpp).
#include "pods/improve/improve_step.hpp"

#include "pods/improve/active_set.hpp"
#include "pods/improve/box_step.hpp"
#include "pods/improve/line_search.hpp"
#include "pods/improve/lq_model.hpp"
#include "sim/sensitivity.hpp"
#include "sim/trajectory_linearization.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace podsim::pods {

namespace {

// alpha0 of the first-order step delta = -g (g the projected gradient)
double first_order_alpha(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                         const std::vector<sim::State>& states, const Eigen::MatrixXd& delta,
                         const ImproveOptions& options)
{
    const double largest = delta.cwiseAbs().maxCoeff();
    if (options.first_order_scale == FirstOrderScale::kFraction) return options.first_order_fraction * task.action_limit / largest;
    // Cauchy step: minimiser of grad . (alpha d) + 1/2 alpha^2 d^T G d along d = -g on the
    // undamped model G = J^T Q J + R (mu is the second-order steps' knob), with
    // d^T G d = |J d|_Q^2 + 2 w_a |d|^2 from one tangent pass
    const sim::Model& m = sim.model();
    const Eigen::VectorXd zero = Eigen::VectorXd::Zero(m.n_x());
    const Eigen::VectorXd jd = sim::trajectory_tangent(sim, states, cost.selection, delta, zero, zero);
    const Eigen::VectorXd q = cost.state_hessian_diagonal(int(delta.cols()));
    const double curvature = jd.dot(q.cwiseProduct(jd)) + 2 * cost.action_weight * delta.squaredNorm();
    const double cap = 2 * task.action_limit / largest; // beyond this every component is projected
    if (!(curvature > 0)) return cap;
    return std::min(delta.squaredNorm() / curvature, cap);
}

void require_rollout(const sim::Model& m, const std::vector<sim::State>& states, const Eigen::MatrixXd& actions)
{
    if (actions.rows() != m.n_p() || states.size() != std::size_t(actions.cols()) + 1 || actions.cols() < 1)
        throw std::invalid_argument("improve_actions: got " + std::to_string(actions.rows()) + " x " +
                                    std::to_string(actions.cols()) + " actions and " + std::to_string(states.size()) +
                                    " states, need n_p x N (N >= 1) and N + 1");
    if (states[0].t != 0)
        throw std::invalid_argument("improve_actions: the rollout must start at an initial state (t = 0), got t = " +
                                    std::to_string(states[0].t));
}

} // namespace

BoxAwareStep box_aware_step(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                            const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                            const ImproveOptions& options)
{
    const sim::Model& m = sim.model();
    require_rollout(m, states, actions);
    const double limit = task.action_limit;
    BoxAwareStep s;
    const GaussNewtonMethod method =
        options.method == GaussNewtonMethod::kAuto ? choose_gauss_newton(m, cost, int(actions.cols()), options.mu) : options.method;
    if (options.order == StepOrder::kFirst) {
        s.gradient = cost_gradient_adjoint(sim, cost, states, actions);
        s.held = active_set(actions, s.gradient, limit, options.bound_tolerance);
        s.delta = -projected_gradient(s.gradient, s.held);
        if (s.delta.cwiseAbs().maxCoeff() > 0) s.alpha0 = first_order_alpha(sim, task, cost, states, s.delta, options);
    } else if (method == GaussNewtonMethod::kMatrixFree) {
        // one factorisation per step, kept for the gradient and every product of the CG solves
        sim::TrajectoryLinearization linearization(sim, states);
        s.method = method;
        s.gradient = cost_gradient_linearized(linearization, cost, states, actions);
        s.held = active_set(actions, s.gradient, limit, options.bound_tolerance);
        GaussNewtonOperator g(linearization, cost, options.mu);
        CgOptions cg;
        cg.tolerance = options.cg_tolerance;
        cg.max_iterations = options.cg_max_iterations;
        BoxStepResult mf = box_newton_step_matrix_free(g, s.gradient, actions, limit, s.held,
                                                       options.box_qp ? options.dense_box_passes : 0, cg);
        s.delta = std::move(mf.delta);
        s.clamped = mf.clamped;
        s.cg_iterations = mf.cg_iterations;
        s.cg_converged = mf.cg_converged;
    } else if (method == GaussNewtonMethod::kRiccati) {
        s.method = method;
        const LqModel lq = lq_model(sim, cost, states, actions);
        s.gradient = lq_gradient(lq);
        s.held = active_set(actions, s.gradient, limit, options.bound_tolerance);
        BoxStepResult ddp = box_riccati_step(lq, actions, options.box_qp ? limit : std::numeric_limits<double>::infinity(),
                                              options.mu, s.held);
        s.delta = std::move(ddp.delta);
        s.clamped = ddp.clamped;
        s.feedback = std::move(ddp.feedback);
    } else {
        s.method = GaussNewtonMethod::kDense;
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, states, cost.selection);
        s.gradient = cost_gradient_jacobian(m, cost, states, actions, j);
        s.held = active_set(actions, s.gradient, limit, options.bound_tolerance);
        BoxStepResult pn = box_newton_step_dense(cost, j, s.gradient, actions, limit, options.mu, s.held,
                                                 options.box_qp ? options.dense_box_passes : 0);
        s.delta = std::move(pn.delta);
        s.clamped = pn.clamped;
    }
    return s;
}

ImproveResult improve_actions(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                              const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                              double cost_value, const ImproveOptions& options)
{
    ImproveResult r;
    r.cost_before = cost_value;
    r.cost_after = cost_value;
    BoxAwareStep s = box_aware_step(sim, task, cost, states, actions, options);
    r.active = count(s.held);
    r.gradient_norm = projected_gradient(s.gradient, s.held).norm();
    r.clamped = s.clamped;
    r.cg_iterations = s.cg_iterations;
    r.method = s.method;
    r.feedback = std::move(s.feedback);
    if (!(r.gradient_norm > 0) || !s.delta.allFinite()) {
        // a KKT point of the box (or a non-finite step): nothing to search along
        r.step.setZero(actions.rows(), actions.cols());
        r.actions = actions;
        r.states = states;
        return r;
    }
    ArcSearchOptions search;
    search.alpha0 = s.alpha0;
    search.max_halvings = options.max_halvings;
    search.sufficient_decrease = options.sufficient_decrease;
    LineSearchResult ls =
        options.feedback_search && !r.feedback.empty()
            ? feedback_search(sim, task, cost, states, actions, cost_value, r.feedback, s.gradient, search)
            : projected_arc_search(sim, task, cost, states[0], actions, cost_value, s.delta, s.gradient, search);
    r.step = std::move(s.delta);
    r.evaluations = ls.evaluations;
    if (ls.accepted) {
        r.accepted = true;
        r.alpha = ls.alpha;
        r.cost_after = ls.cost;
        r.actions = std::move(ls.actions);
        r.states = std::move(ls.states);
    } else {
        r.actions = actions;
        r.states = states;
    }
    return r;
}

} // namespace podsim::pods
