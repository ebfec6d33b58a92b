#pragma once
// One training run's state (PODS paper Algorithm 1; docs/training.md): the policy, its Adam, the
// per-thread workers, the test bed and the method's Learner (pods/train/learner_registry.hpp),
// which runs the epochs. Deterministic for any thread count: initial states come from (seed,
// epoch, index), per-trajectory results are combined in index order; the same holds for any
// number of MPI ranks (pods/train/cluster.hpp).

#include "pods/task/cost.hpp"
#include "pods/task/observation.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/epoch_stats.hpp"
#include "pods/train/evaluation.hpp"
#include "pods/train/learner.hpp"
#include "pods/train/learner_registry.hpp"
#include "pods/train/train_config.hpp"
#include "pods/train/workers.hpp"
#include "policy/adam.hpp"
#include "policy/policy.hpp"

#include <memory>
#include <vector>

namespace podsim::pods {

class Trainer {
public:
    /// A fresh run: the initial policy from config.seed, a new Adam, the method's learner. Throws
    /// std::invalid_argument (validate_train_config) before building anything when the
    /// configuration is invalid. `threads` OpenMP threads per process; the epochs' trajectories
    /// are spread over `cluster` (every rank of it must make the same Trainer and call the same
    /// methods in the same order).
    Trainer(const Scene& scene, const TrainConfig& config, int threads, const Cluster& cluster = Cluster());

    const TrainConfig& config() const { return m_config; }
    /// The method's registry entry (name, checkpoint key, ...).
    const LearnerEntry& method() const { return *m_method; }
    const policy::Policy& policy() const { return *m_policy; }
    const policy::Adam& adam() const { return m_adam; }
    /// Restores a checkpoint (same architecture as the configuration builds; throws
    /// std::invalid_argument with policy_mismatch's reason otherwise).
    void restore(std::unique_ptr<policy::Policy> policy, policy::Adam adam);
    /// Empty when `p` has the type and shape (observations, actions, plan length, parameters) of
    /// the policy the configuration builds, otherwise both described.
    std::string policy_mismatch(const policy::Policy& p) const;
    /// The method's learner (PPO's log-std and value network, H-NDP's regions and local policies
    /// through their classes; policy() is H-NDP's global).
    const Learner& learner() const { return *m_learner; }
    /// The learner's state besides the policy for the checkpoint (null when it keeps none), and
    /// its restore.
    nlohmann::json learner_state() const { return m_learner->state_json(); }
    void restore_learner(const common::JsonNode& node) { m_learner->restore(node); }

    /// Epoch `epoch` (0-based: its initial states and minibatches derive from it).
    EpochStats run_epoch(int epoch);
    /// The current policy on the run's test bed.
    EvaluationSummary evaluate();
    /// The current policy on the run's validation states (config.validation > 0; empty otherwise).
    EvaluationSummary validate();

private:
    const Scene* m_scene;
    TrainConfig m_config;
    const LearnerEntry* m_method;
    QuadraticCost m_cost;
    ObservationMap m_obs;
    std::unique_ptr<policy::Policy> m_policy;
    policy::Adam m_adam;
    Workers m_workers;
    std::vector<sim::State> m_test_bed;
    std::vector<sim::State> m_validation;
    std::vector<std::unique_ptr<policy::PolicyWorkspace>> m_fit_ws; // one per thread
    std::unique_ptr<Learner> m_learner;
};

/// The `config.batch` training initial states of epoch `epoch`: state i from the seed
/// derive_seed(derive_seed(config.seed, kTrainStream, epoch), kTrainStream, i).
std::vector<sim::State> training_states(const Scene& scene, const TrainConfig& config, int epoch);

/// The `config.validation` validation states: state i from the seed
/// derive_seed(derive_seed(config.seed, kValidationStream, 0), kValidationStream, i).
std::vector<sim::State> validation_states(const Scene& scene, const TrainConfig& config);

} // namespace podsim::pods
