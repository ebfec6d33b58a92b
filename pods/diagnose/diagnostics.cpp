// Gradient-health diagnostics of one trajectory (see diagnostics.hpp).
#include "pods/diagnose/diagnostics.hpp"

#include "common/input_error.hpp"
#include "pods/diagnose/energy_norm.hpp"
#include "pods/diagnose/growth.hpp"
#include "pods/diagnose/policy_jacobian.hpp"
#include "pods/diagnose/transition.hpp"
#include "pods/improve/improvement.hpp"
#include "pods/task/episode.hpp"
#include "pods/task/observation.hpp"
#include "pods/train/closed_loop.hpp"
#include "sim/sensitivity.hpp"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <limits>
#include <span>
#include <stdexcept>

namespace podsim::pods {

namespace {

// what the closed-loop transitions need of the rollout and its policy
struct ClosedLoopInput {
    const policy::Policy* policy;
    const ObservationMap* obs_map;
    const ClosedLoopRollout* rollout;
};

void resize(GrowthProfile& g, int n)
{
    g.transition_sigma.setZero(n);
    g.accumulated_log_sigma.setZero(n);
    g.ftle.setZero(n);
}

// |dV/da_t| and the Gauss-Newton spectrum along a trajectory
void open_loop_gradients(sim::Simulator& sim, const QuadraticCost& cost, const std::vector<sim::State>& states,
                         const Eigen::MatrixXd& actions, Diagnostics& d)
{
    const sim::Model& m = sim.model();
    d.gradient_norm = cost_gradient_adjoint(sim, cost, states, actions).colwise().norm().transpose();
    GaussNewtonSpectrum& gn = d.gauss_newton;
    gn.order = d.horizon * d.n_a;
    gn.action_term = 2 * cost.action_weight;
    gn.skipped = dense_size_problem(m, cost, d.horizon);
    if (!gn.skipped.empty() || gn.order == 0) {
        if (gn.skipped.empty()) gn.skipped = "the scene has no actions";
        return;
    }
    const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, states, cost.selection);
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gauss_newton_matrix(cost, j, d.horizon, 0),
                                                             Eigen::EigenvaluesOnly);
    if (eig.info() != Eigen::Success) {
        gn.skipped = "the eigenvalue solver did not converge";
        return;
    }
    gn.computed = true;
    gn.eigenvalue_min = eig.eigenvalues()[0];
    gn.eigenvalue_max = eig.eigenvalues()[gn.order - 1];
    gn.condition = gn.eigenvalue_max / gn.eigenvalue_min;
}

// per step, backwards: the transitions in the energy norm, their sigma_1 and the accumulated
// maps; the open loop on the free state q, the closed loop (when given) on z = (q, p) for a
// policy that decides every step, on (z, a_prev) over each decision for one that plans k steps
void growth_profiles(sim::Simulator& sim, const Task& task, const std::vector<sim::State>& states,
                     const ClosedLoopInput* closed, Diagnostics& d)
{
    const sim::Model& m = sim.model();
    const int n = d.horizon, nq = 4 * m.n_x(), nz = bdf_state_size(m), na = m.n_p();
    const int k = closed ? closed->policy->horizon() : 1;
    const std::vector<StateWeights> weights = trajectory_weights(m, task, states);
    resize(d.open_loop, n);
    GrowthAccumulator open(nq), closed_acc(k == 1 ? nz : nz + na);
    Eigen::MatrixXd observation;
    if (closed) {
        resize(d.closed_loop, n);
        if (k > 1) // rows without a decision have no closed-loop map of their own
            for (Eigen::VectorXd* v : {&d.closed_loop.transition_sigma, &d.closed_loop.accumulated_log_sigma, &d.closed_loop.ftle})
                v->setConstant(std::numeric_limits<double>::quiet_NaN());
        observation = observation_matrix(m, *closed->obs_map);
    }
    std::vector<StepJacobians> window(static_cast<std::size_t>(k));
    std::vector<Eigen::VectorXd> masks(static_cast<std::size_t>(k), Eigen::VectorXd::Zero(na));
    for (int t = n - 1; t >= 0; --t) {
        StepJacobians& step = window[std::size_t(t % k)];
        step = step_jacobians(sim, states[std::size_t(t)], states[std::size_t(t) + 1]);
        const int span = n - t;
        // open loop: the free block of A (the handles follow the actions)
        const Eigen::MatrixXd a = weighted_map(step.a.topLeftCorner(nq, nq), weights[std::size_t(t) + 1], weights[std::size_t(t)]);
        open.push(a);
        d.open_loop.transition_sigma[t] = largest_singular_value(a);
        d.open_loop.accumulated_log_sigma[t] = open.log_sigma();
        d.open_loop.ftle[t] = finite_time_lyapunov(open.log_sigma(), span, m.dt);
        if (!closed) continue;
        // closed loop: the policy's response to the state through the observation, zero where
        // clamped; for a multi-step plan once per decision, over its steps t..t+len-1
        const ClosedLoopRollout& r = *closed->rollout;
        Eigen::VectorXd& mask = masks[std::size_t(t % k)];
        for (int i = 0; i < na; ++i) mask[i] = r.requested(i, t) == r.actions(i, t) ? 1.0 : 0.0;
        if (t % k != 0) continue;
        const PolicyInputJacobian p = policy_input_jacobian(*closed->policy, r.obs.col(t / k), r.handle_velocity.col(t / k));
        const int len = std::min(k, n - t);
        const Eigen::MatrixXd map =
            k == 1 ? closed_loop_transition(step, mask, p.obs, observation)
                   : closed_loop_plan_transition(std::span<const StepJacobians>(window.data(), std::size_t(len)),
                                                 std::span<const Eigen::VectorXd>(masks.data(), std::size_t(len)), p, observation);
        const Eigen::MatrixXd c = weighted_map(map, weights[std::size_t(t + len)], weights[std::size_t(t)]);
        closed_acc.push(c);
        d.closed_loop.transition_sigma[t] = largest_singular_value(c);
        d.closed_loop.accumulated_log_sigma[t] = closed_acc.log_sigma();
        d.closed_loop.ftle[t] = finite_time_lyapunov(closed_acc.log_sigma(), span, m.dt);
    }
}

