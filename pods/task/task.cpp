// Task: action clamping and validated parsing of the scene's "task" object.
#include "pods/task/task.hpp"

#include "common/limits.hpp"

#include <algorithm>

namespace podsim::pods {

Eigen::MatrixXd Task::clamp(const Eigen::MatrixXd& a) const
{
    return a.cwiseMax(-action_limit).cwiseMin(action_limit);
}

int max_horizon(const sim::Model& model)
{
    const std::int64_t per_step = 4 * std::int64_t(model.n_x() + model.n_p());
    return int(std::min<std::int64_t>(common::kMaxHorizon, common::kMaxRolloutDoubles / per_step - 1));
}

namespace {

int free_node(const common::JsonNode& n, const sim::Model& model)
{
    const int i = model.find_node(n.string());
    if (i < 0) n.fail_value("no node has this name");
    if (model.nodes[std::size_t(i)].role != sim::Role::kFree) n.fail_value("must name a free node");
    return i;
}

// one point for all, or one point per item
Eigen::MatrixXd points(const common::JsonNode& n, int dim, int count, const char* per)
{
    Eigen::MatrixXd out(dim, count);
    if (n.is_array() && n.size() > 0 && n[0].is_array()) {
        if (int(n.size()) != count)
            n.fail_value("must be one point or a list of " + std::to_string(count) + " points (one per " + per + ")");
        for (int k = 0; k < count; ++k) out.col(k) = n[std::size_t(k)].vector(dim);
    } else {
        const Eigen::VectorXd p = n.vector(dim);
        out.colwise() = p;
    }
    return out;
}

CostWeights weights(const common::JsonNode& n, bool terminal)
{
    CostWeights w;
    if (terminal) {
        n.allow_keys({"p", "x", "v"});
        if (n.has("p")) w.p = n["p"].non_negative();
        if (n.has("x")) w.x = n["x"].non_negative();
        if (n.has("v")) w.v = n["v"].non_negative();
    } else {
        n.allow_keys({"p", "x", "v", "a"});
        w.p = n["p"].non_negative();
        w.x = n["x"].non_negative();
        w.v = n["v"].non_negative();
        w.a = n["a"].non_negative();
    }
    return w;
}

InitialStateSpec initial_state(const common::JsonNode& n, const sim::Model& model)
{
    InitialStateSpec s;
    const std::string kind = n["kind"].choice({"nominal", "swing", "perturb"});
    if (kind == "nominal") {
        n.allow_keys({"kind"});
    } else if (kind == "swing") {
        n.allow_keys({"kind", "angle", "angular_velocity"});
        s.kind = InitialStateKind::kSwing;
        if (model.n_handles == 0) n["kind"].fail_value("swing rotates about the first handle, and the scene has none");
        s.angle = n["angle"].range();
        s.angular_velocity = n["angular_velocity"].range();
    } else {
        n.allow_keys({"kind", "nodes", "position", "velocity"});
        s.kind = InitialStateKind::kPerturb;
        const common::JsonNode nodes = n["nodes"];
        if (nodes.size() == 0) nodes.fail_value("must list at least one free node");
        for (std::size_t k = 0; k < nodes.size(); ++k) {
            const int i = free_node(nodes[k], model);
            if (std::find(s.nodes.begin(), s.nodes.end(), i) != s.nodes.end()) nodes[k].fail_value("is listed twice");
            s.nodes.push_back(i);
        }
        s.position = n.has("position") ? n["position"].non_negative() : 0.0;
        s.velocity = n.has("velocity") ? n["velocity"].non_negative() : 0.0;
    }
    return s;
}

} // namespace

Task parse_task(const common::JsonNode& n, const sim::Model& model)
{
    n.allow_keys({"horizon", "payload", "target", "handle_target", "weights", "terminal_weights",
                  "action_limit", "initial_state"});
    const int d = model.dim;
    Task t;
    t.horizon = int(n["horizon"].integer_in(1, common::kMaxHorizon));
    if (t.horizon > max_horizon(model))
        n["horizon"].fail_value("must be <= " + std::to_string(max_horizon(model)) +
                                " for this scene (horizon x state size is limited to " +
                                std::to_string(common::kMaxRolloutDoubles) + " stored numbers)");

    const common::JsonNode payload = n["payload"];
    if (payload.size() == 0) payload.fail_value("must list at least one free node");
    for (std::size_t k = 0; k < payload.size(); ++k) {
        const int i = free_node(payload[k], model);
        for (int other : t.payload)
            if (other == i) payload[k].fail_value("is listed twice");
        t.payload.push_back(i);
    }
    t.target = points(n["target"], d, int(t.payload.size()), "payload node");

    t.handle_target.resize(d, model.n_handles);
    for (int h = 0; h < model.n_handles; ++h)
        t.handle_target.col(h) = model.nodes[std::size_t(model.first_handle() + h)].position.head(d);
    if (n.has("handle_target")) {
        if (model.n_handles == 0) n["handle_target"].fail("the scene has no handles");
        t.handle_target = points(n["handle_target"], d, model.n_handles, "handle");
    }

    t.weights = weights(n["weights"], false);
    t.terminal_weights = t.weights;
    t.terminal_weights.a = 0;
    if (n.has("terminal_weights")) t.terminal_weights = weights(n["terminal_weights"], true);
    t.action_limit = n["action_limit"].positive();
    if (n.has("initial_state")) t.initial_state = initial_state(n["initial_state"], model);
    return t;
}

} // namespace podsim::pods
