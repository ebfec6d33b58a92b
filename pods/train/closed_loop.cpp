// Closed-loop rollouts and their adjoint (see closed_loop.hpp).
#include "pods/train/closed_loop.hpp"

#include <cmath>
#include <stdexcept>
#include <utility>

namespace podsim::pods {

void closed_loop_rollout(sim::Simulator& sim, const policy::Policy& policy, const ObservationMap& obs_map,
                         const Task& task, const QuadraticCost& cost, const sim::State& z0, bool keep_tape,
                         ClosedLoopWorkspace& ws, ClosedLoopRollout& out)
{
    const sim::Model& m = sim.model();
    const int n = task.horizon, na = m.n_p(), k = policy.horizon();
    const int decisions = ClosedLoopRollout::decisions(n, k);
    out.states.resize(std::size_t(n) + 1);
    out.states[0] = z0;
    out.actions.setZero(na, n);
    out.requested.setZero(na, n);
    out.obs.resize(obs_map.size(m), decisions);
    out.handle_velocity.resize(na, decisions);
    out.ok = true;
    out.failed_step = -1;
    out.failure.clear();
    out.cost = 0;
    const std::size_t tapes = keep_tape ? std::size_t(decisions) : 1;
    if (ws.tape_type != policy.type()) {
        ws.tape.clear();
        ws.tape_type = policy.type();
    }
    while (ws.tape.size() < tapes) ws.tape.push_back(policy.make_workspace());
    ws.obs.resize(obs_map.size(m), 1);
    ws.hv.resize(na, 1);

    auto fail = [&](int t, std::string why) {
        out.ok = false;
        out.failed_step = t;
        out.failure = std::move(why);
        out.states.resize(std::size_t(t) + 1);
    };
    for (int t = 0; t < n; ++t) {
        const sim::State& z = out.states[std::size_t(t)];
        // a decision: plan the next k actions from obs_t and the last applied action
        if (t % k == 0) {
            const int j = t / k;
            obs_map.observe(m, z, ws.obs.col(0));
            if (t > 0) ws.hv.col(0) = out.actions.col(t - 1);
            else ws.hv.setZero();
            out.obs.col(j) = ws.obs.col(0);
            out.handle_velocity.col(j) = ws.hv.col(0);
            policy.act(ws.obs, ws.hv, ws.plan, *ws.tape[keep_tape ? std::size_t(j) : 0]);
            if (!ws.plan.allFinite()) return fail(t, "step " + std::to_string(t) + ": the policy's action is not finite");
            for (int i = 0; i < k && t + i < n; ++i) out.requested.col(t + i) = ws.plan.block(i * na, 0, na, 1);
        }
        out.actions.col(t) = out.requested.col(t).cwiseMax(-task.action_limit).cwiseMin(task.action_limit);
        const sim::StepStatus s = sim.step(z, out.actions.col(t), out.states[std::size_t(t) + 1]);
        if (!s.converged) return fail(t, s.message(t));
    }
    out.cost = cost.total(m, out.states, out.actions);
    if (!std::isfinite(out.cost)) fail(n, "the trajectory cost is not finite");
}

bool closed_loop_gradient(sim::Simulator& sim, const policy::Policy& policy, const ObservationMap& obs_map,
                          const Task& task, const QuadraticCost& cost, const ClosedLoopRollout& r, int window,
                          ClosedLoopWorkspace& ws, Eigen::VectorXd& d_params, std::string& failure)
{
    if (!r.ok) throw std::invalid_argument("closed_loop_gradient: the rollout failed");
    const sim::Model& m = sim.model();
    const int n = task.horizon, na = m.n_p(), k = policy.horizon(), ns = cost.selection.size(m);
    if (int(r.states.size()) != n + 1 || int(ws.tape.size()) < ClosedLoopRollout::decisions(n, k))
        throw std::invalid_argument("closed_loop_gradient: the rollout was not made with keep_tape");

    // cost cotangents: bar_a starts at dc/da and collects the step adjoints and the NDP head's
    // handle-velocity cotangents
    cost.gradient(m, r.states, r.actions, ws.d_s, ws.d_a);
    ws.bar_a = ws.d_a;
    d_params.setZero(policy.n_params());
    for (sim::StateTangent* b : {&ws.bar, &ws.bar_next})
        if (b->x.rows() != m.n_x() || b->x.cols() != 1) *b = sim::StateTangent::zero(m, 1);
    for (Eigen::MatrixXd* b : {&ws.bar_next.x, &ws.bar_next.v, &ws.bar_next.x_prev, &ws.bar_next.v_prev, &ws.bar_next.p})
        b->setZero();
    cost.selection.add_transpose(m, ws.d_s.segment(Eigen::Index(n) * ns, ns), ws.bar_next);
    ws.d_plan.resize(Eigen::Index(k) * na, 1);

    try {
        for (int t = n - 1; t >= 0; --t) {
            for (Eigen::MatrixXd* b : {&ws.bar.x, &ws.bar.v, &ws.bar.x_prev, &ws.bar.v_prev, &ws.bar.p}) b->setZero();
            sim::step_adjoint(sim, r.states[std::size_t(t)], r.states[std::size_t(t) + 1], ws.bar_next, ws.bar,
                              ws.bar_a.col(t), ws.adjoint);
            // the decision at t: its plan's cotangent (masked where clamped) through the policy
            if (t % k == 0) {
                const int j = t / k;
                ws.d_plan.setZero();
                for (int i = 0; i < k && t + i < n; ++i)
                    for (int d = 0; d < na; ++d)
                        if (r.requested(d, t + i) == r.actions(d, t + i)) ws.d_plan(i * na + d, 0) = ws.bar_a(d, t + i);
                policy.vjp(*ws.tape[std::size_t(j)], ws.d_plan, ws.d_params_step, &ws.d_obs, &ws.d_hv);
                d_params += ws.d_params_step;
                obs_map.add_transpose(m, ws.d_obs.col(0), ws.bar);
                if (t > 0) ws.bar_a.col(t - 1) += ws.d_hv.col(0);
            }
            // truncated BPTT: z_t starts a window, so only its own cost term reaches step t - 1
            if (window > 0 && t % window == 0)
                for (Eigen::MatrixXd* b : {&ws.bar.x, &ws.bar.v, &ws.bar.x_prev, &ws.bar.v_prev, &ws.bar.p}) b->setZero();
            cost.selection.add_transpose(m, ws.d_s.segment(Eigen::Index(t) * ns, ns), ws.bar);
            std::swap(ws.bar, ws.bar_next);
        }
    } catch (const sim::SensitivityError& e) {
        failure = e.what();
        return false;
    }
    if (!d_params.allFinite()) {
        failure = "the policy gradient is not finite";
        return false;
    }
    return true;
}

} // namespace podsim::pods
