// PODS and BPTT epochs (see trainer.hpp).
#include "pods/train/trainer.hpp"

#include "pods/task/initial_state.hpp"
#include "pods/task/random.hpp"
#include "pods/train/exchange.hpp"
#include "pods/train/policy_factory.hpp"

#include <chrono>
#include <cmath>
#include <exception>
#include <span>

namespace podsim::pods {

namespace {

using Clock = std::chrono::steady_clock;
double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

policy::AdamConfig adam_config(const TrainConfig& c)
{
    policy::AdamConfig a;
    if (c.is_pods() || c.is_hndp()) {
        a.lr = c.fit_lr;
    } else if (c.is_ppo()) {
        a.lr = c.ppo_lr; // clipped jointly with the log-std's gradient (ppo.cpp)
    } else {
        a.lr = c.bptt_lr;
        a.clip_norm = c.clip_norm;
    }
    return a;
}

std::vector<std::unique_ptr<policy::PolicyWorkspace>> fit_workspaces(const policy::Policy& p, int threads)
{
    std::vector<std::unique_ptr<policy::PolicyWorkspace>> ws;
    for (int t = 0; t < threads; ++t) ws.push_back(p.make_workspace());
    return ws;
}

} // namespace

Trainer::Trainer(const Scene& scene, const TrainConfig& config, int threads, const Cluster& cluster)
    : m_scene(&scene), m_config((validate_train_config(config), config)), m_cost(quadratic_cost(scene.model, scene.task)),
      m_obs(observation_map(scene.model, scene.task)), m_policy(make_policy(scene.model, scene.task, config)),
      m_adam(adam_config(config), m_policy->n_params()), m_workers(scene.model, threads, cluster),
      m_test_bed(test_bed(scene.model, scene.task, config.test_seed, config.test_episodes)),
      m_fit_ws(fit_workspaces(*m_policy, threads)),
      m_ppo(config.is_ppo() ? std::make_unique<PpoLearner>(scene.model, scene.task, config, *m_policy, threads) : nullptr),
      m_hndp(config.is_hndp() ? std::make_unique<hndp::HndpLearner>(scene.model, scene.task, config, threads) : nullptr)
{
}

nlohmann::json Trainer::learner_state() const
{
    if (m_ppo) return m_ppo->state_json();
    return m_hndp ? m_hndp->state_json() : nlohmann::json();
}

void Trainer::restore_learner(const common::JsonNode& node)
{
    if (m_ppo) m_ppo->restore(node);
    if (m_hndp) m_hndp->restore(node);
}

void Trainer::restore(std::unique_ptr<policy::Policy> p, policy::Adam adam)
{
    if (p->type() != m_policy->type() || p->n_params() != m_policy->n_params() || p->n_obs() != m_policy->n_obs() ||
        p->n_act() != m_policy->n_act() || p->horizon() != m_policy->horizon())
        throw std::invalid_argument("the checkpoint's policy does not match the run's configuration");
    m_policy = std::move(p);
    m_adam = std::move(adam);
    m_fit_ws = fit_workspaces(*m_policy, m_workers.threads());
}

std::vector<sim::State> Trainer::training_states(int epoch) const
{
    const std::uint64_t epoch_seed = derive_seed(m_config.seed, kTrainStream, std::uint64_t(epoch));
    std::vector<sim::State> out;
    out.reserve(std::size_t(m_config.batch));
    for (int i = 0; i < m_config.batch; ++i)
        out.push_back(sample_initial_state(m_scene->model, m_scene->task, derive_seed(epoch_seed, kTrainStream, std::uint64_t(i))));
    return out;
}

EpochStats Trainer::run_epoch(int epoch)
{
    if (m_ppo) return m_ppo->epoch(epoch, training_states(epoch), *m_policy, m_adam, m_workers, m_obs, m_cost);
    if (m_hndp) return m_hndp->epoch(epoch, *m_policy, m_adam, m_workers, m_obs, m_cost, m_fit_ws);
    return m_config.is_pods() ? pods_epoch(epoch) : bptt_epoch(epoch);
}

EvaluationSummary Trainer::evaluate()
{
    return evaluate_policy(m_workers, *m_policy, m_obs, m_scene->task, m_cost, m_test_bed);
}

EpochStats Trainer::pods_epoch(int epoch)
{
    // rollouts, improvement and regression samples of the batch, then the regression
    const std::vector<sim::State> initial = training_states(epoch);
    const PodsGroup group{m_policy.get(), initial, true};
    pods_rollouts(m_workers, m_obs, m_scene->task, m_cost, m_config, std::span(&group, 1), m_groups);
    EpochStats s = m_groups[0].stats;
    const auto fit_start = Clock::now();
    const RegressionData data = concatenate(m_groups[0].samples);
    const Eigen::VectorXd before = m_policy->parameters();
    const policy::Adam adam_before = m_adam;
    s.fit_loss = fit_policy(*m_policy, m_adam, data, m_config.fit_steps, m_config.minibatch,
                            derive_seed(m_config.seed, kFitStream, std::uint64_t(epoch)), m_fit_ws, m_workers.cluster(),
                            {}, m_config.fit_proximal);
    s.fit_s = seconds(fit_start, Clock::now());
    if (m_config.fit_guard > 0 && data.size() > 0) guard_fit(initial, before, adam_before, s);
    return s;
}

void Trainer::guard_fit(std::span<const sim::State> initial, const Eigen::VectorXd& before, const policy::Adam& adam_before,
                        EpochStats& s)
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
    const Eigen::VectorXd step = m_policy->parameters() - before;
    for (int trial = 0; trial < m_config.fit_guard; ++trial) {
        if (trial > 0) m_policy->set_parameters(before + std::ldexp(1.0, -trial) * step);
        const PodsGroup check{m_policy.get(), initial, false};
        pods_rollouts(m_workers, m_obs, m_scene->task, m_cost, m_config, std::span(&check, 1), m_guard);
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
    m_policy->set_parameters(before);
    m_adam = adam_before;
    s.guard_scale = 0;
}

EpochStats Trainer::bptt_epoch(int epoch)
{
    const Task& task = m_scene->task;
    const int k = m_config.batch, n = task.horizon;
    const std::vector<sim::State> initial = training_states(epoch);
    m_rollouts.resize(std::size_t(k));
    m_gradients.resize(std::size_t(k));
    std::vector<std::string> errors(static_cast<std::size_t>(k));
    std::vector<double> rollout_s(static_cast<std::size_t>(k)), gradient_s(static_cast<std::size_t>(k));

    // closed-loop rollouts of every lockstep batch with their tapes, then the batch's gradient sum
    const Cluster& cluster = m_workers.cluster();
    const int batches = lockstep_batches(k);
    const std::vector<int> mine = cluster.owned_batches(batches);
    m_gradients.resize(std::size_t(batches));
#pragma omp parallel for num_threads(m_workers.threads()) schedule(dynamic, 1)
    for (int q = 0; q < int(mine.size()); ++q) {
        const int c = mine[std::size_t(q)], th = thread_index(), begin = batch_begin(c), count = batch_end(c, k) - begin;
        const auto sims = m_workers.simulators(th, count);
        const auto rollouts = std::span(m_rollouts).subspan(std::size_t(begin), std::size_t(count));
        const auto t0 = Clock::now();
        closed_loop_rollouts(sims, *m_policy, m_obs, task, m_cost,
                             std::span(initial).subspan(std::size_t(begin), std::size_t(count)), true,
                             m_workers.workspace(th), rollouts);
        const auto t1 = Clock::now();
        std::vector<std::string> failures;
        closed_loop_gradient(sims, *m_policy, m_obs, task, m_cost, rollouts, m_config.truncation, m_workers.workspace(th),
                             m_gradients[std::size_t(c)], failures);
        for (int b = 0; b < count; ++b) errors[std::size_t(begin + b)] = failures[std::size_t(b)];
        rollout_s[std::size_t(begin)] = seconds(t0, t1);
        gradient_s[std::size_t(begin)] = seconds(t1, Clock::now());
    }
    // every rank gets every trajectory's outcome and every batch's gradient sum
    cluster.share_batches(
        batches,
        [&](int c, WireWriter& w) {
            w.put(rollout_s[std::size_t(batch_begin(c))]);
            w.put(gradient_s[std::size_t(batch_begin(c))]);
            w.put_matrix(m_gradients[std::size_t(c)]);
            for (int i = batch_begin(c); i < batch_end(c, k); ++i) {
                put_outcome(w, m_rollouts[std::size_t(i)]);
                w.put(errors[std::size_t(i)]);
            }
        },
        [&](int c, WireReader& in) {
            rollout_s[std::size_t(batch_begin(c))] = in.get<double>();
            gradient_s[std::size_t(batch_begin(c))] = in.get<double>();
            in.get_matrix(m_gradients[std::size_t(c)]);
            for (int i = batch_begin(c); i < batch_end(c, k); ++i) {
                get_outcome(in, m_rollouts[std::size_t(i)]);
                errors[std::size_t(i)] = in.get_string();
            }
        });

    // mean gradient over the successful trajectories, summed in index order; one Adam step
    const auto sum_start = Clock::now();
    EpochStats s;
    Eigen::VectorXd grad = Eigen::VectorXd::Zero(m_policy->n_params());
    int ok = 0;
    for (int i = 0; i < k; ++i) {
        const ClosedLoopRollout& r = m_rollouts[std::size_t(i)];
        s.sim_steps += r.ok ? n : r.failed_step + 1;
        s.rollout_cpu_s += rollout_s[std::size_t(i)];
        s.improve_cpu_s += gradient_s[std::size_t(i)];
        if (!r.ok || !errors[std::size_t(i)].empty()) {
            ++s.failed;
            s.failures.push_back({i, r.ok ? -1 : r.failed_step, r.ok ? errors[std::size_t(i)] : r.failure});
            continue;
        }
        ++ok;
        s.train_return -= r.cost;
    }
    for (int c = 0; c < batches; ++c) grad += m_gradients[std::size_t(c)];
    if (ok > 0) {
        s.train_return /= ok;
        grad /= ok;
        Eigen::VectorXd params = m_policy->parameters();
        s.gradient_norm = m_adam.step(params, grad);
        m_policy->set_parameters(params);
    }
    s.fit_s = seconds(sum_start, Clock::now());
    return s;
}

} // namespace podsim::pods
