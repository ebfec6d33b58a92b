#pragma once
// JSON save / load of policies (MLP and NDP heads) and of the Adam state: everything needed to
// rebuild and run a policy, round-trip exact (numbers are written with shortest round-trip
// precision). Readers validate like scene files: one-line common::InputError naming file, JSON path,
// value and rule; unknown keys are errors.

#include "policy/adam.hpp"
#include "policy/mlp.hpp"
#include "policy/policy.hpp"
#include "common/json_node.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace podsim::policy {

/// {"inputs", "outputs", "hidden", "activations", "input_scale", "output_limit",
///  "last_layer_scale", "parameters"}
nlohmann::json mlp_to_json(const Mlp& net);
Mlp mlp_from_json(const common::JsonNode& node);

/// {"type": "mlp", ...mlp keys} or {"type": "ndp", ...head keys, "network": {...mlp keys}}. A
/// top-level "training" object (a training checkpoint's state, docs/training.md) is allowed and
/// ignored here.
nlohmann::json policy_to_json(const Policy& policy);
std::unique_ptr<Policy> policy_from_json(const common::JsonNode& node);
std::unique_ptr<Policy> read_policy_json(const std::string& path);
/// Writes policy_to_json atomically (temporary file + rename).
void write_policy_json(const std::string& path, const Policy& policy);

/// {"lr", "beta1", "beta2", "eps", "clip_norm", "steps", "m", "v"}
nlohmann::json adam_to_json(const Adam& adam);
/// `n_params` is the size of the optimised parameter vector (m and v must match it).
Adam adam_from_json(const common::JsonNode& node, int n_params);

} // namespace podsim::policy
