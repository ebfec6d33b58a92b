#pragma once
// SAC (Haarnoja et al. 2018, with the automatic entropy temperature of "Soft Actor-Critic
// Algorithms and Applications"), a model-free baseline (docs/training.md): the MLP head's
// pre-tanh output is the mean of a tanh-squashed Gaussian with a learned state-independent
// log-std, twin Q networks with Polyak-averaged targets, and a replay buffer of the closed-loop
// episodes. One epoch: the batch's stochastic rollouts into the buffer, then sac_updates
// gradient updates per collected transition. `evaluate` and `rollout` run the deterministic
// action a_max tanh(z), the MLP head itself. Deterministic for any thread count: noise from (seed,
// epoch, trajectory), minibatches and their noise from (seed, epoch), sums in fixed chunk order.

#include "pods/task/scene.hpp"
#include "pods/train/advantage.hpp"
#include "pods/train/closed_loop.hpp"
#include "pods/train/epoch_stats.hpp"
#include "pods/train/learner.hpp"
#include "pods/train/sac_loss.hpp"
#include "pods/train/sac_replay.hpp"
#include "pods/train/train_config.hpp"
#include "policy/adam.hpp"
#include "policy/mlp.hpp"
#include "policy/policy.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace podsim::pods {

/// What SAC learns besides the policy: log-std, twin critics and their targets, the temperature,
/// their optimisers and the replay buffer.
class SacLearner : public Learner {
public:
    /// The policy's Adam: learning rate sac_lr, no clipping.
    static policy::AdamConfig policy_adam(const TrainConfig& config);

    /// Log-std 0 (sigma 1 before the tanh), critics from config.seed (targets equal to them),
    /// alpha = sac_alpha_init, an empty buffer of sac_buffer transitions, loss workspaces for
    /// `threads` threads. `policy` must be the MLP head (std::invalid_argument otherwise).
    SacLearner(const sim::Model& model, const Task& task, const TrainConfig& config, const policy::Policy& policy,
               int threads);

    /// One SAC epoch from ctx.initial: stochastic rollouts of ctx.policy into the buffer, then
    /// sac_updates x transitions collected updates (rounded, at least one) of ctx.policy (optimiser
    /// ctx.adam).
    EpochStats epoch(int epoch, const EpochContext& ctx) override;

    /// What one gradient update reports.
    struct Update {
        double critic_loss = 0, actor_loss = 0;
        double log_prob = 0;       ///< mean log pi of the actor's samples
        double gradient_norm = 0;  ///< |dL_pi/d(theta, log_std)|
    };
    /// One gradient update on a minibatch of sac_minibatch transitions and its noise drawn with
    /// `rng` (the buffer must not be empty): an Adam step of each critic on L_Q, of `policy` (with
    /// `adam`) and the log-std on L_pi with the updated critics, of log(alpha) on L_alpha, then the
    /// targets' Polyak step.
    Update update(policy::Policy& policy, policy::Adam& adam, std::mt19937_64& rng);

    const Eigen::VectorXd& log_std() const { return m_log_std; }
    double alpha() const { return std::exp(m_log_alpha[0]); }
    const policy::Mlp& critic(int i) const { return i == 0 ? m_q1 : m_q2; }
    const policy::Mlp& target(int i) const { return i == 0 ? m_q1_target : m_q2_target; }
    const ReplayBuffer& replay() const { return m_replay; }

    /// The checkpoint state {"log_std", "log_std_adam", "log_alpha", "log_alpha_adam", "q1", "q2",
    /// "q1_target", "q2_target", "q1_adam", "q2_adam", "reward_scale", "replay"}.
    nlohmann::json state_json() const override;
    /// Restores state_json() (sizes must match this learner's).
    void restore(const common::JsonNode& node) override;

private:
    const sim::Model* m_model;
    const Task* m_task;
    TrainConfig m_config;
    policy::Mlp m_actor; ///< the policy's network with a linear output (its pre-tanh z)
    Eigen::VectorXd m_log_std, m_log_alpha;
    policy::Adam m_log_std_adam, m_log_alpha_adam;
    policy::Mlp m_q1, m_q2, m_q1_target, m_q2_target;
    policy::Adam m_q1_adam, m_q2_adam;
    ReplayBuffer m_replay;
    RewardScaler m_scaler; ///< scale_rewards: the minibatches' rewards are divided by its std
    std::vector<SacLossWorkspace> m_ws;
    // per-epoch and per-update buffers
    std::vector<ClosedLoopRollout> m_rollouts;
    std::vector<Eigen::MatrixXd> m_eps;
    SacBatch m_batch;
};

/// log_std stays in [kSacLogStdMin, kSacLogStdMax] (before the tanh), as in the paper's code.
inline constexpr double kSacLogStdMin = -20, kSacLogStdMax = 2;

/// Stream indices of SAC's seeds.
inline constexpr std::uint64_t kSacNoiseStream = 0x5ac0;
inline constexpr std::uint64_t kSacUpdateStream = 0x5ac1;
inline constexpr std::uint64_t kSacCriticStream = 0x5ac2;

} // namespace podsim::pods
