// SAC epochs (see sac.hpp).
#include "pods/train/sac.hpp"

#include "pods/task/observation.hpp"
#include "pods/task/random.hpp"
#include "pods/train/ppo.hpp"
#include "pods/train/timing.hpp"
#include "policy/gaussian.hpp"
#include "policy/mlp_policy.hpp"
#include "policy/policy_io.hpp"

#include <algorithm>
#include <cmath>
#include <span>
#include <stdexcept>

namespace podsim::pods {

namespace {

const policy::MlpPolicy& mlp_head(const policy::Policy& p)
{
    const auto* mlp = dynamic_cast<const policy::MlpPolicy*>(&p);
    if (mlp == nullptr) throw std::invalid_argument("method sac trains MLP policies, got a " + p.type() + " policy");
    return *mlp;
}

// the MLP head's network with a linear output: its output is the pre-tanh mean z
policy::Mlp actor_network(const policy::Policy& p)
{
    const policy::Mlp& net = mlp_head(p).network();
    policy::MlpConfig c = net.config();
    c.output_limit = 0;
    policy::Mlp actor(c, 0);
    actor.set_parameters(net.parameters());
    return actor;
}

// a critic: PPO's value network with the action as a further input, a / action_limit
policy::MlpConfig critic_config(const sim::Model& model, const Task& task, const TrainConfig& c)
{
    policy::MlpConfig q = value_config(model, task, c);
    const int na = model.n_p();
    q.n_in += na;
    q.input_scale.conservativeResize(q.n_in);
    q.input_scale.tail(na).setConstant(1.0 / task.action_limit);
    return q;
}

// the stochastic policy of one lockstep batch's rollouts: a_t = a_max tanh(z(o_t) + sigma .* eps_t)
// with eps_t column t of the batch's trajectories' noise. closed_loop_rollouts asks an MLP-like
// policy (plan length 1) for one action per step, in step order: the t-th call is step t.
class SquashedExploration final : public policy::Policy {
public:
    SquashedExploration(const policy::Mlp& actor, const Eigen::VectorXd& log_std, double limit,
                        std::span<const Eigen::MatrixXd> eps)
        : m_actor(&actor), m_log_std(log_std), m_limit(limit), m_eps(eps)
    {
    }

    std::string type() const override { return "sac-exploration"; }
    int n_obs() const override { return m_actor->n_in(); }
    int n_act() const override { return m_actor->n_out(); }
    int horizon() const override { return 1; }
    int n_params() const override { return m_actor->n_params(); }
    const Eigen::VectorXd& parameters() const override { return m_actor->parameters(); }
    void set_parameters(const Eigen::VectorXd&) override { throw std::logic_error("SquashedExploration: read-only"); }
    std::unique_ptr<Policy> clone() const override { return std::make_unique<SquashedExploration>(*this); }
    std::unique_ptr<policy::PolicyWorkspace> make_workspace() const override { return std::make_unique<Workspace>(); }

