// PPO epochs (see ppo.hpp).
#include "pods/train/ppo.hpp"

#include "pods/task/random.hpp"
#include "pods/train/exchange.hpp"
#include "pods/train/timing.hpp"
#include "policy/gaussian.hpp"
#include "policy/policy_io.hpp"

#include <chrono>
#include <initializer_list>
#include <cmath>
#include <numbers>
#include <numeric>
#include <span>

namespace podsim::pods {

policy::MlpConfig value_config(const sim::Model& model, const Task& task, const TrainConfig& c)
{
    const ObservationMap obs = observation_map(model, task);
    const int n_obs = obs.size(model), na = model.n_p();
    policy::MlpConfig v;
    v.n_in = n_obs + na + 1;
    v.n_out = 1;
    v.hidden = c.hidden;
    v.activations = {c.activation};
    v.input_scale.resize(v.n_in);
    v.input_scale << observation_scale(model, task), Eigen::VectorXd::Constant(na, 1.0 / task.action_limit), 1.0;
    v.output_limit = 0;
    v.last_layer_scale = 1;
    return v;
}

namespace {

policy::AdamConfig adam_with_lr(double lr)
{
    policy::AdamConfig a;
    a.lr = lr;
    return a;
}

// rescales the gradients to the joint norm `max_norm` when longer (0: never); returns the norm
double clip_jointly(std::initializer_list<Eigen::VectorXd*> grads, double max_norm)
{
    double squares = 0;
    for (const Eigen::VectorXd* g : grads) squares += g->squaredNorm();
    const double norm = std::sqrt(squares);
    if (max_norm > 0 && norm > max_norm)
        for (Eigen::VectorXd* g : grads) *g *= max_norm / norm;
    return norm;
}


} // namespace

Eigen::VectorXd decision_rewards(const sim::Model& model, const Task& task, const ClosedLoopRollout& r, int k)
{
    const int n = int(r.actions.cols()), decisions = ClosedLoopRollout::decisions(n, k);
    Eigen::VectorXd rewards = Eigen::VectorXd::Zero(decisions);
    Eigen::VectorXd a;
    for (int t = 0; t < n; ++t) {
        a = r.actions.col(t);
        rewards[t / k] -= step_cost(model, task, r.states[std::size_t(t)], a).total();
    }
    rewards[decisions - 1] -= terminal_cost(model, task, r.states[std::size_t(n)]).total();
    return rewards;
}

void trajectory_noise(std::uint64_t seed, std::uint64_t stream, int epoch, int count, int rows, int cols,
                      std::vector<Eigen::MatrixXd>& eps)
{
    const std::uint64_t epoch_seed = derive_seed(seed, stream, std::uint64_t(epoch));
    eps.resize(std::size_t(count));
    for (int i = 0; i < count; ++i) {
        std::mt19937_64 rng(derive_seed(epoch_seed, stream, std::uint64_t(i)));
        Eigen::MatrixXd& e = eps[std::size_t(i)];
        e.resize(rows, cols);
        for (Eigen::Index c = 0; c < e.size(); ++c) e.data()[c] = policy::standard_normal(rng);
    }
}

std::vector<int> rewarded_rollouts(Workers& workers, const sim::Model& model, const Task& task, int count, int k,
                                   const BatchRollouts& run, std::vector<ClosedLoopRollout>& rollouts,
                                   std::vector<Eigen::VectorXd>& rewards, EpochStats& stats)
{
    rollouts.resize(std::size_t(count));
    rewards.assign(std::size_t(count), Eigen::VectorXd());
    std::vector<double> rollout_s(static_cast<std::size_t>(count));
    const Cluster& cluster = workers.cluster();
    const int batches = lockstep_batches(count);
    const std::vector<int> mine = cluster.owned_batches(batches);
#pragma omp parallel for num_threads(workers.threads()) schedule(dynamic, 1)
    for (int q = 0; q < int(mine.size()); ++q) {
        const int c = mine[std::size_t(q)], th = thread_index(), begin = batch_begin(c), size = batch_end(c, count) - begin;
        const auto t0 = Clock::now();
        run(workers.simulators(th, size), begin, size, workers.workspace(th),
            std::span(rollouts).subspan(std::size_t(begin), std::size_t(size)));
        for (int i = begin; i < begin + size; ++i)
            if (rollouts[std::size_t(i)].ok) rewards[std::size_t(i)] = decision_rewards(model, task, rollouts[std::size_t(i)], k);
        rollout_s[std::size_t(begin)] = seconds(t0, Clock::now());
    }
    // every rank gets every trajectory's decisions and rewards
    cluster.share_batches(
        batches,
        [&](int c, WireWriter& w) {
            w.put(rollout_s[std::size_t(batch_begin(c))]);
            for (int i = batch_begin(c); i < batch_end(c, count); ++i) {
                put_decisions(w, rollouts[std::size_t(i)]);
                w.put_matrix(rewards[std::size_t(i)]);
            }
        },
        [&](int c, WireReader& in) {
            rollout_s[std::size_t(batch_begin(c))] = in.get<double>();
            for (int i = batch_begin(c); i < batch_end(c, count); ++i) {
                get_decisions(in, rollouts[std::size_t(i)]);
                in.get_matrix(rewards[std::size_t(i)]);
            }
        });
    // the epoch's statistics, in trajectory order
    std::vector<int> kept;
    for (int i = 0; i < count; ++i) {
        const ClosedLoopRollout& r = rollouts[std::size_t(i)];
        stats.sim_steps += r.ok ? task.horizon : r.failed_step + 1;
        stats.rollout_cpu_s += rollout_s[std::size_t(i)];
        if (!r.ok) {
            ++stats.failed;
            stats.failures.push_back({i, r.failed_step, r.failure});
            continue;
        }
        kept.push_back(i);
        stats.train_return -= r.cost;
    }
    if (!kept.empty()) stats.train_return /= double(kept.size());
    return kept;
}

policy::AdamConfig PpoLearner::policy_adam(const TrainConfig& c) { return adam_with_lr(c.ppo_lr); }

PpoLearner::PpoLearner(const sim::Model& model, const Task& task, const TrainConfig& config,
                       const policy::Policy& policy, int threads)
    : m_model(&model), m_task(&task), m_config(config),
      m_log_std(Eigen::VectorXd::Constant(model.n_p(), std::log(config.ppo_std_init * task.action_limit))),
      m_log_std_adam(adam_with_lr(config.ppo_lr), model.n_p()),
      m_value(value_config(model, task, config), derive_seed(config.seed, kValueStream)),
      m_value_adam(adam_with_lr(config.value_lr), m_value.n_params()), m_ws(ppo_loss_workspaces(policy, threads))
{
}

void value_input(const Eigen::Ref<const Eigen::VectorXd>& obs, const Eigen::Ref<const Eigen::VectorXd>& hv, int t,
                 int horizon, Eigen::Ref<Eigen::VectorXd> out)
{
    out.head(obs.size()) = obs;
    out.segment(obs.size(), hv.size()) = hv;
    out[out.size() - 1] = 2.0 * t / horizon - 1;
}

void PpoLearner::value_input(const Eigen::Ref<const Eigen::VectorXd>& obs, const Eigen::Ref<const Eigen::VectorXd>& hv,
                             int t, Eigen::Ref<Eigen::VectorXd> out) const
{
    pods::value_input(obs, hv, t, m_task->horizon, out);
}

EpochStats PpoLearner::epoch(int epoch, const std::vector<sim::State>& initial, policy::Policy& policy,
                             policy::Adam& adam, Workers& workers, const ObservationMap& obs_map, const QuadraticCost& cost, const FitExtraLoss& extra)
{
    const sim::Model& model = *m_model;
    const Task& task = *m_task;
    const int k_traj = int(initial.size()), n = task.horizon, na = model.n_p(), k = policy.horizon();
    const int decisions = ClosedLoopRollout::decisions(n, k), threads = workers.threads();

    // exploration noise sigma .* eps from (seed, epoch, trajectory)
    trajectory_noise(m_config.seed, kNoiseStream, epoch, k_traj, na, n, m_eps);
    m_noise.resize(std::size_t(k_traj));
    const Eigen::VectorXd sigma = m_log_std.array().exp();
    for (int i = 0; i < k_traj; ++i) m_noise[std::size_t(i)] = sigma.asDiagonal() * m_eps[std::size_t(i)];

    // noisy rollouts in lockstep batches, each trajectory's rewards
    std::vector<Eigen::VectorXd> rewards;
    EpochStats s;
    const std::vector<int> kept = rewarded_rollouts(
        workers, model, task, k_traj, k,
        [&](std::span<sim::Simulator* const> sims, int begin, int count, ClosedLoopWorkspace& ws,
            std::span<ClosedLoopRollout> out) {
            closed_loop_rollouts(sims, policy, obs_map, task, cost, std::span(initial).subspan(std::size_t(begin), std::size_t(count)),
                                 false, ws, out,
                                 std::span<const Eigen::MatrixXd>(m_noise).subspan(std::size_t(begin), std::size_t(count)));
        },
        m_rollouts, rewards, s);
    if (m_config.scale_rewards)
        for (int i : kept) m_scaler.observe(rewards[std::size_t(i)], m_config.gamma);
    if (kept.empty()) return s;

    // the batch's decisions: inputs, sampled plans, old log-probabilities, values, advantages
    const auto prep_start = Clock::now();
    const int samples = int(kept.size()) * decisions, n_v = m_value.n_in();
    const double scale = m_config.scale_rewards ? m_scaler.scale() : 1.0;
    const Eigen::VectorXd ls = plan_log_std(m_log_std, k);
    PpoSamples& d = m_data;
    d.obs.resize(obs_map.size(model), samples);
    d.hv.resize(na, samples);
    d.action.setZero(Eigen::Index(k) * na, samples);
    d.weight.setZero(Eigen::Index(k) * na, samples);
    d.value_in.resize(n_v, samples);
    d.log_prob.resize(samples);
    d.advantage.resize(samples);
    d.target.resize(samples);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int q = 0; q < int(kept.size()); ++q) {
        const int i = kept[std::size_t(q)], col0 = q * decisions;
        const ClosedLoopRollout& r = m_rollouts[std::size_t(i)];
        const Eigen::MatrixXd& eps = m_eps[std::size_t(i)];
        for (int j = 0; j < decisions; ++j) {
            const int col = col0 + j, t = j * k;
            d.obs.col(col) = r.obs.col(j);
            d.hv.col(col) = r.handle_velocity.col(j);
            value_input(r.obs.col(j), r.handle_velocity.col(j), t, d.value_in.col(col));
            double lp = 0;
            for (int e = 0; e < k && t + e < n; ++e) {
                d.action.block(Eigen::Index(e) * na, col, na, 1) = r.requested.col(t + e);
                d.weight.block(Eigen::Index(e) * na, col, na, 1).setOnes();
                // (u - mean) / sigma = eps exactly: the log-density from the noise itself
                lp += -0.5 * eps.col(t + e).squaredNorm();
            }
            const Eigen::VectorXd w = d.weight.col(col);
            d.log_prob[col] = lp - w.dot(ls) - 0.5 * std::log(2 * std::numbers::pi) * w.sum();
        }
        Eigen::MatrixXd values;
        m_value.forward(d.value_in.middleCols(col0, decisions), values, m_ws[std::size_t(thread_index())].value);
        Eigen::VectorXd adv, ret;
        generalized_advantages(scale * rewards[std::size_t(i)], values.row(0).transpose(), m_config.gamma,
                               m_config.gae_lambda, adv, ret);
        d.advantage.segment(col0, decisions) = adv;
        d.target.segment(col0, decisions) = ret;
    }
    // advantages normalised over the batch (sums in sample order)
    const double mean = d.advantage.sum() / samples;
    const double var = (d.advantage.array() - mean).square().sum() / samples;
    d.advantage = (d.advantage.array() - mean) / (std::sqrt(var) + 1e-8);
    s.improve_cpu_s = seconds(prep_start, Clock::now());

