// Scene files: every shipped scene loads; generators produce the documented nodes and springs.
#include "pods/task/scene.hpp"
#include "common/input_error.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace podsim;
using podsim::test::source_path;

TEST_CASE("scene: every shipped scene validates")
{
    int loaded = 0;
    for (const auto& entry : std::filesystem::directory_iterator(source_path("scenes"))) {
        if (entry.path().extension() != ".json") continue;
        INFO(entry.path());
        const pods::Scene s = pods::load_scene(entry.path().string());
        CHECK(!s.name.empty());
        CHECK(s.model.n_free > 0);
        ++loaded;
    }
    CHECK(loaded >= 5);
}

TEST_CASE("scene: cloth and rope generators")
{
    const pods::Scene cloth = pods::load_scene(source_path("scenes/cloth_32.json"));
    CHECK(cloth.model.n_nodes() == 1024);
    CHECK(cloth.model.n_handles == 2);
    CHECK(cloth.model.n_x() == 3066);
    // structural 2*32*31 + shear 2*31*31 + bending 2*32*30
    CHECK(cloth.model.springs.size() == std::size_t(1984 + 1922 + 1920));
    // flexural bending elements: 30 triples on each of the 32 lines along u and along v
    CHECK(cloth.model.bends.size() == std::size_t(2 * 32 * 30));
    CHECK(cloth.model.find_node("cloth_31_31") >= 0);
    CHECK(cloth.model.nodes[std::size_t(cloth.model.find_node("cloth_0_0"))].role == sim::Role::kHandle);

    const pods::Scene rope = pods::load_scene(source_path("scenes/rope_3d_stop.json"));
    CHECK(rope.model.n_free == 20);
    CHECK(rope.model.springs.size() == std::size_t(20 + 19));
    const double mass = rope.model.mass.sum() / 3;
    CHECK(mass == doctest::Approx(0.2));
    // all rest lengths equal the initial spacing: the nominal state is at rest
    for (const sim::Spring& s : rope.model.springs) CHECK(s.rest_length > 0.04);
}

TEST_CASE("scene: node order is free, handles, fixed with file order kept")
{
    const pods::Scene s = pods::parse_scene(nlohmann::json::parse(R"({
      "dim": 2, "dt": 0.01,
      "nodes": [
        {"name": "f", "role": "fixed", "position": [1, 0]},
        {"name": "h", "role": "handle", "position": [0, 0]},
        {"name": "a", "mass": 1, "position": [0, -1]}
      ],
      "springs": [{"nodes": ["h", "a"], "stiffness": 100}, {"nodes": ["f", "a"], "stiffness": 100}],
      "task": {"horizon": 10, "payload": ["a"], "target": [0, 0],
               "weights": {"p": 0, "x": 0, "v": 1, "a": 0}, "action_limit": 1}
    })"), "order.json");
    CHECK(s.model.nodes[0].name == "a");
    CHECK(s.model.nodes[1].name == "h");
    CHECK(s.model.nodes[2].name == "f");
    CHECK(s.model.file_order == std::vector<int>{2, 1, 0});
    CHECK(s.model.springs[0].i == 1);
    CHECK(s.model.springs[0].j == 0);
}
