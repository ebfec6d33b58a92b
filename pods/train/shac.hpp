#pragma once
// SHAC, short-horizon actor-critic (Xu et al., "Accelerated Policy Learning with Parallel
// Differentiable Simulation", ICLR 2022; docs/training.md, "SHAC"): BPTT's closed-loop rollouts
// and reverse pass cut into windows of h steps, each window's loss closed by a learned critic's
// value of its end state; the critic fitted to TD(lambda) targets of a Polyak-averaged target
// critic. `evaluate` and `rollout` run the policy without noise. Deterministic for any thread and
// rank count: noise from (seed, epoch, trajectory), sums in lockstep-batch and chunk order,
// minibatches from (seed, epoch).

#include "pods/task/scene.hpp"
#include "pods/train/advantage.hpp"
#include "pods/train/closed_loop.hpp"
#include "pods/train/learner.hpp"
#include "pods/train/ppo_loss.hpp"
#include "pods/train/train_config.hpp"
#include "policy/adam.hpp"
#include "policy/mlp.hpp"
#include "policy/policy.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace podsim::pods {

/// What SHAC learns besides the policy: the critic, its Adam, the target critic, the reward scale.
/// The critic is PPO's value network (value_config, value_input: [obs, a_prev, 2 t / N - 1]) and
/// predicts the scaled discounted cost to go (@note cost, not reward: lower is better).
class ShacLearner : public Learner {
public:
    /// The policy's Adam: learning rate shac_lr, global gradient-norm clip clip_norm.
    static policy::AdamConfig policy_adam(const TrainConfig& config);

    /// The critic from (seed, kShacCriticStream), the target equal to it, loss workspaces for
    /// `threads` threads. Throws std::invalid_argument when `policy` is not the MLP head.
    ShacLearner(const sim::Model& model, const Task& task, const TrainConfig& config, const policy::Policy& policy,
                int threads);

    /// One SHAC epoch from ctx.initial: the closed-loop rollouts with their tapes, the policy's
    /// actions plus noise shac_noise x action_limit x eps (eps from (seed, kShacNoiseStream, epoch,
    /// trajectory); the gradient flows through the policy's part); per trajectory the windowed
    /// actor loss (shac_actor_gradient: shac_step_weights in the reward scale before the epoch, the
    /// target critic's value at every window end times gamma^h) and its gradient inside the
    /// windows; one Adam step of ctx.policy on the mean over the successful trajectories divided
    /// by N. Then the reward scale takes the epoch's rewards, and the critic shac_critic_iters
    /// passes of shac_critic_minibatches Adam steps on 1/(2M) sum (V - y)^2 with TD(lambda)
    /// targets y from the target critic (td_lambda_targets); the target's Polyak step. Reports
    /// train_return (of the noisy rollouts), fit_loss (the mean actor loss per step),
    /// gradient_norm, value_loss.
    EpochStats epoch(int epoch, const EpochContext& ctx) override;

    const policy::Mlp& critic() const { return m_critic; }
    const policy::Mlp& target() const { return m_target; }
    const RewardScaler& scaler() const { return m_scaler; }

    /// The checkpoint state {"critic", "critic_adam", "target", "reward_scale"}.
    nlohmann::json state_json() const override;
    /// Restores state_json() (sizes must match this learner's).
    void restore(const common::JsonNode& node) override;

private:
    const sim::Model* m_model;
    const Task* m_task;
    TrainConfig m_config;
    ObservationMap m_critic_map; ///< the critic's input: the whole state (state_observation_map)
    policy::Mlp m_critic, m_target;
    policy::Adam m_critic_adam;
    RewardScaler m_scaler;
    std::vector<PpoLossWorkspace> m_ws;
    // per-epoch buffers
    std::vector<ClosedLoopRollout> m_rollouts;
    std::vector<Eigen::VectorXd> m_gradients, m_rewards;
    std::vector<Eigen::MatrixXd> m_critic_obs; // per trajectory: the critic's observation of z_0..z_{N-1}
    PpoSamples m_data;
};

/// SHAC's critic: PPO's value network (value_config) on the whole state (state_observation_map:
/// every node, not only the policy's observation) with its last layer scaled by
/// kShacCriticLastLayerScale, so the initial values and their gradients are near 0 until the
/// critic has learnt.
policy::MlpConfig shac_critic_config(const sim::Model& model, const Task& task, const TrainConfig& config);
inline constexpr double kShacCriticLastLayerScale = 0.01;

/// The weights of the costs c_0..c_N (N + 1) in SHAC's actor loss with windows of h steps:
/// scale gamma^(t - t0) for step t of the window starting at t0, and c_N weighed as c_{N-1} (the
/// terminal cost is part of the last step's).
Eigen::VectorXd shac_step_weights(int horizon, int window, double gamma, double scale);

/// SHAC's actor loss and gradient for one lockstep batch of rollouts made by closed_loop_rollouts
/// with keep_tape and the same `ws`: for each successful trajectory b
///   L_b = sum_{t<N} weight_t c_t + weight_N c_N + end_weight sum_e V(value_input(O_c(z_{t_e}), a_{t_e - 1}, t_e))
/// over the window ends t_e = h, 2h, ... < N into loss[b], and the sum over the trajectories of
/// their gradients inside the windows (closed_loop_gradient with WindowValues) into d_params.
/// `critic` is a value network of shac_critic_config on `critic_map`'s observation O_c (the
/// policy observes `obs_map`); `failures` as closed_loop_gradient's. Returns
/// the number of trajectories summed.
int shac_actor_gradient(std::span<sim::Simulator* const> sims, const policy::Policy& policy,
                        const ObservationMap& obs_map, const ObservationMap& critic_map, const Task& task,
                        const QuadraticCost& cost, const policy::Mlp& critic, const Eigen::VectorXd& weight,
                        double end_weight, int window, std::span<const ClosedLoopRollout> rollouts,
                        ClosedLoopWorkspace& ws, policy::MlpWorkspace& critic_ws, Eigen::VectorXd& d_params,
                        std::span<double> loss, std::vector<std::string>& failures);

/// TD(lambda) targets of one episode of N steps with per-step costs c_0..c_{N-1} (the terminal
/// cost in the last) and values V_0..V_{N-1} (V_N = 0: the task ends):
///   y_{N-1} = c_{N-1},   y_t = c_t + gamma ((1 - lambda) V_{t+1} + lambda y_{t+1}).
void td_lambda_targets(const Eigen::VectorXd& costs, const Eigen::VectorXd& values, double gamma, double lambda,
                       Eigen::VectorXd& targets);

/// Stream indices of SHAC's seeds.
inline constexpr std::uint64_t kShacCriticStream = 0x5ac4;
inline constexpr std::uint64_t kShacFitStream = 0x5ac5;
inline constexpr std::uint64_t kShacNoiseStream = 0x5ac6;

} // namespace podsim::pods