    // ppo_epochs passes of minibatch Adam steps on the surrogate and the value loss
    const auto fit_start = Clock::now();
    const int m = std::min(m_config.ppo_minibatch, samples), per_pass = std::max(1, samples / m);
    std::mt19937_64 rng(derive_seed(m_config.seed, kPpoFitStream, std::uint64_t(epoch)));
    std::vector<int> order(static_cast<std::size_t>(samples));
    std::iota(order.begin(), order.end(), 0);
    PpoLossSettings settings{m_config.ppo_clip, m_config.entropy_coef};
    Eigen::VectorXd g_theta, g_ls, g_value, params;
    int steps = 0;
    double last_kl = 0;
    for (int pass = 0; pass < m_config.ppo_epochs; ++pass) {
        shuffle(order, rng);
        last_kl = 0;
        for (int b = 0; b < per_pass; ++b) {
            const std::span<const int> picked(order.data() + std::size_t(b) * std::size_t(m), std::size_t(m));
            const PpoLoss l = ppo_policy_loss(policy, m_log_std, d, picked, settings, m_ws, g_theta, g_ls);
            if (extra) {
                Eigen::MatrixXd mb_obs(d.obs.rows(), m), mb_hv(d.hv.rows(), m);
                for (int c = 0; c < m; ++c) {
                    mb_obs.col(c) = d.obs.col(picked[std::size_t(c)]);
                    mb_hv.col(c) = d.hv.col(picked[std::size_t(c)]);
                }
                extra(picked, mb_obs, mb_hv, g_theta);
            }
            s.gradient_norm += clip_jointly({&g_theta, &g_ls}, m_config.ppo_max_grad_norm);
            params = policy.parameters();
            adam.step(params, g_theta);
            policy.set_parameters(params);
            m_log_std_adam.step(m_log_std, g_ls);
            s.fit_loss += l.loss;
            s.clip_fraction += l.clip_fraction;
            last_kl += l.approx_kl;

            s.value_loss += ppo_value_loss(m_value, d, picked, m_ws, g_value);
            clip_jointly({&g_value}, m_config.ppo_max_grad_norm);
            params = m_value.parameters();
            m_value_adam.step(params, g_value);
            m_value.set_parameters(params);
            ++steps;
        }
    }
    s.fit_loss /= steps;
    s.gradient_norm /= steps;
    s.clip_fraction /= steps;
    s.value_loss /= steps;
    s.approx_kl = last_kl / per_pass;
    s.policy_std = m_log_std.array().exp().mean();
    s.fit_s = seconds(fit_start, Clock::now());
    return s;
}

