// PODS epochs (see pods_learner.hpp).
#include "pods/train/pods_learner.hpp"

#include "pods/task/random.hpp"
#include "pods/train/regression.hpp"
#include "pods/train/timing.hpp"

#include <chrono>
#include <cmath>
#include <span>

namespace podsim::pods {

policy::AdamConfig PodsLearner::policy_adam(const TrainConfig& c)
{
    policy::AdamConfig a;
    a.lr = c.fit_lr;
    return a;
}

EpochStats PodsLearner::epoch(int epoch, const EpochContext& ctx)
{
    // rollouts, improvement and regression samples of the batch, then the regression
    const std::vector<sim::State>& initial = ctx.initial;
    const PodsGroup group{&ctx.policy, initial, true};
    pods_rollouts(ctx.workers, ctx.obs, ctx.scene.task, ctx.cost, ctx.config, std::span(&group, 1), m_groups);
    EpochStats s = m_groups[0].stats;
    const auto fit_start = Clock::now();
    RegressionData data = concatenate(m_groups[0].samples);
    normalize_metric(data);
    const Eigen::VectorXd before = ctx.policy.parameters();
    const policy::Adam adam_before = ctx.adam;
    s.fit_loss = fit_policy(ctx.policy, ctx.adam, data, ctx.config.fit_steps, ctx.config.minibatch,
                            derive_seed(ctx.config.seed, kFitStream, std::uint64_t(epoch)), ctx.fit_ws,
                            ctx.workers.cluster(), {}, ctx.config.fit_proximal);
    s.fit_s = seconds(fit_start, Clock::now());
    if (ctx.config.fit_guard > 0 && data.size() > 0) guard_fit(ctx, initial, before, adam_before, s);
    return s;
}

void PodsLearner::guard_fit(const EpochContext& ctx, std::span<const sim::State> initial, const Eigen::VectorXd& before,
                            const policy::Adam& adam_before, EpochStats& s)
{
    // the old policy's mean cost over the trajectories it ran without failure (its own rollouts)
    const std::vector<ClosedLoopRollout>& old = m_groups[0].rollouts;
    double old_cost = 0;
    int ok = 0;
    for (const ClosedLoopRollout& r : old)
        if (r.ok) {
            old_cost += r.cost;
            ++ok;
        }
    if (ok == 0) return;
    old_cost /= ok;
    // the refitted parameters, then the change halved, each rolled out from the same initial states
    const Eigen::VectorXd step = ctx.policy.parameters() - before;
    for (int trial = 0; trial < ctx.config.fit_guard; ++trial) {
        if (trial > 0) ctx.policy.set_parameters(before + std::ldexp(1.0, -trial) * step);
        const PodsGroup check{&ctx.policy, initial, false};
        pods_rollouts(ctx.workers, ctx.obs, ctx.scene.task, ctx.cost, ctx.config, std::span(&check, 1), m_guard);
        s.sim_steps += m_guard[0].stats.sim_steps;
        s.rollout_cpu_s += m_guard[0].stats.rollout_cpu_s;
        double cost = 0;
        bool failed = false;
        for (std::size_t i = 0; i < old.size(); ++i) {
            const ClosedLoopRollout& r = m_guard[0].rollouts[i];
            if (!old[i].ok) continue;
            failed = failed || !r.ok;
            cost += r.cost;
        }
        if (!failed && cost / ok <= old_cost) {
            s.guard_scale = std::ldexp(1.0, -trial);
            return;
        }
    }
    // none improved: the epoch leaves the policy and its optimiser as they were
    ctx.policy.set_parameters(before);
    ctx.adam = adam_before;
    s.guard_scale = 0;
}

} // namespace podsim::pods
