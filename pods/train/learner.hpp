#pragma once
// The interface every training method implements (docs/training.md, "Methods"): one epoch on the
// run's shared state, and the method's checkpoint state besides the policy and its Adam. The
// methods are listed, with their factories, in pods/train/learner_registry.hpp.

#include "common/json_node.hpp"
#include "pods/task/cost.hpp"
#include "pods/task/observation.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/epoch_stats.hpp"
#include "pods/train/train_config.hpp"
#include "pods/train/workers.hpp"
#include "policy/adam.hpp"
#include "policy/policy.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace podsim::pods {

/// What an epoch works on: the run's shared state, owned by the Trainer, valid for one epoch.
struct EpochContext {
    const Scene& scene;
    const TrainConfig& config;
    policy::Policy& policy;   ///< the policy the run trains (H-NDP: the global one)
    policy::Adam& adam;       ///< its optimiser (the method's learner_registry adam config)
    Workers& workers;         ///< per-thread simulators and workspaces, the cluster
    const ObservationMap& obs;
    const QuadraticCost& cost;
    /// one policy workspace per thread, for the regression
    const std::vector<std::unique_ptr<policy::PolicyWorkspace>>& fit_ws;
    /// the epoch's `batch` training initial states, from (seed, kTrainStream, epoch, index)
    const std::vector<sim::State>& initial;
};

/// One training method: what it keeps across epochs besides the policy and its Adam, and its epoch.
class Learner {
public:
    virtual ~Learner() = default;

    /// Epoch `epoch` (0-based: its random draws derive from it) on `ctx`: updates ctx.policy and
    /// ctx.adam (and the learner's own state). Deterministic for any thread and rank count.
    virtual EpochStats epoch(int epoch, const EpochContext& ctx) = 0;

    /// The checkpoint state besides the policy and its Adam (policy.json's "training" entry under
    /// the method's checkpoint key); null when the method keeps none.
    virtual nlohmann::json state_json() const { return nullptr; }
    /// Restores state_json(); nothing to do when the method keeps none.
    virtual void restore(const common::JsonNode&) {}
};

/// Stream indices of the training seeds: the epochs' initial states and the regression's minibatches.
inline constexpr std::uint64_t kTrainStream = 0x7a1;
inline constexpr std::uint64_t kFitStream = 0xf17;
/// Stream index of the validation states (TrainConfig::validation).
inline constexpr std::uint64_t kValidationStream = 0x7a11d;

} // namespace podsim::pods
