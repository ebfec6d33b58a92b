#pragma once
// PPO (Schulman et al. 2017), the model-free baseline (docs/training.md): the deterministic
// policy (MLP or NDP head) is the mean of a Gaussian with a learned state-independent log-std per
// action dimension; a value network V(o, a_prev, t/N) gives GAE(lambda) advantages over the
// decisions of every rollout; the clipped surrogate is minimised with Adam over minibatch passes.
// One PPO sample is one decision (the NDP head's whole k-step plan). `evaluate` and `rollout` run
// the mean. Deterministic for any thread count: noise from (seed, epoch, trajectory), sums in
// fixed chunk order.

#include "pods/task/cost.hpp"
#include "pods/task/observation.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/advantage.hpp"
#include "pods/train/closed_loop.hpp"
#include "pods/train/epoch_stats.hpp"
#include "pods/train/learner.hpp"
#include "pods/train/ppo_loss.hpp"
#include "pods/train/regression.hpp"
#include "pods/train/train_config.hpp"
#include "pods/train/workers.hpp"
#include "policy/adam.hpp"
#include "policy/mlp.hpp"
#include "policy/policy.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <span>
#include <vector>

namespace podsim::pods {

/// What PPO learns besides the policy: log-std, value network, their optimisers, the reward scale.
class PpoLearner : public Learner {
public:
    /// The policy's Adam: learning rate ppo_lr (its gradient is clipped jointly with the log-std's
    /// to ppo_max_grad_norm, not by Adam).
    static policy::AdamConfig policy_adam(const TrainConfig& config);

    /// Log-std log(ppo_std_init * action_limit), the value network from config.seed, loss
    /// workspaces for `threads` threads and policies of the type of `policy`.
    PpoLearner(const sim::Model& model, const Task& task, const TrainConfig& config, const policy::Policy& policy,
               int threads);

    /// One PPO epoch from `initial`: noisy closed-loop rollouts, advantages, ppo_epochs passes of
    /// minibatch Adam steps on `policy` (optimiser `adam`), the log-std and the value network.
    /// With `extra` (H-NDP's pull) its gradient at each minibatch's decisions is added to the
    /// policy's before clipping.
    EpochStats epoch(int epoch, const std::vector<sim::State>& initial, policy::Policy& policy, policy::Adam& adam,
                     Workers& workers, const ObservationMap& obs_map, const QuadraticCost& cost,
                     const FitExtraLoss& extra = {});
    /// The epoch above from ctx.initial on ctx.policy (optimiser ctx.adam), without extra loss.
    EpochStats epoch(int epoch, const EpochContext& ctx) override;

    const Eigen::VectorXd& log_std() const { return m_log_std; }
    const policy::Mlp& value() const { return m_value; }

    /// The checkpoint state {"log_std", "log_std_adam", "value", "value_adam", "reward_scale"}.
    nlohmann::json state_json() const override;
    /// Restores state_json() (sizes must match this learner's).
    void restore(const common::JsonNode& node) override;

    /// The value network's input of a decision at step t: [obs, a_prev, 2 t / N - 1], its scale
    /// fixed by the task like the policy's.
    void value_input(const Eigen::Ref<const Eigen::VectorXd>& obs, const Eigen::Ref<const Eigen::VectorXd>& hv, int t,
                     Eigen::Ref<Eigen::VectorXd> out) const;

private:
    const sim::Model* m_model;
    const Task* m_task;
    TrainConfig m_config;
    Eigen::VectorXd m_log_std;
    policy::Adam m_log_std_adam;
    policy::Mlp m_value;
    policy::Adam m_value_adam;
    RewardScaler m_scaler;
    std::vector<PpoLossWorkspace> m_ws;
    // per-epoch buffers
    std::vector<ClosedLoopRollout> m_rollouts;
    std::vector<Eigen::MatrixXd> m_eps, m_noise;
    PpoSamples m_data;
};

/// Per-decision rewards of a closed-loop rollout: r_j = -sum of c_t over the steps of decision j
/// (plan length k), the terminal cost c_N in the last one.
Eigen::VectorXd decision_rewards(const sim::Model& model, const Task& task, const ClosedLoopRollout& rollout, int k);

/// PPO's value network on [obs, a_prev / action_limit, 2 t / N - 1] (the observation scaled like
/// the policy's): the policy's hidden sizes and activation, linear output, unscaled last layer.
policy::MlpConfig value_config(const sim::Model& model, const Task& task, const TrainConfig& config);

/// The value network's input at step t of a horizon of N steps, before value_config's scale:
/// [obs, a_prev, 2 t / N - 1] (PPO's and SHAC's critics).
void value_input(const Eigen::Ref<const Eigen::VectorXd>& obs, const Eigen::Ref<const Eigen::VectorXd>& hv, int t,
                 int horizon, Eigen::Ref<Eigen::VectorXd> out);

/// Standard normal rows x cols matrices eps[0..count) for the trajectories of epoch `epoch`, matrix i
/// from derive_seed(derive_seed(seed, stream, epoch), stream, i) (column-major draws).
void trajectory_noise(std::uint64_t seed, std::uint64_t stream, int epoch, int count, int rows, int cols,
                      std::vector<Eigen::MatrixXd>& eps);

/// The closed-loop rollouts of one lockstep batch of a model-free epoch: trajectories
/// [begin, begin + count) with `sims` and the thread's workspace `ws` into `out`.
using BatchRollouts = std::function<void(std::span<sim::Simulator* const> sims, int begin, int count,
                                         ClosedLoopWorkspace& ws, std::span<ClosedLoopRollout> out)>;

/// The rollouts of a model-free epoch (PPO, SAC) of `count` trajectories: `run` for every lockstep
/// batch (OpenMP over the batches, spread over the cluster's ranks), the decision rewards (plan
/// length k) of every successful trajectory, and every trajectory's decisions and rewards shared
/// with every rank (not its states). Returns the successful trajectories in order; adds to `stats`
/// sim_steps, rollout_cpu_s, failed and failures, and sets train_return to their mean return.
std::vector<int> rewarded_rollouts(Workers& workers, const sim::Model& model, const Task& task, int count, int k,
                                   const BatchRollouts& run, std::vector<ClosedLoopRollout>& rollouts,
                                   std::vector<Eigen::VectorXd>& rewards, EpochStats& stats);

/// Stream indices of PPO's seeds.
inline constexpr std::uint64_t kNoiseStream = 0x9015e;
inline constexpr std::uint64_t kPpoFitStream = 0x9f17;
inline constexpr std::uint64_t kValueStream = 0x7a1e;

} // namespace podsim::pods
