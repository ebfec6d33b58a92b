// Task parsing (defaults, forms of targets) and action clamping.
#include "pods/task/scene.hpp"
#include "common/input_error.hpp"

#include <doctest/doctest.h>

using namespace podsim;

namespace {

nlohmann::json pendulum()
{
    return nlohmann::json::parse(R"({
      "dim": 2, "dt": 0.01,
      "nodes": [
        {"name": "h", "role": "handle", "position": [0, 0]},
        {"name": "a", "mass": 1, "position": [0, -1]},
        {"name": "b", "mass": 1, "position": [0, -2]}
      ],
      "springs": [{"nodes": ["h", "a"], "stiffness": 100}, {"nodes": ["a", "b"], "stiffness": 100}],
      "task": {"horizon": 10, "payload": ["a", "b"], "target": [1, 2],
               "weights": {"p": 1, "x": 2, "v": 3, "a": 4}, "action_limit": 1.5}
    })");
}

} // namespace

TEST_CASE("task: defaults and one-point targets")
{
    const pods::Scene s = pods::parse_scene(pendulum(), "t.json");
    const pods::Task& t = s.task;
    CHECK(t.horizon == 10);
    REQUIRE(t.payload.size() == 2);
    CHECK(s.model.nodes[std::size_t(t.payload[0])].name == "a");
    CHECK(t.target.cols() == 2);
    CHECK(t.target(0, 1) == 1.0);
    CHECK(t.target(1, 1) == 2.0);
    // handle target defaults to the initial handle position, terminal weights to the step
    // weights without the action term, the sampler to the nominal state
    CHECK(t.handle_target.col(0).norm() == 0.0);
    CHECK(t.terminal_weights.v == 3.0);
    CHECK(t.terminal_weights.a == 0.0);
    CHECK(t.initial_state.kind == pods::InitialStateKind::kNominal);
}

TEST_CASE("task: per-node targets, terminal weights and clamping")
{
    nlohmann::json j = pendulum();
    j["task"]["target"] = {{1, 2}, {3, 4}};
    j["task"]["terminal_weights"] = {{"v", 7}};
    j["task"]["handle_target"] = {0.5, 0.5};
    const pods::Scene s = pods::parse_scene(j, "t.json");
    CHECK(s.task.target(0, 1) == 3.0);
    CHECK(s.task.terminal_weights.v == 7.0);
    CHECK(s.task.terminal_weights.x == 0.0);
    CHECK(s.task.handle_target(1, 0) == 0.5);
    Eigen::VectorXd a(2);
    a << 3.0, -0.2;
    const Eigen::MatrixXd c = s.task.clamp(a);
    CHECK(c(0, 0) == 1.5);
    CHECK(c(1, 0) == -0.2);
}

TEST_CASE("task: a list of targets must match the payload")
{
    nlohmann::json j = pendulum();
    j["task"]["target"] = {{1, 2}};
    CHECK_THROWS_WITH_AS(pods::parse_scene(j, "t.json"),
                         doctest::Contains("t.json: task.target: got [[1,2]], must be one point or a list of 2 points"),
                         common::InputError);
}
