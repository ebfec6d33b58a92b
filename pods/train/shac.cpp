// SHAC epochs (see shac.hpp).
#include "pods/train/shac.hpp"

#include "pods/task/random.hpp"
#include "pods/train/bptt_learner.hpp"
#include "pods/train/exchange.hpp"
#include "pods/train/ppo.hpp"
#include "pods/train/sac_loss.hpp"
#include "pods/train/timing.hpp"
#include "policy/policy_io.hpp"

#include <chrono>
#include <cmath>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>

namespace podsim::pods {

Eigen::VectorXd shac_step_weights(int horizon, int window, double gamma, double scale)
{
    Eigen::VectorXd w(horizon + 1);
    for (int t = 0; t < horizon; ++t) w[t] = scale * std::pow(gamma, t % window);
    w[horizon] = horizon > 0 ? w[horizon - 1] : scale;
    return w;
}

void td_lambda_targets(const Eigen::VectorXd& costs, const Eigen::VectorXd& values, double gamma, double lambda,
                       Eigen::VectorXd& targets)
{
    // GAE's value targets A_t + V_t are the lambda-returns (advantage.hpp)
    Eigen::VectorXd advantages;
    generalized_advantages(costs, values, gamma, lambda, advantages, targets);
}

int shac_actor_gradient(std::span<sim::Simulator* const> sims, const policy::Policy& policy,
                        const ObservationMap& obs_map, const ObservationMap& critic_map, const Task& task,
                        const QuadraticCost& cost, const policy::Mlp& critic, const Eigen::VectorXd& weight,
                        double end_weight, int window, std::span<const ClosedLoopRollout> rollouts,
                        ClosedLoopWorkspace& ws, policy::MlpWorkspace& critic_ws, Eigen::VectorXd& d_params,
                        std::span<double> loss, std::vector<std::string>& failures)
{
    const sim::Model& model = sims[0]->model();
    const int batch = int(rollouts.size()), n = task.horizon, na = model.n_p(), n_obs = critic_map.size(model);
    const int ends = WindowValues::ends(n, window);
    std::vector<Eigen::MatrixXd> d_obs(std::size_t(batch), Eigen::MatrixXd::Zero(n_obs, ends)),
        d_hv(std::size_t(batch), Eigen::MatrixXd::Zero(na, ends));
    Eigen::MatrixXd x(critic.n_in(), ends), v, dx, dy = Eigen::MatrixXd::Constant(1, ends, end_weight);
    Eigen::VectorXd unused, o(n_obs), a;
    for (int b = 0; b < batch; ++b) {
        const ClosedLoopRollout& r = rollouts[std::size_t(b)];
        loss[std::size_t(b)] = 0;
        if (!r.ok) continue;
        // the weighted costs
        double l = weight[n] * terminal_cost(model, task, r.states[std::size_t(n)]).total();
        for (int t = 0; t < n; ++t) {
            a = r.actions.col(t);
            l += weight[t] * step_cost(model, task, r.states[std::size_t(t)], a).total();
        }
        // the critic's value at each window end t_e and its input cotangent
        if (ends > 0) {
            for (int e = 0; e < ends; ++e) {
                const int te = (e + 1) * window;
                critic_map.observe(model, r.states[std::size_t(te)], o);
                value_input(o, r.actions.col(te - 1), te, n, x.col(e));
            }
            critic.forward(x, v, critic_ws);
            critic.backward(critic_ws, dy, unused, &dx);
            d_obs[std::size_t(b)] = dx.topRows(n_obs);
            d_hv[std::size_t(b)] = dx.middleRows(n_obs, na);
            l += end_weight * v.sum();
        }
        loss[std::size_t(b)] = l;
    }
    const WindowValues values{weight, &critic_map, d_obs, d_hv};
    return closed_loop_gradient(sims, policy, obs_map, task, cost, rollouts, window, ws, d_params, failures, &values);
}

policy::MlpConfig shac_critic_config(const sim::Model& model, const Task& task, const TrainConfig& config)
{
    policy::MlpConfig c = value_config(model, task, config);
    const int n_state = state_observation_map(model, task).size(model), na = model.n_p();
    c.n_in = n_state + na + 1;
    c.input_scale.resize(c.n_in);
    c.input_scale << state_observation_scale(model, task), Eigen::VectorXd::Constant(na, 1.0 / task.action_limit), 1.0;
    c.last_layer_scale = kShacCriticLastLayerScale;
    return c;
}

policy::AdamConfig ShacLearner::policy_adam(const TrainConfig& c)
{
    policy::AdamConfig a;
    a.lr = c.shac_lr;
    a.clip_norm = c.clip_norm;
    return a;
}

ShacLearner::ShacLearner(const sim::Model& model, const Task& task, const TrainConfig& config,
                         const policy::Policy& policy, int threads)
    : m_model(&model), m_task(&task), m_config(config),
      m_critic_map(state_observation_map(model, task)),
      m_critic(shac_critic_config(model, task, config), derive_seed(config.seed, kShacCriticStream)), m_target(m_critic),
      m_critic_adam([&] {
          policy::AdamConfig a;
          a.lr = config.shac_critic_lr;
          return a;
      }(), m_critic.n_params()),
      m_ws(ppo_loss_workspaces(policy, threads))
{
    if (policy.type() != "mlp") throw std::invalid_argument("method shac trains MLP policies");
}

EpochStats ShacLearner::epoch(int epoch, const EpochContext& ctx)
{
    const sim::Model& model = *m_model;
    const Task& task = *m_task;
    const int k = ctx.config.batch, n = task.horizon;
    const int h = m_config.shac_window, n_v = m_critic.n_in();
    const double gamma = m_config.gamma, end_weight = std::pow(gamma, h);
    // the actor's weights in the units the critic was fitted in: the scale before this epoch
    const double actor_scale = m_config.scale_rewards ? m_scaler.scale() : 1.0;
    const Eigen::VectorXd weight = shac_step_weights(n, h, gamma, actor_scale);
    m_rollouts.resize(std::size_t(k));
    m_rewards.assign(std::size_t(k), Eigen::VectorXd());
    m_critic_obs.resize(std::size_t(k));
    std::vector<std::string> errors(static_cast<std::size_t>(k));
    std::vector<double> actor_loss(static_cast<std::size_t>(k)), rollout_s(static_cast<std::size_t>(k)),
        gradient_s(static_cast<std::size_t>(k));

    // exploration noise shac_noise L eps from (seed, epoch, trajectory), none when 0
    std::vector<Eigen::MatrixXd> noise;
    if (m_config.shac_noise > 0) {
        trajectory_noise(m_config.seed, kShacNoiseStream, epoch, k, model.n_p(), n, noise);
        for (Eigen::MatrixXd& e : noise) e *= m_config.shac_noise * task.action_limit;
    }
    // per lockstep batch: rollouts with tapes, the value terms at the window ends, the windowed
    // gradient's sum
    const Cluster& cluster = ctx.workers.cluster();
    const int batches = lockstep_batches(k);
    const std::vector<int> mine = cluster.owned_batches(batches);
    m_gradients.resize(std::size_t(batches));
#pragma omp parallel for num_threads(ctx.workers.threads()) schedule(dynamic, 1)
    for (int q = 0; q < int(mine.size()); ++q) {
        const int c = mine[std::size_t(q)], th = thread_index(), begin = batch_begin(c), count = batch_end(c, k) - begin;
        const auto sims = ctx.workers.simulators(th, count);
        const auto rollouts = std::span(m_rollouts).subspan(std::size_t(begin), std::size_t(count));
        const auto t0 = Clock::now();
        closed_loop_rollouts(sims, ctx.policy, ctx.obs, task, ctx.cost,
                             std::span(ctx.initial).subspan(std::size_t(begin), std::size_t(count)), true,
                             ctx.workers.workspace(th), rollouts,
                             noise.empty() ? std::span<const Eigen::MatrixXd>()
                                           : std::span<const Eigen::MatrixXd>(noise).subspan(std::size_t(begin),
                                                                                             std::size_t(count)));
        const auto t1 = Clock::now();
        for (int i = begin; i < begin + count; ++i)
            if (const ClosedLoopRollout& r = m_rollouts[std::size_t(i)]; r.ok) {
                m_rewards[std::size_t(i)] = decision_rewards(model, task, r, 1);
                // the critic's observations of the states, here where the states are
                Eigen::MatrixXd& o = m_critic_obs[std::size_t(i)];
                o.resize(m_critic_map.size(model), n);
                for (int t = 0; t < n; ++t) m_critic_map.observe(model, r.states[std::size_t(t)], o.col(t));
            }
        std::vector<std::string> failures;
        shac_actor_gradient(sims, ctx.policy, ctx.obs, m_critic_map, task, ctx.cost, m_target, weight, end_weight, h,
                            rollouts,
                            ctx.workers.workspace(th), m_ws[std::size_t(th)].value, m_gradients[std::size_t(c)],
                            std::span(actor_loss).subspan(std::size_t(begin), std::size_t(count)), failures);
        for (int b = 0; b < count; ++b) errors[std::size_t(begin + b)] = failures[std::size_t(b)];
        rollout_s[std::size_t(begin)] = seconds(t0, t1);
        gradient_s[std::size_t(begin)] = seconds(t1, Clock::now());
    }
    // every rank gets every trajectory's outcome, steps, rewards and critic observations and every
    // batch's gradient sum
    cluster.share_batches(
        batches,
        [&](int c, WireWriter& w) {
            w.put(rollout_s[std::size_t(batch_begin(c))]);
            w.put(gradient_s[std::size_t(batch_begin(c))]);
            w.put_matrix(m_gradients[std::size_t(c)]);
            for (int i = batch_begin(c); i < batch_end(c, k); ++i) {
                put_outcome(w, m_rollouts[std::size_t(i)]);
                put_decisions(w, m_rollouts[std::size_t(i)]);
                w.put_matrix(m_rewards[std::size_t(i)]);
                w.put_matrix(m_critic_obs[std::size_t(i)]);
                w.put(actor_loss[std::size_t(i)]);
                w.put(errors[std::size_t(i)]);
            }
        },
        [&](int c, WireReader& in) {
            rollout_s[std::size_t(batch_begin(c))] = in.get<double>();
            gradient_s[std::size_t(batch_begin(c))] = in.get<double>();
            in.get_matrix(m_gradients[std::size_t(c)]);
            for (int i = batch_begin(c); i < batch_end(c, k); ++i) {
                get_outcome(in, m_rollouts[std::size_t(i)]);
                get_decisions(in, m_rollouts[std::size_t(i)]);
                in.get_matrix(m_rewards[std::size_t(i)]);
                in.get_matrix(m_critic_obs[std::size_t(i)]);
                actor_loss[std::size_t(i)] = in.get<double>();
                errors[std::size_t(i)] = in.get_string();
            }
        });

    // the actor: the mean windowed gradient per step over the successful trajectories, one Adam step
    const auto fit_start = Clock::now();
    EpochStats s;
    const std::vector<int> kept = tally_gradient_rollouts(m_rollouts, errors, rollout_s, gradient_s, n, s);
    for (int i : kept) s.fit_loss += actor_loss[std::size_t(i)];
    if (kept.empty()) {
        s.fit_s = seconds(fit_start, Clock::now());
        return s;
    }
    const double per = 1.0 / (double(kept.size()) * n);
    s.train_return /= double(kept.size());
    s.fit_loss *= per;
    Eigen::VectorXd grad = Eigen::VectorXd::Zero(ctx.policy.n_params());
    for (int c = 0; c < batches; ++c) grad += m_gradients[std::size_t(c)];
    grad *= per;
    Eigen::VectorXd params = ctx.policy.parameters();
    s.gradient_norm = ctx.adam.step(params, grad);
    ctx.policy.set_parameters(params);

    // the critic's samples: every step of the kept trajectories with its TD(lambda) target from
    // the target critic, costs in the scale after this epoch's rewards
    if (m_config.scale_rewards)
        for (int i : kept) m_scaler.observe(m_rewards[std::size_t(i)], gamma);
    const double scale = m_config.scale_rewards ? m_scaler.scale() : 1.0;
    const int samples = int(kept.size()) * n;
    PpoSamples& d = m_data;
    d.value_in.resize(n_v, samples);
    d.target.resize(samples);
#pragma omp parallel for num_threads(ctx.workers.threads()) schedule(static)
    for (int q = 0; q < int(kept.size()); ++q) {
        const int i = kept[std::size_t(q)], col0 = q * n;
        const ClosedLoopRollout& r = m_rollouts[std::size_t(i)];
        for (int t = 0; t < n; ++t)
            value_input(m_critic_obs[std::size_t(i)].col(t), r.handle_velocity.col(t), t, n, d.value_in.col(col0 + t));
        Eigen::MatrixXd values;
        m_target.forward(d.value_in.middleCols(col0, n), values, m_ws[std::size_t(thread_index())].value);
        Eigen::VectorXd targets;
        td_lambda_targets(-scale * m_rewards[std::size_t(i)], values.row(0).transpose(), gamma, m_config.shac_lambda,
                          targets);
        d.target.segment(col0, n) = targets;
    }

    // shac_critic_iters passes of shac_critic_minibatches Adam steps, then the target's Polyak step
    std::mt19937_64 rng(derive_seed(m_config.seed, kShacFitStream, std::uint64_t(epoch)));
    std::vector<int> order(static_cast<std::size_t>(samples));
    std::iota(order.begin(), order.end(), 0);
    const int parts = std::min(m_config.shac_critic_minibatches, samples);
    Eigen::VectorXd g;
    int steps = 0;
    for (int pass = 0; pass < m_config.shac_critic_iters; ++pass) {
        shuffle(order, rng);
        for (int b = 0; b < parts; ++b) {
            const std::size_t from = std::size_t(b) * std::size_t(samples) / std::size_t(parts),
                              to = std::size_t(b + 1) * std::size_t(samples) / std::size_t(parts);
            s.value_loss += ppo_value_loss(m_critic, d, std::span<const int>(order.data() + from, to - from), m_ws, g);
            params = m_critic.parameters();
            m_critic_adam.step(params, g);
            m_critic.set_parameters(params);
            ++steps;
        }
    }
    s.value_loss /= steps;
    polyak_update(m_critic, 1 - m_config.shac_target_alpha, m_target);
    s.fit_s = seconds(fit_start, Clock::now());
    return s;
}

nlohmann::json ShacLearner::state_json() const
{
    return {{"critic", policy::mlp_to_json(m_critic)},
            {"critic_adam", policy::adam_to_json(m_critic_adam)},
            {"target", policy::mlp_to_json(m_target)},
            {"reward_scale", m_scaler.to_json()}};
}

void ShacLearner::restore(const common::JsonNode& n)
{
    n.allow_keys({"critic", "critic_adam", "target", "reward_scale"});
    policy::Mlp critic = policy::mlp_from_json(n["critic"]), target = policy::mlp_from_json(n["target"]);
    for (const char* key : {"critic", "target"}) {
        const policy::Mlp& net = std::string(key) == "critic" ? critic : target;
        if (net.n_in() != m_critic.n_in() || net.n_out() != 1 || net.n_params() != m_critic.n_params())
            n[key].fail("the network does not match the run's critic (inputs " + std::to_string(m_critic.n_in()) +
                        ", " + std::to_string(m_critic.n_params()) + " parameters)");
    }
    policy::Adam adam = policy::adam_from_json(n["critic_adam"], critic.n_params());
    m_scaler = RewardScaler::from_json(n["reward_scale"]);
    m_critic = std::move(critic);
    m_target = std::move(target);
    m_critic_adam = std::move(adam);
}

} // namespace podsim::pods
