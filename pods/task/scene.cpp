// Scene files: top-level key check, then the model and the task.
#include "pods/task/scene.hpp"

#include "sim/model_json.hpp"

namespace podsim::pods {

Scene parse_scene(const nlohmann::json& document, const std::string& file)
{
    const common::JsonNode root(document, file);
    root.allow_keys({"name", "description", "dim", "dt", "gravity", "nodes", "springs", "ropes",
                     "cloths", "contact", "solver", "task"});
    Scene s;
    s.file = file;
    s.name = root.has("name") ? root["name"].string() : std::string();
    s.description = root.has("description") ? root["description"].string() : std::string();
    s.model = sim::parse_model(root);
    s.task = parse_task(root["task"], s.model);
    return s;
}

Scene load_scene(const std::string& path)
{
    return parse_scene(common::read_json_file(path), path);
}

} // namespace podsim::pods
