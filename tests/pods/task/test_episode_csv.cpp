// Episode CSV files: exact round trip of numbers, row layout, terminal reward row, springs, action files.
#include "pods/task/episode_csv.hpp"
#include "pods/task/scene.hpp"
#include "tests/paths.hpp"
#include "tests/scratch.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>
#include <vector>

using namespace podsim;
using podsim::test::source_path;

namespace {

std::vector<std::vector<std::string>> rows(const std::string& csv)
{
    std::vector<std::vector<std::string>> out;
    std::istringstream in(csv);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::istringstream ls(line);
        std::string field;
        while (std::getline(ls, field, ',')) f.push_back(field);
        out.push_back(f);
    }
    return out;
}

pods::Scene pendulum() { return pods::load_scene(source_path("scenes/pendulum_2d_stop.json")); }

} // namespace

TEST_CASE("episode_csv: states, actions and rewards round-trip exactly")
{
    const pods::Scene s = pendulum();
    sim::Simulator simulator(s.model);
    Eigen::MatrixXd actions(2, 5);
    actions << 0.1, -0.3, 5.0, 0.0, 1.0 / 3.0, 0.2, 0.0, -7.0, 0.5, 0.25;
    int clamped = -1;
    const pods::Episode e = pods::run_episode(simulator, s.task, sim::nominal_state(s.model), actions, &clamped);
    CHECK(clamped == 2);
    CHECK(e.actions(0, 2) == 2.0);
    CHECK(e.actions(1, 2) == -2.0);

    std::string states = pods::kStatesHeader, acts = pods::kActionsHeader, rewards = pods::kRewardsHeader;
    pods::append_states_csv(states, s.model, e, 3);
    pods::append_actions_csv(acts, s.model, e, 3);
    pods::append_rewards_csv(rewards, e, 3);

    const auto st = rows(states);
    REQUIRE(st.size() == 1 + 6 * 2);
    CHECK(st[0].size() == 11);
    // file order: handle first, then bob; values parse back bit-exactly
    CHECK(st[1][3] == "handle");
    CHECK(st[2][3] == "bob");
    CHECK(st[2][4] == "free");
    for (int t = 0; t <= 5; ++t) {
        const auto& bob = st[std::size_t(2 + 2 * t)];
        CHECK(bob[0] == "3");
        CHECK(std::stoi(bob[1]) == t);
        CHECK(std::strtod(bob[5].c_str(), nullptr) == e.states[std::size_t(t)].x[0]);
        CHECK(std::strtod(bob[6].c_str(), nullptr) == e.states[std::size_t(t)].x[1]);
        CHECK(std::strtod(bob[9].c_str(), nullptr) == e.states[std::size_t(t)].v[1]);
        CHECK(bob[7] == "0");
        const auto& handle = st[std::size_t(1 + 2 * t)];
        CHECK(std::strtod(handle[5].c_str(), nullptr) == e.states[std::size_t(t)].p[0]);
        if (t > 0) CHECK(std::strtod(handle[8].c_str(), nullptr) == e.actions(0, t - 1));
    }

    const auto ac = rows(acts);
    REQUIRE(ac.size() == 1 + 5);
    CHECK(std::strtod(ac[5][3].c_str(), nullptr) == 1.0 / 3.0);

    const auto rw = rows(rewards);
    REQUIRE(rw.size() == 1 + 6); // N steps + terminal row
    CHECK(rw.back()[1] == "5");
    double sum = 0;
    for (std::size_t r = 1; r < rw.size(); ++r) sum += std::strtod(rw[r][2].c_str(), nullptr);
    CHECK(sum == doctest::Approx(-e.total_cost()).epsilon(1e-14));
    CHECK(std::strtod(rw.back()[6].c_str(), nullptr) == 0.0); // no action term at the end

    // the written actions read back as the same matrix
    const auto dir = test::scratch_dir("csv");
    test::write_text(dir / "actions.csv", acts);
    const Eigen::MatrixXd back = pods::read_actions_csv((dir / "actions.csv").string(), s.model, 5);
    CHECK(back == e.actions);
    std::filesystem::remove_all(dir);
}

TEST_CASE("episode_csv: springs.csv names every spring's nodes, a generated rope's included")
{
    const pods::Scene rope = pods::load_scene(source_path("scenes/rope_3d_stop.json"));
    const std::string text = pods::springs_csv(rope.model);
    std::istringstream in(text);
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line)) lines.push_back(line);
    REQUIRE(lines.size() == rope.model.springs.size() + 1);
    CHECK(lines[0] == "a,b,kind");
    // the chain handle -> rope_1 -> ... -> rope_20, each link once
    for (int k = 1; k <= 20; ++k) {
        const std::string link = (k == 1 ? std::string("handle") : "rope_" + std::to_string(k - 1)) + ",rope_" +
                                 std::to_string(k) + ",";
        CHECK(std::count_if(lines.begin(), lines.end(), [&](const std::string& r) { return r.rfind(link, 0) == 0; }) == 1);
    }
    for (std::size_t i = 0; i < rope.model.springs.size(); ++i) {
        const sim::Spring& s = rope.model.springs[i];
        const std::string kind = s.kind == sim::SpringKind::kBilateral ? "bilateral" : "unilateral";
        CHECK(lines[i + 1] == rope.model.nodes[std::size_t(s.i)].name + "," + rope.model.nodes[std::size_t(s.j)].name + "," + kind);
    }
}

TEST_CASE("episode_csv: action files without episode column, missing steps are zero")
{
    const pods::Scene s = pendulum();
    const auto dir = test::scratch_dir("csv");
    test::write_text(dir / "a.csv", "step,handle,ax,ay,az\r\n2,handle,0.5,-1e-3,0\r\n\r\n0,handle,1,2,0\r\n");
    const Eigen::MatrixXd a = pods::read_actions_csv((dir / "a.csv").string(), s.model, 4);
    REQUIRE(a.rows() == 2);
    REQUIRE(a.cols() == 4);
    CHECK(a(0, 0) == 1.0);
    CHECK(a(1, 0) == 2.0);
    CHECK(a(0, 2) == 0.5);
    CHECK(a(1, 2) == -1e-3);
    CHECK(a.col(1).norm() == 0.0);
    CHECK(a.col(3).norm() == 0.0);
    std::filesystem::remove_all(dir);
}

TEST_CASE("episode_csv: control characters in a quoted field stay one line in the error")
{
    // found by tests/fuzz/fuzz_actions_csv (tests/fuzz/regressions/): a header holding a carriage
    // return and NUL bytes was quoted raw, so the message broke the line and ended at the NUL
    const pods::Scene s = pendulum();
    const std::string text("\r\0\0\0B50\0\0\0\0\0", 12); // the input after its first byte
    CHECK_THROWS_WITH_AS(pods::parse_actions_csv(text, "a.csv", s.model, 4),
                         "a.csv: line 1: header must be \"step,handle,ax,ay,az\" (optionally with \"episode,\" first), "
                         "got \"\\r\\x00\\x00\\x00B50\\x00\\x00\\x00\\x00\\x00\"",
                         common::InputError);
    CHECK_THROWS_WITH_AS(pods::parse_actions_csv("step,handle,ax,ay,az\n0,hand\rle,0,0,0\n", "a.csv", s.model, 4),
                         "a.csv: line 2, column handle: got \"hand\\rle\", must be the name of a handle",
                         common::InputError);
}
