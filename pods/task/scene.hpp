#pragma once
// A scene file (scenes/*.json): the physical Model and the control Task, validated up front.

#include "pods/task/task.hpp"
#include "sim/model.hpp"

#include <string>

namespace podsim::pods {

struct Scene {
    std::string file;
    std::string name;
    std::string description;
    sim::Model model;
    Task task;
};

/// Reads and validates a scene file (docs/scene-format.md). Throws common::InputError with
/// "<file>: <json path>: <what and why>" on any problem, unknown keys included.
Scene load_scene(const std::string& path);

/// Same from an already parsed JSON document; `file` is used in messages.
Scene parse_scene(const nlohmann::json& document, const std::string& file);

} // namespace podsim::pods
