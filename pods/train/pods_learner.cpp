// PODS epochs (see pods_learner.hpp).
#include "pods/train/pods_learner.hpp"

#include "common/base64.hpp"
#include "common/text_io.hpp"
#include "pods/improve/improvement.hpp"
#include "pods/task/random.hpp"
#include "pods/train/trainer.hpp" // training_states
#include "pods/train/timing.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <span>

namespace podsim::pods {

double next_damping(double mu, double alpha_mean, double floor)
{
    if (alpha_mean < 0.9) return std::min(4 * mu, kMaxAdaptiveDamping);
    if (alpha_mean >= 0.99) return std::max(mu / 2, floor);
    return mu;
}

PodsLearner::PodsLearner(const TrainConfig& config, const policy::Policy& policy)
    : m_adaptive(config.method == Method::kPods2 && config.pods_damping == PodsDamping::kAdaptive),
      m_floor(config.mu), m_mu(config.mu), m_replay_epochs(config.fit_replay), m_follow(config.fit_replay_follow),
      m_params(policy.n_params())
{
}

policy::AdamConfig PodsLearner::policy_adam(const TrainConfig& c)
{
    policy::AdamConfig a;
    a.lr = c.fit_lr;
    return a;
}

RegressionData PodsLearner::epoch_samples(const EpochContext& ctx, const policy::Policy& policy,
                                          std::span<const sim::State> initial, double mu, EpochStats* stats)
{
    const PodsGroup group{&policy, initial, true};
    TrainConfig config = ctx.config;
    config.mu = mu;
    pods_rollouts(ctx.workers, ctx.obs, ctx.scene.task, ctx.cost, config, std::span(&group, 1), m_groups);
    if (stats) *stats = m_groups[0].stats;
    RegressionData data = concatenate(m_groups[0].samples);
    normalize_metric(data);
    return data;
}

EpochStats PodsLearner::epoch(int epoch, const EpochContext& ctx)
{
    // after a restore: the kept epochs' samples again, from their policies and initial states
    if (m_replay.size() < m_sources.size()) {
        const std::unique_ptr<policy::Policy> earlier = ctx.policy.clone();
        for (std::size_t i = m_replay.size(); i < m_sources.size(); ++i) {
            earlier->set_parameters(m_sources[i].parameters);
            const std::vector<sim::State> initial = training_states(ctx.scene, ctx.config, m_sources[i].epoch);
            m_replay.push_back(epoch_samples(ctx, *earlier, initial, m_sources[i].mu, nullptr));
            if (m_follow > 0) m_then.push_back(policy_outputs(*earlier, m_replay.back(), ctx.fit_ws));
        }
    }
    // rollouts, improvement and regression samples of the batch, then the regression
    const std::vector<sim::State>& initial = ctx.initial;
    EpochStats s;
    const double mu = m_mu;
    RegressionData data = epoch_samples(ctx, ctx.policy, initial, mu, &s);
    if (ctx.config.second_order()) s.mu = mu;
    const auto fit_start = Clock::now();
    // the fit's samples: the kept epochs', oldest first (their targets moved with the policy by
    // fit_replay_follow), then this epoch's
    std::vector<const RegressionData*> parts;
    std::vector<RegressionData> followed(m_follow > 0 ? m_replay.size() : 0);
    int samples = data.size();
    for (std::size_t i = 0; i < m_replay.size(); ++i) {
        if (m_follow > 0) {
            followed[i] = followed_targets(m_replay[i], policy_outputs(ctx.policy, m_replay[i], ctx.fit_ws), m_then[i],
                                           m_follow, ctx.scene.task.action_limit);
            parts.push_back(&followed[i]);
        } else {
            parts.push_back(&m_replay[i]);
        }
        samples += m_replay[i].size();
    }
    parts.push_back(&data);
    // the outputs of the policy that ran this epoch, on its samples (before the fit)
    Eigen::MatrixXd then;
    if (m_follow > 0 && m_replay_epochs > 0) then = policy_outputs(ctx.policy, data, ctx.fit_ws);
    const Eigen::VectorXd before = ctx.policy.parameters();
    const policy::Adam adam_before = ctx.adam;
    s.fit_loss = fit_policy(ctx.policy, ctx.adam, std::span<const RegressionData* const>(parts), ctx.config.fit_steps,
                            ctx.config.minibatch, derive_seed(ctx.config.seed, kFitStream, std::uint64_t(epoch)),
                            ctx.fit_ws, ctx.workers.cluster(), {}, ctx.config.fit_proximal);
    if (m_replay_epochs > 0) {
        if (int(m_sources.size()) == m_replay_epochs) {
            m_sources.erase(m_sources.begin());
            m_replay.erase(m_replay.begin());
            if (m_follow > 0) m_then.erase(m_then.begin());
        }
        m_sources.push_back({epoch, before, mu});
        m_replay.push_back(std::move(data));
        if (m_follow > 0) m_then.push_back(std::move(then));
    }
    s.fit_s = seconds(fit_start, Clock::now());
    if (ctx.config.fit_guard > 0 && samples > 0) guard_fit(ctx, initial, before, adam_before, s);
    // the adaptive damping, where the search follows no feedback law (the open-loop target, or
    // the ropes' and the cloth's BDF2 states, too large for the Riccati pass), and only from
    // epochs that improved something
    const auto open_loop_search = [&] {
        const Scene& sc = ctx.scene;
        return ctx.config.pods_target == PodsTarget::kOpenLoop ||
               choose_gauss_newton(sc.model, ctx.cost, sc.task.horizon, mu) != GaussNewtonMethod::kRiccati;
    };
    if (m_adaptive && s.failed < int(initial.size()) && open_loop_search())
        m_mu = next_damping(mu, s.alpha_mean, m_floor);
    return s;
}

nlohmann::json PodsLearner::state_json() const
{
    if (m_replay_epochs == 0 && !m_adaptive) return nullptr;
    nlohmann::json j = nlohmann::json::object();
    if (m_replay_epochs > 0) {
        nlohmann::json epochs = nlohmann::json::array();
        for (const ReplaySource& r : m_sources) {
            const std::string parameters =
                common::doubles_to_base64(r.parameters.data(), std::size_t(r.parameters.size()));
            nlohmann::json e = {{"epoch", r.epoch}, {"parameters", parameters}};
            if (m_adaptive) e["mu"] = r.mu;
            epochs.push_back(std::move(e));
        }
        j["fit_replay"] = std::move(epochs);
    }
    if (m_adaptive) j["mu"] = m_mu;
    return j;
}

void PodsLearner::restore(const common::JsonNode& node)
{
    if (m_adaptive) node.allow_keys({"fit_replay", "mu"});
    else node.allow_keys({"fit_replay"});
    const auto damping = [&](const common::JsonNode& n) {
        const double mu = n.number();
        if (!(mu >= m_floor && mu <= kMaxAdaptiveDamping))
            n.fail("must be in [" + common::format_double(m_floor) + ", " + common::format_double(kMaxAdaptiveDamping) +
                   "] (the run's mu up to the adaptive damping's cap)");
        return mu;
    };
    const double mu = m_adaptive ? damping(node["mu"]) : m_floor;
    // a run without a replay writes none; a replay given anyway must fit (at most fit_replay epochs)
    std::vector<ReplaySource> sources;
    if (m_replay_epochs > 0 || node.has("fit_replay")) {
        const common::JsonNode epochs = node["fit_replay"];
        if (!epochs.is_array()) epochs.fail("must be an array");
        if (int(epochs.size()) > m_replay_epochs)
            epochs.fail("holds " + std::to_string(epochs.size()) + " epochs, more than fit_replay " +
                        std::to_string(m_replay_epochs));
        sources.resize(epochs.size());
        for (std::size_t i = 0; i < epochs.size(); ++i) {
            const common::JsonNode n = epochs[i];
            if (m_adaptive) n.allow_keys({"epoch", "parameters", "mu"});
            else n.allow_keys({"epoch", "parameters"});
            sources[i].epoch = int(n["epoch"].integer_in(i == 0 ? 0 : sources[i - 1].epoch + 1, kMaxEpochs));
            sources[i].parameters.resize(m_params);
            common::base64_to_doubles(n["parameters"], sources[i].parameters.data(), std::size_t(m_params));
            sources[i].mu = m_adaptive ? damping(n["mu"]) : m_floor;
        }
    }
    m_mu = mu;
    m_sources = std::move(sources);
    m_replay.clear();
    m_then.clear();
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
