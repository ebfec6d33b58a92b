// Cost terms against hand-computed values.
#include "pods/task/cost.hpp"
#include "pods/task/scene.hpp"

#include <doctest/doctest.h>

using namespace podsim;

TEST_CASE("cost: step and terminal terms equal the weighted squared norms")
{
    const pods::Scene s = pods::parse_scene(nlohmann::json::parse(R"({
      "dim": 2, "dt": 0.01,
      "nodes": [
        {"name": "h", "role": "handle", "position": [0, 0]},
        {"name": "a", "mass": 1, "position": [0, -1]}
      ],
      "springs": [{"nodes": ["h", "a"], "stiffness": 100}],
      "task": {"horizon": 10, "payload": ["a"], "target": [1, -1], "handle_target": [0, 1],
               "weights": {"p": 2, "x": 3, "v": 5, "a": 7},
               "terminal_weights": {"p": 11, "x": 13, "v": 17}, "action_limit": 1}
    })"), "c.json");
    sim::State z = sim::nominal_state(s.model);
    z.p << 1, 1;   // |p - p*|^2 = 1
    z.x << 0, 1;   // |x - x*|^2 = 1 + 4 = 5
    z.v << 3, 4;   // |v|^2 = 25
    Eigen::VectorXd a(2);
    a << 0.5, -0.5; // |a|^2 = 0.5
    const pods::CostTerms c = pods::step_cost(s.model, s.task, z, a);
    CHECK(c.p == doctest::Approx(2 * 1));
    CHECK(c.x == doctest::Approx(3 * 5));
    CHECK(c.v == doctest::Approx(5 * 25));
    CHECK(c.a == doctest::Approx(7 * 0.5));
    CHECK(c.total() == doctest::Approx(2 + 15 + 125 + 3.5));
    const pods::CostTerms t = pods::terminal_cost(s.model, s.task, z);
    CHECK(t.p == doctest::Approx(11));
    CHECK(t.x == doctest::Approx(13 * 5));
    CHECK(t.v == doctest::Approx(17 * 25));
    CHECK(t.a == 0.0);
}
