// Closed-loop rollouts in lockstep batches and their adjoint (see closed_loop.hpp).
#include "pods/train/closed_loop.hpp"

#include <cmath>
#include <stdexcept>
#include <utility>

namespace podsim::pods {

namespace {

void set_zero(sim::StateTangent& t)
{
    for (Eigen::MatrixXd* b : {&t.x, &t.v, &t.x_prev, &t.v_prev, &t.p}) b->setZero();
}

void fail(ClosedLoopRollout& r, int t, std::string why)
{
    r.ok = false;
    r.failed_step = t;
    r.failure = std::move(why);
    r.states.resize(std::size_t(t) + 1);
}

} // namespace

void closed_loop_rollouts(std::span<sim::Simulator* const> sims, const policy::Policy& policy,
                          const ObservationMap& obs_map, const Task& task, const QuadraticCost& cost,
                          std::span<const sim::State> z0, bool keep_tape, ClosedLoopWorkspace& ws,
                          std::span<ClosedLoopRollout> out, std::span<const Eigen::MatrixXd> noise)
{
    const int batch = int(z0.size());
    if (batch == 0) return;
    if (int(sims.size()) != batch || int(out.size()) != batch || (!noise.empty() && int(noise.size()) != batch))
        throw std::invalid_argument("closed_loop_rollouts: one simulator, output and noise matrix per initial state");
    const sim::Model& m = sims[0]->model();
    const int n = task.horizon, na = m.n_p(), k = policy.horizon(), n_obs = obs_map.size(m);
    const int decisions = ClosedLoopRollout::decisions(n, k);
    for (int b = 0; b < batch; ++b) {
        if (!noise.empty() && (noise[std::size_t(b)].rows() != na || noise[std::size_t(b)].cols() != n))
            throw std::invalid_argument("closed_loop_rollouts: a noise matrix must be n_a x horizon");
        ClosedLoopRollout& r = out[std::size_t(b)];
        r.states.resize(std::size_t(n) + 1);
        r.states[0] = z0[std::size_t(b)];
        r.actions.setZero(na, n);
        r.requested.setZero(na, n);
        r.obs.resize(n_obs, decisions);
        r.handle_velocity.resize(na, decisions);
        r.ok = true;
        r.failed_step = -1;
        r.failure.clear();
        r.cost = 0;
    }
    const std::size_t tapes = keep_tape ? std::size_t(decisions) : 1;
    if (ws.tape_type != policy.type()) {
        ws.tape.clear();
        ws.tape_scratch = policy.make_workspace();
        ws.tape_type = policy.type();
    }
    while (ws.tape.size() < tapes) ws.tape.push_back(policy.make_tape_workspace(*ws.tape_scratch));
    ws.obs.resize(n_obs, batch);
    ws.hv.resize(na, batch);

    for (int t = 0; t < n; ++t) {
        // a decision: plan the next k actions of every trajectory from obs_t and a_{t-1}
        if (t % k == 0) {
            const int j = t / k;
            for (int b = 0; b < batch; ++b) {
                ClosedLoopRollout& r = out[std::size_t(b)];
                if (r.ok) {
                    obs_map.observe(m, r.states[std::size_t(t)], ws.obs.col(b));
                    if (t > 0) ws.hv.col(b) = r.actions.col(t - 1);
                    else ws.hv.col(b).setZero();
                    r.obs.col(j) = ws.obs.col(b);
                    r.handle_velocity.col(j) = ws.hv.col(b);
                } else { // a failed trajectory rides along with a zero input
                    ws.obs.col(b).setZero();
                    ws.hv.col(b).setZero();
                }
            }
            policy.act(ws.obs, ws.hv, ws.plan, *ws.tape[keep_tape ? std::size_t(j) : 0]);
            for (int b = 0; b < batch; ++b) {
                ClosedLoopRollout& r = out[std::size_t(b)];
                if (!r.ok) continue;
                if (!ws.plan.col(b).allFinite()) {
                    fail(r, t, "step " + std::to_string(t) + ": the policy's action is not finite");
                    continue;
                }
                for (int i = 0; i < k && t + i < n; ++i) r.requested.col(t + i) = ws.plan.block(i * na, b, na, 1);
                if (!noise.empty())
                    for (int i = 0; i < k && t + i < n; ++i) r.requested.col(t + i) += noise[std::size_t(b)].col(t + i);
            }
        }
        // clamp and step every live trajectory
        for (int b = 0; b < batch; ++b) {
            ClosedLoopRollout& r = out[std::size_t(b)];
            if (!r.ok) continue;
            r.actions.col(t) = r.requested.col(t).cwiseMax(-task.action_limit).cwiseMin(task.action_limit);
            const sim::StepStatus s =
                sims[std::size_t(b)]->step(r.states[std::size_t(t)], r.actions.col(t), r.states[std::size_t(t) + 1]);
            if (!s.converged) fail(r, t, s.message(t));
        }
    }
    for (int b = 0; b < batch; ++b) {
        ClosedLoopRollout& r = out[std::size_t(b)];
        if (!r.ok) continue;
        r.cost = cost.total(m, r.states, r.actions);
        if (!std::isfinite(r.cost)) fail(r, n, "the trajectory cost is not finite");
    }
}

namespace {

// one reverse pass over the trajectories with use[b]; returns -1, or the index of a trajectory
// whose step sensitivity is undefined (its reason in `why`)
int reverse_pass(std::span<sim::Simulator* const> sims, const policy::Policy& policy, const ObservationMap& obs_map,
                 const Task& task, const QuadraticCost& cost, std::span<const ClosedLoopRollout> rollouts, int window,
                 const std::vector<char>& use, const WindowValues* values, ClosedLoopWorkspace& ws,
                 Eigen::VectorXd& d_params, std::string& why)
{
    const int batch = int(rollouts.size());
    const sim::Model& m = sims[0]->model();
    const int n = task.horizon, na = m.n_p(), k = policy.horizon(), ns = cost.selection.size(m);

    // cost cotangents: bar_a starts at dc/da and collects the step adjoints and the NDP head's
    // handle-velocity cotangents
    ws.cot.resize(std::size_t(batch));
    for (int b = 0; b < batch; ++b) {
        if (!use[std::size_t(b)]) continue;
        TrajectoryCotangents& c = ws.cot[std::size_t(b)];
        const ClosedLoopRollout& r = rollouts[std::size_t(b)];
        cost.gradient(m, r.states, r.actions, c.d_s, c.d_a);
        // a windowed loss weighs each step's cost
        if (values != nullptr)
            for (int t = 0; t <= n; ++t) {
                c.d_s.segment(Eigen::Index(t) * ns, ns) *= values->weight[t];
                if (t < n) c.d_a.col(t) *= values->weight[t];
            }
        c.bar_a = c.d_a;
        for (sim::StateTangent* t : {&c.bar, &c.bar_next})
            if (t->x.rows() != m.n_x() || t->x.cols() != 1) *t = sim::StateTangent::zero(m, 1);
        set_zero(c.bar_next);
        cost.selection.add_transpose(m, c.d_s.segment(Eigen::Index(n) * ns, ns), c.bar_next);
    }
    d_params.setZero(policy.n_params());
    ws.d_plan.resize(Eigen::Index(k) * na, batch);

    for (int t = n - 1; t >= 0; --t) {
        for (int b = 0; b < batch; ++b) {
            if (!use[std::size_t(b)]) continue;
            TrajectoryCotangents& c = ws.cot[std::size_t(b)];
            const ClosedLoopRollout& r = rollouts[std::size_t(b)];
            set_zero(c.bar);
            try {
                sim::step_adjoint(*sims[std::size_t(b)], r.states[std::size_t(t)], r.states[std::size_t(t) + 1],
                                  c.bar_next, c.bar, c.bar_a.col(t), ws.adjoint);
            } catch (const sim::SensitivityError& e) {
                why = e.what();
                return b;
            }
        }
        // the decision at t: its plans' cotangents (masked where clamped) through the policy
        if (t % k == 0) {
            const int j = t / k;
            ws.d_plan.setZero();
            for (int b = 0; b < batch; ++b) {
                if (!use[std::size_t(b)]) continue;
                const ClosedLoopRollout& r = rollouts[std::size_t(b)];
                const Eigen::MatrixXd& bar_a = ws.cot[std::size_t(b)].bar_a;
                for (int i = 0; i < k && t + i < n; ++i)
                    for (int d = 0; d < na; ++d)
                        if (r.requested(d, t + i) == r.actions(d, t + i)) ws.d_plan(i * na + d, b) = bar_a(d, t + i);
            }
            policy.vjp(*ws.tape[std::size_t(j)], ws.d_plan, d_params, &ws.d_obs, &ws.d_hv, true);
            for (int b = 0; b < batch; ++b) {
                if (!use[std::size_t(b)]) continue;
                TrajectoryCotangents& c = ws.cot[std::size_t(b)];
                obs_map.add_transpose(m, ws.d_obs.col(b), c.bar);
                if (t > 0 && !(values != nullptr && t % window == 0)) c.bar_a.col(t - 1) += ws.d_hv.col(b);
            }
        }
        const bool window_start = window > 0 && t % window == 0;
        for (int b = 0; b < batch; ++b) {
            if (!use[std::size_t(b)]) continue;
            TrajectoryCotangents& c = ws.cot[std::size_t(b)];
            if (window_start) set_zero(c.bar);
            if (window_start && values != nullptr) {
                // a windowed loss: what reaches the window before is its value term's cotangent
                if (t > 0) {
                    const int e = t / window - 1;
                    values->map->add_transpose(m, values->d_obs[std::size_t(b)].col(e), c.bar);
                    c.bar_a.col(t - 1) += values->d_hv[std::size_t(b)].col(e);
                }
            } else {
                // truncated BPTT: z_t starts a window, so only its own cost term reaches step t - 1
                cost.selection.add_transpose(m, c.d_s.segment(Eigen::Index(t) * ns, ns), c.bar);
            }
            std::swap(c.bar, c.bar_next);
        }
    }
    return -1;
}

} // namespace

int closed_loop_gradient(std::span<sim::Simulator* const> sims, const policy::Policy& policy,
                         const ObservationMap& obs_map, const Task& task, const QuadraticCost& cost,
                         std::span<const ClosedLoopRollout> rollouts, int window, ClosedLoopWorkspace& ws,
                         Eigen::VectorXd& d_params, std::vector<std::string>& failures, const WindowValues* values)
{
    const int batch = int(rollouts.size());
    const int n = task.horizon, k = policy.horizon();
    if (int(sims.size()) != batch) throw std::invalid_argument("closed_loop_gradient: one simulator per rollout");
    if (int(ws.tape.size()) < ClosedLoopRollout::decisions(n, k) || ws.tape_type != policy.type())
        throw std::invalid_argument("closed_loop_gradient: the rollouts were not made with keep_tape");
    if (values != nullptr) {
        if (window <= 0 || values->map == nullptr || values->weight.size() != n + 1 ||
            int(values->d_obs.size()) != batch || int(values->d_hv.size()) != batch)
            throw std::invalid_argument("closed_loop_gradient: window values need a window, a map, N + 1 weights and one "
                                        "cotangent matrix per trajectory");
        const int ends = WindowValues::ends(n, window);
        for (int b = 0; b < batch; ++b)
            if (values->d_obs[std::size_t(b)].cols() < ends || values->d_hv[std::size_t(b)].cols() < ends)
                throw std::invalid_argument("closed_loop_gradient: one value cotangent per window end");
    }
    failures.resize(std::size_t(batch));
    std::vector<char> use(static_cast<std::size_t>(batch));
    for (int b = 0; b < batch; ++b) {
        const ClosedLoopRollout& r = rollouts[std::size_t(b)];
        use[std::size_t(b)] = r.ok && failures[std::size_t(b)].empty();
        if (r.ok && int(r.states.size()) != n + 1) throw std::invalid_argument("closed_loop_gradient: rollout length");
    }
    d_params.setZero(policy.n_params());
    if (batch == 0) return 0;
    // a trajectory whose sensitivity fails is left out and the pass repeated without it, so the
    // sum holds exactly the successful trajectories
    for (;;) {
        std::string why;
        const int bad = reverse_pass(sims, policy, obs_map, task, cost, rollouts, window, use, values, ws, d_params, why);
        if (bad < 0) break;
        use[std::size_t(bad)] = 0;
        failures[std::size_t(bad)] = why;
    }
    int count = 0;
    for (char u : use) count += u;
    if (!d_params.allFinite()) {
        for (int b = 0; b < batch; ++b)
            if (use[std::size_t(b)]) failures[std::size_t(b)] = "the policy gradient of its batch is not finite";
        d_params.setZero();
        return 0;
    }
    return count;
}

void closed_loop_rollout(sim::Simulator& sim, const policy::Policy& policy, const ObservationMap& obs_map,
                         const Task& task, const QuadraticCost& cost, const sim::State& z0, bool keep_tape,
                         ClosedLoopWorkspace& ws, ClosedLoopRollout& out)
{
    sim::Simulator* const sims[1] = {&sim};
    closed_loop_rollouts(sims, policy, obs_map, task, cost, std::span<const sim::State>(&z0, 1), keep_tape, ws,
                         std::span<ClosedLoopRollout>(&out, 1));
}

bool closed_loop_gradient(sim::Simulator& sim, const policy::Policy& policy, const ObservationMap& obs_map,
                          const Task& task, const QuadraticCost& cost, const ClosedLoopRollout& rollout, int window,
                          ClosedLoopWorkspace& ws, Eigen::VectorXd& d_params, std::string& failure)
{
    if (!rollout.ok) throw std::invalid_argument("closed_loop_gradient: the rollout failed");
    sim::Simulator* const sims[1] = {&sim};
    std::vector<std::string> failures;
    const int count = closed_loop_gradient(sims, policy, obs_map, task, cost, std::span<const ClosedLoopRollout>(&rollout, 1),
                                           window, ws, d_params, failures);
    failure = failures[0];
    return count == 1;
}

} // namespace podsim::pods
