#pragma once
// The training methods (`podsim train --method NAME`, docs/training.md): one table that maps each
// method's name to its learner's factory, the policy's Adam, its checkpoint key and its settings.

#include "pods/task/scene.hpp"
#include "pods/train/learner.hpp"
#include "pods/train/train_config.hpp"
#include "policy/adam.hpp"
#include "policy/policy.hpp"

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace podsim::pods {

/// One training method.
struct LearnerEntry {
    Method method;
    std::string_view name;    ///< --method, config.json's "method" (to_string(method))
    std::string_view summary; ///< a few words for help texts
    /// the key of the learner's state (Learner::state_json) in policy.json's "training"; empty when
    /// the learner keeps none; a learner whose fresh state is null (PODS without a replay) writes
    /// none, and a checkpoint without the key restores nothing
    std::string_view checkpoint_key;
    Head default_head;        ///< the policy head when none is given
    /// the Adam configuration of the policy the run trains
    policy::AdamConfig (*policy_adam)(const TrainConfig& config);
    /// the learner of a run on `scene` with `config`; `policy` is the run's initial policy (its type
    /// sizes the learner's workspaces), `threads` OpenMP threads
    std::unique_ptr<Learner> (*make)(const Scene& scene, const TrainConfig& config, const policy::Policy& policy,
                                     int threads);
    /// the config.json settings the method reads besides the common ones (method, head, epochs,
    /// batch, seeds, test bed, network): method_settings(method) of the settings table
    std::vector<std::string_view> settings;
    /// the method's defaults where they differ from TrainConfig's member initialisers (pods2 and
    /// pods1: the on-policy target; pods2: a replay of 3 epochs, which would cost pods1); null
    /// when none differ
    void (*defaults)(TrainConfig& config) = nullptr;
};

/// Every method, in the order of the help texts.
std::span<const LearnerEntry> learner_entries();
/// The entry of `method`.
const LearnerEntry& learner_entry(Method method);
/// The entry named `name`; throws std::invalid_argument "got \"<name>\", must be one of pods2, ..."
/// otherwise.
const LearnerEntry& learner_entry(std::string_view name);
/// The configuration a run of `method` starts from before the user's settings (`podsim train`,
/// `compare`, Python's podsim.train): TrainConfig's member initialisers, the method, its default
/// head, then the entry's defaults.
TrainConfig method_defaults(Method method);
/// The methods' names, in table order.
std::vector<std::string> learner_names();
/// The names as one text, comma-separated in table order ("pods2, pods1, bptt, ...").
std::string learner_names_text();

} // namespace podsim::pods