EpochStats PpoLearner::epoch(int epoch, const EpochContext& ctx)
{
    return this->epoch(epoch, ctx.initial, ctx.policy, ctx.adam, ctx.workers, ctx.obs, ctx.cost);
}

nlohmann::json PpoLearner::state_json() const
{
    return {{"log_std", std::vector<double>(m_log_std.data(), m_log_std.data() + m_log_std.size())},
            {"log_std_adam", policy::adam_to_json(m_log_std_adam)},
            {"value", policy::mlp_to_json(m_value)},
            {"value_adam", policy::adam_to_json(m_value_adam)},
            {"reward_scale", m_scaler.to_json()}};
}

void PpoLearner::restore(const common::JsonNode& n)
{
    n.allow_keys({"log_std", "log_std_adam", "value", "value_adam", "reward_scale"});
    Eigen::VectorXd log_std = n["log_std"].vector(int(m_log_std.size()));
    policy::Adam log_std_adam = policy::adam_from_json(n["log_std_adam"], int(m_log_std.size()));
    policy::Mlp value = policy::mlp_from_json(n["value"]);
    if (value.n_in() != m_value.n_in() || value.n_out() != 1 || value.n_params() != m_value.n_params())
        n["value"].fail("the value network does not match the run's configuration (inputs " +
                        std::to_string(m_value.n_in()) + ", " + std::to_string(m_value.n_params()) + " parameters)");
    policy::Adam value_adam = policy::adam_from_json(n["value_adam"], value.n_params());
    m_scaler = RewardScaler::from_json(n["reward_scale"]);
    m_log_std = log_std;
    m_log_std_adam = std::move(log_std_adam);
    m_value = std::move(value);
    m_value_adam = std::move(value_adam);
}

} // namespace podsim::pods