Diagnostics header(const sim::Model& m, const Task& task)
{
    Diagnostics d;
    d.horizon = task.horizon;
    d.dt = m.dt;
    d.n_x = m.n_x();
    d.n_a = m.n_p();
    return d;
}

} // namespace

std::string diagnose_size_problem(const sim::Model& model)
{
    const int nz = bdf_state_size(model);
    if (nz <= kMaxDiagnoseState) return {};
    return "the transition analysis is dense and the state (x, v, x_prev, v_prev, p) has " + std::to_string(nz) +
           " entries (limit " + std::to_string(kMaxDiagnoseState) + "); use a smaller scene";
}

Diagnostics diagnose_actions(sim::Simulator& sim, const Task& task, const sim::State& z0, const Eigen::MatrixXd& actions)
{
    const sim::Model& m = sim.model();
    if (actions.rows() != m.n_p() || actions.cols() != task.horizon)
        throw std::invalid_argument("diagnose_actions: need n_a x horizon actions");
    const QuadraticCost cost = quadratic_cost(m, task);
    Diagnostics d = header(m, task);
    const Episode e = run_episode(sim, task, z0, actions, &d.clamped);
    d.cost = cost.total(m, e.states, e.actions);
    open_loop_gradients(sim, cost, e.states, e.actions, d);
    growth_profiles(sim, task, e.states, nullptr, d);
    return d;
}

Diagnostics diagnose_policy(sim::Simulator& sim, const Task& task, const policy::Policy& policy, const sim::State& z0)
{
    const sim::Model& m = sim.model();
    const QuadraticCost cost = quadratic_cost(m, task);
    const ObservationMap obs_map = observation_map(m, task);
    Diagnostics d = header(m, task);
    d.has_policy = true;
    d.policy_type = policy.type();
    d.policy_horizon = policy.horizon();

    ClosedLoopWorkspace ws;
    ClosedLoopRollout r;
    closed_loop_rollout(sim, policy, obs_map, task, cost, z0, true, ws, r);
    if (!r.ok) throw common::RuntimeFailure("the policy's rollout failed: " + r.failure);
    d.cost = r.cost;
    d.clamped = int((r.requested.array() != r.actions.array()).count());
    open_loop_gradients(sim, cost, r.states, r.actions, d);
    d.bptt = bptt_profile(sim, policy, obs_map, task, cost, r, ws);
    d.closed_gradient_norm = d.bptt.action_gradient.colwise().norm().transpose();
    const ClosedLoopInput closed{&policy, &obs_map, &r};
    growth_profiles(sim, task, r.states, &closed, d);
    return d;
}

} // namespace podsim::pods
