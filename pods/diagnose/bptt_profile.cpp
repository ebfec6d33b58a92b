// Per-step contributions to the BPTT parameter gradient (see bptt_profile.hpp).
#include "pods/diagnose/bptt_profile.hpp"

#include <functional>
#include <stdexcept>

namespace podsim::pods {

namespace {

void set_zero(sim::StateTangent& t)
{
    for (Eigen::MatrixXd* b : {&t.x, &t.v, &t.x_prev, &t.v_prev, &t.p}) b->setZero();
}

// the reverse recursion of closed_loop_gradient for one trajectory and no window; calls
// `decision(t, g_t)` at every decision step and leaves dC/da in `bar_a`
void reverse_pass(sim::Simulator& sim, const policy::Policy& policy, const ObservationMap& obs_map, const Task& task,
                  const QuadraticCost& cost, const ClosedLoopRollout& r, ClosedLoopWorkspace& ws, Eigen::MatrixXd& bar_a,
                  const std::function<void(int, const Eigen::VectorXd&)>& decision)
{
    const sim::Model& m = sim.model();
    const int n = task.horizon, na = m.n_p(), k = policy.horizon(), ns = cost.selection.size(m);
    Eigen::VectorXd d_s, d_params;
    Eigen::MatrixXd d_plan(Eigen::Index(k) * na, 1), d_obs, d_hv;
    cost.gradient(m, r.states, r.actions, d_s, bar_a);
    sim::StateTangent bar = sim::StateTangent::zero(m, 1), bar_next = bar;
    sim::AdjointWorkspace adjoint;
    cost.selection.add_transpose(m, d_s.segment(Eigen::Index(n) * ns, ns), bar_next);
    for (int t = n - 1; t >= 0; --t) {
        set_zero(bar);
        sim::step_adjoint(sim, r.states[std::size_t(t)], r.states[std::size_t(t) + 1], bar_next, bar, bar_a.col(t), adjoint);
        // a decision: the plan's cotangent, zero where clamped, through the policy
        if (t % k == 0) {
            d_plan.setZero();
            for (int i = 0; i < k && t + i < n; ++i)
                for (int d = 0; d < na; ++d)
                    if (r.requested(d, t + i) == r.actions(d, t + i)) d_plan(i * na + d, 0) = bar_a(d, t + i);
            policy.vjp(*ws.tape[std::size_t(t / k)], d_plan, d_params, &d_obs, &d_hv);
            decision(t, d_params);
            obs_map.add_transpose(m, d_obs.col(0), bar);
            if (t > 0) bar_a.col(t - 1) += d_hv.col(0);
        }
        cost.selection.add_transpose(m, d_s.segment(Eigen::Index(t) * ns, ns), bar);
        std::swap(bar, bar_next);
    }
}

} // namespace

BpttProfile bptt_profile(sim::Simulator& sim, const policy::Policy& policy, const ObservationMap& obs_map,
                         const Task& task, const QuadraticCost& cost, const ClosedLoopRollout& rollout,
                         ClosedLoopWorkspace& ws)
{
    const int n = task.horizon, k = policy.horizon();
    if (!rollout.ok || int(rollout.states.size()) != n + 1)
        throw std::invalid_argument("bptt_profile: the rollout failed or does not span the horizon");
    if (int(ws.tape.size()) < ClosedLoopRollout::decisions(n, k) || ws.tape_type != policy.type())
        throw std::invalid_argument("bptt_profile: the rollout was not made with keep_tape");
    BpttProfile p;
    p.norm.setZero(n);
    p.share.setZero(n);
    p.total.setZero(policy.n_params());
    // pass 1: the total and the norms
    reverse_pass(sim, policy, obs_map, task, cost, rollout, ws, p.action_gradient, [&](int t, const Eigen::VectorXd& g) {
        p.total += g;
        p.norm[t] = g.norm();
    });
    // pass 2: the signed share of each contribution along the total
    const double total_squared = p.total.squaredNorm();
    if (total_squared > 0) {
        Eigen::MatrixXd scratch;
        reverse_pass(sim, policy, obs_map, task, cost, rollout, ws, scratch, [&](int t, const Eigen::VectorXd& g) {
            p.share[t] = g.dot(p.total) / total_squared;
        });
    }
    return p;
}

} // namespace podsim::pods
