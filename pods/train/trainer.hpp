#pragma once
// One training run's state and its epochs (PODS paper Algorithm 1; docs/training.md): PODS
// (closed-loop rollouts, box-aware improvement of every trajectory, regression), BPTT (gradient
// of the mean cost through the closed loop, Adam), PPO (pods/train/ppo.hpp) or H-NDP
// (pods/hndp/reinforcement.hpp). Deterministic for any thread count: initial
// states come from (seed, epoch, index), per-trajectory results are combined in index order; the
// same holds for any number of MPI ranks (pods/train/cluster.hpp).

#include "pods/hndp/reinforcement.hpp"
#include "pods/task/cost.hpp"
#include "pods/task/observation.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/closed_loop.hpp"
#include "pods/train/epoch_stats.hpp"
#include "pods/train/evaluation.hpp"
#include "pods/train/pods_rollouts.hpp"
#include "pods/train/ppo.hpp"
#include "pods/train/regression.hpp"
#include "pods/train/train_config.hpp"
#include "pods/train/workers.hpp"
#include "policy/adam.hpp"
#include "policy/policy.hpp"

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace podsim::pods {

class Trainer {
public:
    /// A fresh run: the initial policy from config.seed, a new Adam. Throws std::invalid_argument
    /// (validate_train_config) before building anything when the configuration is invalid.
    /// `threads` OpenMP threads per process; the epochs' trajectories are spread over `cluster`
    /// (every rank of it must make the same Trainer and call the same methods in the same order).
    Trainer(const Scene& scene, const TrainConfig& config, int threads, const Cluster& cluster = Cluster());

    const TrainConfig& config() const { return m_config; }
    const policy::Policy& policy() const { return *m_policy; }
    const policy::Adam& adam() const { return m_adam; }
    /// Restores a checkpoint (same architecture as the configuration builds).
    void restore(std::unique_ptr<policy::Policy> policy, policy::Adam adam);
    /// PPO: the learner's state besides the policy (log-std, value network, reward scale) for the
    /// checkpoint, and its restore; H-NDP: the local policies; null / not called for the other
    /// methods.
    nlohmann::json learner_state() const;
    void restore_learner(const common::JsonNode& node);
    /// PPO: the learner (null for the other methods).
    const PpoLearner* ppo() const { return m_ppo.get(); }
    /// H-NDP: the regions and local policies (null for the other methods); policy() is the global.
    const hndp::HndpLearner* hndp() const { return m_hndp.get(); }

    /// Epoch `epoch` (0-based: its initial states and minibatches derive from it).
    EpochStats run_epoch(int epoch);
    /// The current policy on the run's test bed.
    EvaluationSummary evaluate();

private:
    EpochStats pods_epoch(int epoch);
    /// config.fit_guard: checks the refitted policy against the one before the fit (`before`, its
    /// Adam `adam_before`) on the epoch's initial states; halves the change or reverts it.
    void guard_fit(std::span<const sim::State> initial, const Eigen::VectorXd& before, const policy::Adam& adam_before,
                   EpochStats& s);
    EpochStats bptt_epoch(int epoch);
    std::vector<sim::State> training_states(int epoch) const;

    const Scene* m_scene;
    TrainConfig m_config;
    QuadraticCost m_cost;
    ObservationMap m_obs;
    std::unique_ptr<policy::Policy> m_policy;
    policy::Adam m_adam;
    Workers m_workers;
    std::vector<sim::State> m_test_bed;
    std::vector<std::unique_ptr<policy::PolicyWorkspace>> m_fit_ws; // one per thread
    std::unique_ptr<PpoLearner> m_ppo;
    std::unique_ptr<hndp::HndpLearner> m_hndp;
    // per-trajectory buffers, reused across epochs
    std::vector<ClosedLoopRollout> m_rollouts;
    std::vector<PodsGroupResult> m_groups;
    std::vector<PodsGroupResult> m_guard; // fit_guard's check rollouts
    std::vector<Eigen::VectorXd> m_gradients;
};

/// Stream indices of the training seeds.
inline constexpr std::uint64_t kTrainStream = 0x7a1;
inline constexpr std::uint64_t kFitStream = 0xf17;

} // namespace podsim::pods
