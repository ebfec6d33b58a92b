#pragma once
// Reading the physical part of a scene file (dim, dt, gravity, nodes, springs, ropes, cloths,
// contact, solver) into a Model, with every value validated (docs/scene-format.md lists the keys).

#include "common/json_node.hpp"
#include "sim/model.hpp"

namespace podsim::sim {

/// Builds the Model from a scene's top-level object. Throws common::InputError naming the file, the JSON
/// path, the value and the rule on any invalid input.
Model parse_model(const common::JsonNode& root);

} // namespace podsim::sim