    void act(const Eigen::MatrixXd& obs, const Eigen::MatrixXd&, Eigen::MatrixXd& actions,
             policy::PolicyWorkspace& ws) const override
    {
        Workspace& w = static_cast<Workspace&>(ws);
        m_actor->forward(obs, w.z, w.mlp);
        w.eps.resize(w.z.rows(), w.z.cols());
        for (Eigen::Index b = 0; b < w.z.cols(); ++b) w.eps.col(b) = m_eps[std::size_t(b)].col(m_step);
        squashed_gaussian_sample(w.z, m_log_std, w.eps, m_limit, actions, w.log_prob);
        ++m_step;
    }
    void vjp(policy::PolicyWorkspace&, const Eigen::MatrixXd&, Eigen::VectorXd&, Eigen::MatrixXd*, Eigen::MatrixXd*,
             bool) const override
    {
        throw std::logic_error("SquashedExploration: no gradient through the exploration");
    }

private:
    struct Workspace : policy::PolicyWorkspace {
        policy::MlpWorkspace mlp;
        Eigen::MatrixXd z, eps;
        Eigen::VectorXd log_prob;
    };
    const policy::Mlp* m_actor;
    Eigen::VectorXd m_log_std;
    double m_limit;
    std::span<const Eigen::MatrixXd> m_eps;
    mutable Eigen::Index m_step = 0;
};

// a network of the checkpoint, refused unless it has the run's sizes
policy::Mlp critic_from_json(const common::JsonNode& node, const policy::Mlp& like)
{
    policy::Mlp net = policy::mlp_from_json(node);
    if (net.n_in() != like.n_in() || net.n_out() != 1 || net.n_params() != like.n_params())
        node.fail("the critic does not match the run's configuration (inputs " + std::to_string(like.n_in()) + ", " +
                  std::to_string(like.n_params()) + " parameters)");
    return net;
}

} // namespace

policy::AdamConfig SacLearner::policy_adam(const TrainConfig& c) { return policy::AdamConfig{.lr = c.sac_lr}; }

SacLearner::SacLearner(const sim::Model& model, const Task& task, const TrainConfig& config, const policy::Policy& policy,
                       int threads)
    : m_model(&model), m_task(&task), m_config(config), m_actor(actor_network(policy)),
      m_log_std(Eigen::VectorXd::Zero(model.n_p())),
      m_log_alpha(Eigen::VectorXd::Constant(1, std::log(config.sac_alpha_init))),
      m_log_std_adam(policy::AdamConfig{.lr = config.sac_lr}, model.n_p()),
      m_log_alpha_adam(policy::AdamConfig{.lr = config.sac_alpha_lr}, 1),
      m_q1(critic_config(model, task, config), derive_seed(config.seed, kSacCriticStream, 1)),
      m_q2(critic_config(model, task, config), derive_seed(config.seed, kSacCriticStream, 2)), m_q1_target(m_q1),
      m_q2_target(m_q2), m_q1_adam(policy::AdamConfig{.lr = config.sac_critic_lr}, m_q1.n_params()),
      m_q2_adam(policy::AdamConfig{.lr = config.sac_critic_lr}, m_q2.n_params()),
      m_replay(observation_map(model, task).size(model), model.n_p(), task.horizon, config.sac_buffer),
      m_ws(static_cast<std::size_t>(threads))
{
}

EpochStats SacLearner::epoch(int epoch, const EpochContext& ctx)
{
    const sim::Model& model = *m_model;
    const Task& task = *m_task;
    const std::vector<sim::State>& initial = ctx.initial;
    const int k_traj = int(initial.size()), n = task.horizon, na = model.n_p();
    m_actor.set_parameters(ctx.policy.parameters());

    // exploration noise eps from (seed, epoch, trajectory)
    trajectory_noise(m_config.seed, kSacNoiseStream, epoch, k_traj, na, n, m_eps);

    // stochastic rollouts in lockstep batches, each trajectory's rewards, one per step
    std::vector<Eigen::VectorXd> rewards;
    EpochStats s;
    const std::vector<int> kept = rewarded_rollouts(
        ctx.workers, model, task, k_traj, 1,
        [&](std::span<sim::Simulator* const> sims, int begin, int count, ClosedLoopWorkspace& ws,
            std::span<ClosedLoopRollout> out) {
            const SquashedExploration explore(
                m_actor, m_log_std, task.action_limit,
                std::span<const Eigen::MatrixXd>(m_eps).subspan(std::size_t(begin), std::size_t(count)));
            closed_loop_rollouts(sims, explore, ctx.obs, task, ctx.cost,
                                 std::span(initial).subspan(std::size_t(begin), std::size_t(count)), false, ws, out);
        },
        m_rollouts, rewards, s);

    // the successful episodes into the buffer, in trajectory order
    const auto store_start = Clock::now();
    for (int i : kept) {
        const ClosedLoopRollout& r = m_rollouts[std::size_t(i)];
        m_replay.add_episode(r.obs, r.actions, rewards[std::size_t(i)]);
        if (m_config.scale_rewards) m_scaler.observe(rewards[std::size_t(i)], m_config.gamma);
    }
    s.improve_cpu_s = seconds(store_start, Clock::now());

    // the gradient updates, their minibatches and noise from (seed, epoch)
    const auto fit_start = Clock::now();
    const long long transitions = (long long)kept.size() * n;
    const long long updates = transitions > 0 ? std::max(1LL, std::llround(m_config.sac_updates * double(transitions))) : 0;
    std::mt19937_64 rng(derive_seed(m_config.seed, kSacUpdateStream, std::uint64_t(epoch)));
    double log_prob = 0;
    for (long long u = 0; u < updates; ++u) {
        const Update up = update(ctx.policy, ctx.adam, rng);
        s.value_loss += up.critic_loss / double(updates);
        s.fit_loss += up.actor_loss / double(updates);
        s.gradient_norm += up.gradient_norm / double(updates);
        log_prob += up.log_prob / double(updates);
    }
    s.entropy = -log_prob;
    s.temperature = alpha();
    s.policy_std = m_log_std.array().exp().mean();
    s.fit_s = seconds(fit_start, Clock::now());
    return s;
}

SacLearner::Update SacLearner::update(policy::Policy& policy, policy::Adam& adam, std::mt19937_64& rng)
{
    const int m = m_config.sac_minibatch, na = int(m_log_std.size());
    const double alpha = this->alpha();

    // the minibatch and the noise of the actor's samples at s and s'
    const std::vector<int> picked = m_replay.sample(m, rng);
    m_replay.gather(picked, m_batch);
    if (m_config.scale_rewards) m_batch.reward *= m_scaler.scale();
    m_batch.eps.resize(na, m);
    m_batch.next_eps.resize(na, m);
    for (Eigen::Index c = 0; c < m_batch.eps.size(); ++c) m_batch.eps.data()[c] = policy::standard_normal(rng);
    for (Eigen::Index c = 0; c < m_batch.next_eps.size(); ++c) m_batch.next_eps.data()[c] = policy::standard_normal(rng);
    m_actor.set_parameters(policy.parameters());

    // the critics on their targets
    Update out;
    Eigen::VectorXd y, g1, g2, params;
    sac_targets({m_actor, m_log_std, m_task->action_limit}, m_q1_target, m_q2_target, m_batch, alpha, m_config.gamma,
                m_ws, y);
    out.critic_loss = sac_critic_loss(m_q1, m_q2, m_batch, y, m_ws, g1, g2);
    auto step = [&params](policy::Mlp& net, policy::Adam& opt, const Eigen::VectorXd& grad) {
        params = net.parameters();
        opt.step(params, grad);
        net.set_parameters(params);
    };
    step(m_q1, m_q1_adam, g1);
    step(m_q2, m_q2_adam, g2);

    // the actor (the policy and its log-std) with the updated critics
    Eigen::VectorXd d_theta, d_log_std;
    const SacActorLoss l =
        sac_actor_loss({m_actor, m_log_std, m_task->action_limit}, m_q1, m_q2, m_batch, alpha, m_ws, d_theta, d_log_std);
    out.actor_loss = l.loss;
    out.log_prob = l.log_prob;
    out.gradient_norm = std::sqrt(d_theta.squaredNorm() + d_log_std.squaredNorm());
    params = policy.parameters();
    adam.step(params, d_theta);
    policy.set_parameters(params);
    m_actor.set_parameters(params);
    m_log_std_adam.step(m_log_std, d_log_std);
    m_log_std = m_log_std.cwiseMax(kSacLogStdMin).cwiseMin(kSacLogStdMax);

    // the temperature toward the target entropy, then the targets
    Eigen::VectorXd d_log_alpha(1);
    sac_temperature_loss(m_log_alpha[0], l.log_prob, m_config.sac_target_entropy * na, d_log_alpha[0]);
    m_log_alpha_adam.step(m_log_alpha, d_log_alpha);
    polyak_update(m_q1, m_config.sac_tau, m_q1_target);
    polyak_update(m_q2, m_config.sac_tau, m_q2_target);
    return out;
}

nlohmann::json SacLearner::state_json() const
{
    auto vector = [](const Eigen::VectorXd& v) { return std::vector<double>(v.data(), v.data() + v.size()); };
    return {{"log_std", vector(m_log_std)},
            {"log_std_adam", policy::adam_to_json(m_log_std_adam)},
            {"log_alpha", vector(m_log_alpha)},
            {"log_alpha_adam", policy::adam_to_json(m_log_alpha_adam)},
            {"q1", policy::mlp_to_json(m_q1)},
            {"q2", policy::mlp_to_json(m_q2)},
            {"q1_target", policy::mlp_to_json(m_q1_target)},
            {"q2_target", policy::mlp_to_json(m_q2_target)},
            {"q1_adam", policy::adam_to_json(m_q1_adam)},
            {"q2_adam", policy::adam_to_json(m_q2_adam)},
            {"reward_scale", m_scaler.to_json()},
            {"replay", m_replay.to_json()}};
}

void SacLearner::restore(const common::JsonNode& n)
{
    n.allow_keys({"log_std", "log_std_adam", "log_alpha", "log_alpha_adam", "q1", "q2", "q1_target", "q2_target",
                  "q1_adam", "q2_adam", "reward_scale", "replay"});
    const int na = int(m_log_std.size());
    Eigen::VectorXd log_std = n["log_std"].vector(na), log_alpha = n["log_alpha"].vector(1);
    policy::Adam log_std_adam = policy::adam_from_json(n["log_std_adam"], na);
    policy::Adam log_alpha_adam = policy::adam_from_json(n["log_alpha_adam"], 1);
    policy::Mlp q1 = critic_from_json(n["q1"], m_q1), q2 = critic_from_json(n["q2"], m_q2);
    policy::Mlp q1_target = critic_from_json(n["q1_target"], m_q1), q2_target = critic_from_json(n["q2_target"], m_q2);
    policy::Adam q1_adam = policy::adam_from_json(n["q1_adam"], m_q1.n_params());
    policy::Adam q2_adam = policy::adam_from_json(n["q2_adam"], m_q2.n_params());
    const RewardScaler scaler = RewardScaler::from_json(n["reward_scale"]);
    ReplayBuffer replay = m_replay;
    replay.restore(n["replay"]);
    m_log_std = log_std;
    m_log_alpha = log_alpha;
    m_log_std_adam = std::move(log_std_adam);
    m_log_alpha_adam = std::move(log_alpha_adam);
    m_q1 = std::move(q1);
    m_q2 = std::move(q2);
    m_q1_target = std::move(q1_target);
    m_q2_target = std::move(q2_target);
    m_q1_adam = std::move(q1_adam);
    m_q2_adam = std::move(q2_adam);
    m_replay = std::move(replay);
    m_scaler = scaler;
}

} // namespace podsim::pods
