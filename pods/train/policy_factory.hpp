#pragma once
// The initial policy of a training run for a scene: an MLP or NDP head sized to the task's
// observation and action, its inputs scaled by the task (docs/training.md).

#include "pods/task/task.hpp"
#include "pods/train/train_config.hpp"
#include "policy/policy.hpp"

#include <memory>
#include <string>

namespace podsim::pods {

/// MLP head: a_max tanh(MLP(scale .* obs)); NDP head: the MLP predicts (w, g) of a DMP over the
/// next ndp_horizon steps starting at the handle position (obs entries [0, n_a)) and velocity.
/// Weights from `config.seed`.
std::unique_ptr<policy::Policy> make_policy(const sim::Model& model, const Task& task, const TrainConfig& config);

} // namespace podsim::pods

namespace podsim::pods {

/// Throws InputError "<file>: <what>" when `policy` cannot act on the scene (observation or action
/// size, the NDP head's step h differing from the scene's dt).
void check_policy_fits(const policy::Policy& policy, const sim::Model& model, const Task& task, const std::string& file);

} // namespace podsim::pods
