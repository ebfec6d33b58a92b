// Initial-state samplers: determinism, rigid rotation (spring lengths kept), ranges.
#include "pods/task/initial_state.hpp"
#include "pods/task/scene.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>

#include <Eigen/Geometry>

#include <algorithm>
#include <cmath>

using namespace podsim;
using podsim::test::source_path;

namespace {

pods::Scene chain(int dim, const char* sampler)
{
    nlohmann::json j = nlohmann::json::parse(R"({
      "dt": 0.01,
      "nodes": [{"name": "h", "role": "handle", "position": [0.1, 0.2, 0.3]}],
      "ropes": [{"name": "r", "from": "h", "to": [0.5, -1.0, 0.2], "segments": 4, "mass": 0.1, "stiffness": 1000}],
      "task": {"horizon": 10, "payload": ["r_4"], "target": [0, 0, 0],
               "weights": {"p": 0, "x": 0, "v": 1, "a": 0}, "action_limit": 1}
    })");
    j["dim"] = dim;
    if (dim == 2) {
        j["nodes"][0]["position"] = {0.1, 0.2};
        j["ropes"][0]["to"] = {0.5, -1.0};
        j["task"]["target"] = {0, 0};
    }
    j["task"]["initial_state"] = nlohmann::json::parse(sampler);
    return pods::parse_scene(j, "chain.json");
}

double distance(const sim::Model& m, const sim::State& z, int i, int j)
{
    const int d = m.dim;
    auto pos = [&](int k) -> Eigen::VectorXd {
        return k < m.n_free ? Eigen::VectorXd(z.x.segment(k * d, d)) : Eigen::VectorXd(z.p.segment((k - m.n_free) * d, d));
    };
    return (pos(i) - pos(j)).norm();
}

} // namespace

TEST_CASE("initial_state: swing is a rigid rotation about the first handle, deterministic per seed")
{
    for (int dim : {2, 3}) {
        const pods::Scene s = chain(dim, R"({"kind": "swing", "angle": [-1, 1], "angular_velocity": [-2, 2]})");
        const sim::Model& m = s.model;
        const sim::State nominal = sim::nominal_state(m);
        const sim::State a = pods::sample_initial_state(m, s.task, 42);
        const sim::State b = pods::sample_initial_state(m, s.task, 42);
        const sim::State c = pods::sample_initial_state(m, s.task, 43);
        CHECK(a.x == b.x);
        CHECK(a.v == b.v);
        CHECK(a.x != c.x);
        CHECK((a.x - nominal.x).norm() > 1e-3);
        for (const sim::Spring& sp : m.springs)
            CHECK(std::abs(distance(m, a, sp.i, sp.j) - distance(m, nominal, sp.i, sp.j)) < 1e-12);
        CHECK(a.p == nominal.p);
        // rigid velocity: perpendicular to the arm from the handle, proportional to it
        const int d = m.dim;
        const Eigen::VectorXd centre = a.p.head(d);
        double rate = -1;
        for (int i = 0; i < m.n_free; ++i) {
            const Eigen::VectorXd arm = a.x.segment(i * d, d) - centre;
            const Eigen::VectorXd v = a.v.segment(i * d, d);
            CHECK(std::abs(arm.dot(v)) < 1e-12);
            if (rate < 0) rate = v.norm() / arm.norm();
            CHECK(v.norm() / arm.norm() == doctest::Approx(rate));
        }
        CHECK(rate <= 2.0);
    }
}

TEST_CASE("initial_state: 3D swing rotates about a horizontal axis by an angle within the range")
{
    const pods::Scene s = pods::load_scene(source_path("scenes/double_pendulum_3d_stop.json"));
    const sim::Model& m = s.model;
    const sim::State nominal = sim::nominal_state(m);
    const Eigen::Vector3d centre = nominal.p.head<3>();
    const Eigen::Vector3d a1 = nominal.x.segment<3>(0) - centre, a2 = nominal.x.segment<3>(3) - centre;
    REQUIRE(a1.cross(a2).norm() > 1e-3); // non-collinear arms determine the rotation
    double largest_angle = 0;
    for (std::uint64_t seed = 0; seed < 30; ++seed) {
        const sim::State z = pods::sample_initial_state(m, s.task, seed);
        const Eigen::Vector3d b1 = z.x.segment<3>(0) - centre, b2 = z.x.segment<3>(3) - centre;
        // a rotation moves every point perpendicular to its axis
        const Eigen::Vector3d axis = (b1 - a1).cross(b2 - a2);
        if (axis.norm() < 1e-9) continue; // (almost) no rotation
        CHECK(std::abs(axis.normalized().y()) < 1e-9);
        // the rotation angle from the first arm's component perpendicular to the axis
        const Eigen::Vector3d u = axis.normalized();
        const Eigen::Vector3d p1 = a1 - a1.dot(u) * u, q1 = b1 - b1.dot(u) * u;
        const double angle = std::atan2(p1.cross(q1).norm(), p1.dot(q1));
        CHECK(angle <= 0.6 + 1e-9);
        largest_angle = std::max(largest_angle, angle);
    }
    CHECK(largest_angle > 0.3);
}

TEST_CASE("initial_state: perturb offsets only the listed nodes, within the ranges")
{
    const pods::Scene s = chain(3, R"({"kind": "perturb", "nodes": ["r_2"], "position": 0.05, "velocity": 0.5})");
    const sim::Model& m = s.model;
    const sim::State nominal = sim::nominal_state(m);
    const int k = m.find_node("r_2");
    int moved = 0;
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
        const sim::State z = pods::sample_initial_state(m, s.task, seed);
        const Eigen::VectorXd dx = z.x - nominal.x, dv = z.v - nominal.v;
        CHECK(dx.lpNorm<Eigen::Infinity>() <= 0.05);
        CHECK(dv.lpNorm<Eigen::Infinity>() <= 0.5);
        CHECK(dx.norm() == doctest::Approx(dx.segment(k * 3, 3).norm()));
        moved += dx.norm() > 0;
    }
    CHECK(moved == 20);
}
