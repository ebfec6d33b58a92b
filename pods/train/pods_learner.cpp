// PODS epochs (see pods_learner.hpp).
#include "pods/train/pods_learner.hpp"

#include "common/base64.hpp"
#include "pods/task/random.hpp"
#include "pods/train/timing.hpp"

#include <chrono>
#include <cmath>
#include <span>

namespace podsim::pods {

PodsLearner::PodsLearner(const TrainConfig& config, const policy::Policy& policy)
    : m_replay_epochs(config.fit_replay), m_obs(policy.n_obs()), m_act(policy.n_act()), m_horizon(policy.horizon())
{
}

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
    // the fit's samples: the kept epochs', oldest first, then this epoch's (each epoch's metric
    // normalised on its own)
    std::vector<const RegressionData*> parts;
    for (const RegressionData& r : m_replay) parts.push_back(&r);
    parts.push_back(&data);
    const Eigen::VectorXd before = ctx.policy.parameters();
    const policy::Adam adam_before = ctx.adam;
    s.fit_loss = fit_policy(ctx.policy, ctx.adam, std::span<const RegressionData* const>(parts), ctx.config.fit_steps,
                            ctx.config.minibatch, derive_seed(ctx.config.seed, kFitStream, std::uint64_t(epoch)),
                            ctx.fit_ws, ctx.workers.cluster(), {}, ctx.config.fit_proximal);
    int samples = 0;
    for (const RegressionData* r : parts) samples += r->size();
    if (m_replay_epochs > 0) {
        if (int(m_replay.size()) == m_replay_epochs) m_replay.erase(m_replay.begin());
        m_replay.push_back(std::move(data));
    }
    s.fit_s = seconds(fit_start, Clock::now());
    if (ctx.config.fit_guard > 0 && samples > 0) guard_fit(ctx, initial, before, adam_before, s);
    return s;
}

nlohmann::json PodsLearner::state_json() const
{
    if (m_replay_epochs == 0) return nullptr;
    nlohmann::json epochs = nlohmann::json::array();
    for (const RegressionData& r : m_replay) {
        auto text = [](const Eigen::MatrixXd& m) { return common::doubles_to_base64(m.data(), std::size_t(m.size())); };
        epochs.push_back({{"samples", r.size()},
                          {"obs", text(r.obs)},
                          {"hv", text(r.hv)},
                          {"target", text(r.target)},
                          {"weight", text(r.weight)},
                          {"metric", text(r.metric)}});
    }
    return {{"fit_replay", epochs}};
}

void PodsLearner::restore(const common::JsonNode& node)
{
    node.allow_keys({"fit_replay"});
    const common::JsonNode epochs = node["fit_replay"];
    if (!epochs.is_array()) epochs.fail("must be an array");
    if (int(epochs.size()) > m_replay_epochs)
        epochs.fail("holds " + std::to_string(epochs.size()) + " epochs, more than fit_replay " +
                    std::to_string(m_replay_epochs));
    std::vector<RegressionData> replay(epochs.size());
    for (std::size_t e = 0; e < epochs.size(); ++e) {
        const common::JsonNode n = epochs[e];
        n.allow_keys({"samples", "obs", "hv", "target", "weight", "metric"});
        const Eigen::Index samples = n["samples"].integer_in(0, std::int64_t(1) << 31);
        RegressionData& r = replay[e];
        auto read = [&](std::string_view key, Eigen::MatrixXd& m, Eigen::Index rows) {
            m.resize(rows, samples);
            common::base64_to_doubles(n[key], m.data(), std::size_t(m.size()));
        };
        const Eigen::Index k_na = Eigen::Index(m_horizon) * m_act;
        read("obs", r.obs, m_obs);
        read("hv", r.hv, m_act);
        read("target", r.target, k_na);
        read("weight", r.weight, k_na);
        // the metric is there or not (the empty text)
        if (n["metric"].string().empty()) r.metric.resize(0, 0);
        else read("metric", r.metric, k_na * m_act);
    }
    m_replay = std::move(replay);
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
