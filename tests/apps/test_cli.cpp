// Command-line behaviour of `podsim`: help, exit codes, outputs.
#include "tests/apps/run_podsim.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <random>
#include <sstream>

using podsim::test::run_podsim;

TEST_CASE("cli: every command has --help and exits 0")
{
    for (const char* cmd : {"", "validate", "simulate", "sensitivity", "bench", "train", "evaluate", "rollout", "compare"}) {
        const auto r = run_podsim(std::string(cmd) + " --help");
        INFO(cmd);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Usage") != std::string::npos);
    }
}

TEST_CASE("cli: unknown options are usage errors with exit 2")
{
    const auto r = run_podsim("simulate --no-such-option x.json");
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("podsim: error: ", 0) == 0);
}

// ---------------------------------------------------------------------------------------------
// bad input: every broken scene or action file gives exit 2 and a one-line message naming the
// file, the location and the rule

#include <nlohmann/json.hpp>

#include <functional>
#include <vector>

namespace {

using podsim::test::scratch_dir;
using podsim::test::source_path;
using podsim::test::write_text;

nlohmann::json good_scene()
{
    return nlohmann::json::parse(
        podsim::test::read_text(source_path("scenes/pendulum_2d_stop.json")));
}

struct SceneCase {
    const char* what;
    std::function<void(nlohmann::json&)> mutate;
    const char* message; // expected after "podsim: error: <file>: "
};

const std::vector<SceneCase>& scene_cases()
{
    using J = nlohmann::json;
    static const std::vector<SceneCase> cases = {
        {"unknown top-level key", [](J& j) { j["dimm"] = 2; }, "dimm: unknown key \"dimm\" (did you mean \"dim\"?)"},
        {"dim out of range", [](J& j) { j["dim"] = 4; }, "dim: got 4, must be in [2, 3]"},
        {"dim not integer", [](J& j) { j["dim"] = 2.5; }, "dim: got 2.5, must be an integer"},
        {"dt zero", [](J& j) { j["dt"] = 0; }, "dt: got 0, must be in [1e-06, 1]"},
        {"dt as string", [](J& j) { j["dt"] = "0.01"; }, "dt: got \"0.01\", must be a number"},
        {"gravity size", [](J& j) { j["gravity"] = {0, -9.81, 0}; }, "gravity: got [0,-9.81,0], must be an array of 2 numbers"},
        {"negative mass", [](J& j) { j["nodes"][1]["mass"] = -1; }, "nodes[1].mass: got -1, must be > 0"},
        {"missing mass", [](J& j) { j["nodes"][1].erase("mass"); }, "nodes[1]: missing required key \"mass\""},
        {"mass on a handle", [](J& j) { j["nodes"][0]["mass"] = 1; }, "nodes[0].mass: only free nodes take a mass"},
        {"velocity on a handle", [](J& j) { j["nodes"][0]["velocity"] = {1, 0}; }, "nodes[0].velocity: only free nodes take a velocity"},
        {"duplicate node", [](J& j) { j["nodes"][1]["name"] = "handle"; }, "nodes[1].name: got \"handle\", duplicate node name"},
        {"bad role", [](J& j) { j["nodes"][0]["role"] = "wobbly"; }, "nodes[0].role: got \"wobbly\", must be one of \"free\", \"handle\", \"fixed\""},
        {"comma in name", [](J& j) { j["nodes"][1]["name"] = "b,ob"; }, "nodes[1].name: got \"b,ob\", must not contain commas"},
        {"position size", [](J& j) { j["nodes"][1]["position"] = {0}; }, "nodes[1].position: got [0], must be an array of 2 numbers"},
        {"huge number", [](J& j) { j["nodes"][1]["position"][0] = 1e308 * 10; }, "nodes[1].position[0]: got null, must be a number"},
        {"no free node", [](J& j) { j["nodes"][1]["role"] = "fixed"; j["nodes"][1].erase("mass"); j["nodes"][1].erase("velocity"); }, "nodes: the scene needs at least one free node"},
        {"spring stiffness", [](J& j) { j["springs"][0]["stiffness"] = -5; }, "springs[0].stiffness: got -5, must be > 0"},
        {"spring typo", [](J& j) { j["springs"][0]["stifness"] = 1; }, "springs[0].stifness: unknown key \"stifness\" (did you mean \"stiffness\"?)"},
        {"spring unknown node", [](J& j) { j["springs"][0]["nodes"][1] = "bobb"; }, "springs[0].nodes[1]: got \"bobb\", no node has this name"},
        {"spring one node", [](J& j) { j["springs"][0]["nodes"] = {"bob", "bob"}; }, "springs[0].nodes: got [\"bob\",\"bob\"], a spring needs two different nodes"},
        {"coincident nodes", [](J& j) { j["nodes"][1]["position"] = {0, 0}; }, "springs[0].nodes: got [\"handle\",\"bob\"], the two nodes coincide"},
        {"spring kind", [](J& j) { j["springs"][0]["kind"] = "elastic"; }, "springs[0].kind: got \"elastic\", must be one of \"bilateral\", \"unilateral\""},
        {"negative rest length", [](J& j) { j["springs"][0]["rest_length"] = -1; }, "springs[0].rest_length: got -1, must be >= 0"},
        {"rope segments", [](J& j) { j["ropes"] = J::parse(R"([{"name": "r", "from": "handle", "to": [1, 0], "segments": 1000000000, "mass": 1, "stiffness": 1}])"); }, "ropes[0].segments: got 1000000000, must be in [1, 100000]"},
        {"rope from unknown", [](J& j) { j["ropes"] = J::parse(R"([{"name": "r", "from": "nobody", "to": [1, 0], "segments": 3, "mass": 1, "stiffness": 1}])"); }, "ropes[0].from: got \"nobody\", no node has this name"},
        {"cloth too many nodes", [](J& j) { j["dim"] = 3; j["gravity"] = {0, -9.81, 0}; j["nodes"][0]["position"] = {0, 0, 0}; j["nodes"][1]["position"] = {0, -1, 0}; j["nodes"][1]["velocity"] = {0, 0, 0}; j["task"]["target"] = {0, -1, 0}; j["task"]["handle_target"] = {0, 0, 0};
             j["cloths"] = J::parse(R"([{"name": "c", "origin": [0, 0, 0], "u": [1, 0, 0], "v": [0, 0, 1], "resolution": [1000, 1000], "mass": 1, "stiffness": {"structural": 1}}])"); }, "cloths[0].resolution: too many nodes (1000002 > limit 200000)"},
        {"solver tolerance", [](J& j) { j["solver"] = {{"tolerance", 1}}; }, "solver.tolerance: got 1, must be in [1e-15, 0.01]"},
        {"missing task", [](J& j) { j.erase("task"); }, "(top level): missing required key \"task\""},
        {"horizon zero", [](J& j) { j["task"]["horizon"] = 0; }, "task.horizon: got 0, must be in [1, 100000]"},
        {"horizon absurd", [](J& j) { j["task"]["horizon"] = 1e12; }, "task.horizon: got 1000000000000.0, must be in [1, 100000]"},
        {"payload is a handle", [](J& j) { j["task"]["payload"] = {"handle"}; }, "task.payload[0]: got \"handle\", must name a free node"},
        {"target size", [](J& j) { j["task"]["target"] = {0, -1, 0}; }, "task.target: got [0,-1,0], must be an array of 2 numbers"},
        {"weights missing", [](J& j) { j["task"]["weights"].erase("a"); }, "task.weights: missing required key \"a\""},
        {"terminal action weight", [](J& j) { j["task"]["terminal_weights"]["a"] = 1; }, "task.terminal_weights.a: unknown key \"a\""},
        {"action limit", [](J& j) { j["task"]["action_limit"] = 0; }, "task.action_limit: got 0, must be > 0"},
        {"sampler kind", [](J& j) { j["task"]["initial_state"]["kind"] = "spin"; }, "task.initial_state.kind: got \"spin\", must be one of \"nominal\", \"swing\", \"perturb\""},
        {"sampler range", [](J& j) { j["task"]["initial_state"]["angle"] = {0.8, -0.8}; }, "task.initial_state.angle: got [0.8,-0.8], must be [lo, hi] with lo <= hi"},
        {"contact zero normal", [](J& j) { j["contact"] = J::parse(R"([{"kind": "plane", "point": [0, -2], "normal": [0, 0], "stiffness": 1e4, "friction": 0.5}])"); },
         "contact[0].normal: got [0,0], must be a non-zero vector of finite length"},
        {"contact negative friction", [](J& j) { j["contact"] = J::parse(R"([{"kind": "plane", "point": [0, -2], "normal": [0, 1], "stiffness": 1e4, "friction": -0.1}])"); },
         "contact[0].friction: got -0.1, must be >= 0"},
        {"contact zero stiffness", [](J& j) { j["contact"] = J::parse(R"([{"kind": "plane", "point": [0, -2], "normal": [0, 1], "stiffness": 0, "friction": 0.1}])"); },
         "contact[0].stiffness: got 0, must be > 0"},
        {"contact unknown kind", [](J& j) { j["contact"] = J::parse(R"([{"kind": "sphere", "point": [0, -2], "normal": [0, 1], "stiffness": 1, "friction": 0.1}])"); },
         "contact[0].kind: got \"sphere\", must be one of \"plane\""},
        {"contact unknown key", [](J& j) { j["contact"] = J::parse(R"([{"kind": "plane", "point": [0, -2], "normal": [0, 1], "stiffness": 1, "friction": 0.1, "smoothng": 1}])"); },
         "contact[0].smoothng: unknown key \"smoothng\" (did you mean \"smoothing\"?)"},
        {"contact negative damping ratio", [](J& j) { j["contact"] = J::parse(R"([{"kind": "plane", "point": [0, -2], "normal": [0, 1], "stiffness": 1e4, "friction": 0.1, "damping_ratio": -1}])"); },
         "contact[0].damping_ratio: got -1, must be in [0, 100]"},
        {"top level not object", [](J& j) { j = J::array({1, 2}); }, "(top level): got [1,2], must be an object"},
    };
    return cases;
}

} // namespace

TEST_CASE("cli: broken scenes give exit 2 and a one-line message with file, path and rule")
{
    const auto dir = scratch_dir("scenes");
    int checked = 0;
    for (const SceneCase& c : scene_cases()) {
        nlohmann::json j = good_scene();
        c.mutate(j);
        const auto file = dir / "broken.json";
        write_text(file, j.dump(2));
        for (const char* cmd : {"validate", "simulate"}) {
            const auto r = run_podsim(std::string(cmd) + " '" + file.string() + "'");
            INFO(c.what << " (" << cmd << "): " << r.err);
            CHECK(r.exit_code == 2);
            CHECK(r.err.rfind("podsim: error: " + file.string() + ": " + c.message, 0) == 0);
            CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
            ++checked;
        }
    }
    CHECK(checked == int(2 * scene_cases().size()));
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli: malformed JSON beyond the schema gives exit 2 naming file and path")
{
    const auto dir = scratch_dir("json");
    const std::string scene = podsim::test::read_text(source_path("scenes/pendulum_2d_stop.json"));
    std::string dup = scene;
    dup.replace(dup.find("\"dt\": 0.01,"), 11, "\"dt\": 0.01, \"dt\": 0.5,");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {dup, "dt: duplicate key \"dt\""},
        {"{\"dim\": 2, \"dt\": 1e999}", "not valid JSON: number overflow parsing '1e999'"},
        {"{\"dim\": 2, \"dt\": " + std::string(100000, '[') + std::string(100000, ']') + "}", "nested deeper than 64 levels"},
    };
    for (const auto& [text, message] : cases) {
        write_text(dir / "bad.json", text);
        const auto r = run_podsim("validate '" + (dir / "bad.json").string() + "' " + source_path("scenes/rope_3d_stop.json"));
        INFO(message << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.rfind("podsim: error: " + (dir / "bad.json").string() + ": ", 0) == 0);
        CHECK(r.err.find(message) != std::string::npos);
        CHECK(r.out.find("ok: " + source_path("scenes/rope_3d_stop.json")) != std::string::npos); // the next file is still checked
    }
    const auto r = run_podsim("simulate '" + dir.string() + "'");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(": not a regular file") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli: option values are checked (NaN, limits, seeds)")
{
    const std::string scene = source_path("scenes/pendulum_2d_stop.json");
    const auto dir = scratch_dir("opts");
    write_text(dir / "a.csv", "step,handle,ax,ay,az\n");
    const std::string actions = " --actions '" + (dir / "a.csv").string() + "' --out '" + (dir / "o").string() + "'";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"sensitivity " + scene + actions + " --mu nan", "must be a finite number >= 0"},
        {"sensitivity " + scene + actions + " --mu -1", "must be a finite number >= 0"},
        {"simulate " + source_path("scenes/cloth_32.json") + " --steps 100000", "--steps: got 100000, must be <= "},
        {"simulate " + scene + " --sample-initial 99999999999999999999", "--sample-initial"},
        {"bench " + source_path("scenes/rope_3d_stop.json") + " --horizon 2000", "--horizon: the trajectory Jacobian would have"},
    };
    for (const auto& [args, message] : cases) {
        const auto r = run_podsim(args);
        INFO(args << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(message) != std::string::npos);
        CHECK(!std::filesystem::exists(dir / "o"));
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli: unreadable and malformed scene files give exit 2")
{
    const auto dir = scratch_dir("scenes");
    auto r = run_podsim("simulate '" + (dir / "missing.json").string() + "'");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("missing.json: cannot open file for reading (no such file)") != std::string::npos);
    write_text(dir / "bad.json", "{\"dim\": 2,\n \"dt\": }");
    r = run_podsim("validate '" + (dir / "bad.json").string() + "'");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("bad.json: not valid JSON: parse error at line 2, column 8: syntax error") != std::string::npos);
    CHECK(r.err.find("line 2") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli: broken action files give exit 2 naming line and column")
{
    const std::string scene = source_path("scenes/pendulum_2d_stop.json");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "empty file (expected a header line)"},
        {"time,handle,ax,ay,az\n", "line 1: header must be \"step,handle,ax,ay,az\""},
        {"step,handle,ax,ay,az\n0,handle,abc,0,0\n", "line 2, column ax: got \"abc\", must be a number"},
        {"step,handle,ax,ay,az\n0,handle,inf,0,0\n", "line 2, column ax: got inf, must be finite"},
        {"step,handle,ax,ay,az\n0,bob,1,0,0\n", "line 2, column handle: got \"bob\", must be the name of a handle"},
        {"step,handle,ax,ay,az\n100,handle,1,0,0\n", "line 2, column step: got 100, must be in [0, 99] (horizon 100)"},
        {"step,handle,ax,ay,az\n-1,handle,1,0,0\n", "line 2, column step: got -1, must be in [0, 99]"},
        {"step,handle,ax,ay,az\n1.5,handle,1,0,0\n", "line 2, column step: got \"1.5\", must be an integer"},
        {"step,handle,ax,ay,az\n3,handle,1,0,0\n3,handle,1,0,0\n", "line 3: duplicate action for step 3 and handle handle"},
        {"step,handle,ax,ay,az\n0,handle,1,0,0.5\n", "line 2, column az: got 0.5, must be 0 in a 2D scene"},
        {"step,handle,ax,ay,az\n0,handle,1,0\n", "line 2: expected 5 fields, got 4"},
        {"episode,step,handle,ax,ay,az\n0,0,handle,1,0,0\n1,1,handle,1,0,0\n", "line 3, column episode: got 1 after 0, the file must hold a single episode"},
    };
    const auto dir = scratch_dir("actions");
    for (const auto& [text, message] : cases) {
        const auto file = dir / "a.csv";
        write_text(file, text);
        const auto r = run_podsim("simulate '" + scene + "' --actions '" + file.string() + "'");
        INFO(text << " -> " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.rfind("podsim: error: " + file.string() + ": " + message, 0) == 0);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli: validate summarises each scene, the cloth's bending elements included")
{
    const auto r = run_podsim("validate " + source_path("scenes/cloth_32.json") + " " + source_path("scenes/rope_3d_stop.json"));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("cloth_32.json: 3D, 1024 nodes (1022 free, 2 handles, 0 fixed), 5826 springs, 1920 bending elements, "
                     "3066 DOFs, horizon 50") != std::string::npos);
    CHECK(r.out.find("rope_3d_stop.json: 3D, 21 nodes (20 free, 1 handles, 0 fixed), 39 springs, 60 DOFs") != std::string::npos);
}

TEST_CASE("cli: simulate writes the CSV files and its return matches rewards.csv")
{
    const auto dir = scratch_dir("simulate");
    const std::string scene = source_path("scenes/pendulum_2d_stop.json");
    write_text(dir / "a.csv", "step,handle,ax,ay,az\n0,handle,1,0,0\n5,handle,0,-0.5,0\n");
    const auto r = run_podsim("simulate '" + scene + "' --steps 20 --sample-initial 3 --actions '" +
                              (dir / "a.csv").string() + "' --out '" + (dir / "out").string() + "'");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const std::string states = podsim::test::read_text(dir / "out/states.csv");
    const std::string rewards = podsim::test::read_text(dir / "out/rewards.csv");
    const std::string actions = podsim::test::read_text(dir / "out/actions.csv");
    CHECK(std::count(states.begin(), states.end(), '\n') == 1 + 21 * 2);
    CHECK(std::count(actions.begin(), actions.end(), '\n') == 1 + 20);
    CHECK(std::count(rewards.begin(), rewards.end(), '\n') == 1 + 21);
    CHECK(podsim::test::read_text(dir / "out/springs.csv") == "a,b,kind\nhandle,bob,bilateral\n");
    CHECK(actions.find("\n5,") == std::string::npos); // episode column first
    CHECK(actions.find("0,5,handle,0,-0.5,0\n") != std::string::npos);
    // the printed return is the sum of the reward column
    double sum = 0;
    std::istringstream in(rewards);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        const auto a = line.find(',');
        const auto b = line.find(',', a + 1);
        sum += std::stod(line.substr(b + 1));
    }
    const auto pos = r.out.find("return ");
    REQUIRE(pos != std::string::npos);
    CHECK(std::stod(r.out.substr(pos + 7)) == doctest::Approx(sum).epsilon(1e-9));
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli: a step whose Newton solve fails exits 1 naming the step")
{
    const auto dir = scratch_dir("fail");
    nlohmann::json j = good_scene();
    j["solver"] = {{"max_iterations", 1}};
    write_text(dir / "s.json", j.dump());
    write_text(dir / "a.csv", "step,handle,ax,ay,az\n0,handle,2,2,0\n");
    const auto r = run_podsim("simulate '" + (dir / "s.json").string() + "' --actions '" + (dir / "a.csv").string() +
                              "' --out '" + (dir / "out").string() + "'");
    CHECK(r.exit_code == 1);
    CHECK(r.err.rfind("podsim: error: step 0: Newton did not converge", 0) == 0);
    CHECK(!std::filesystem::exists(dir / "out/states.csv"));
    std::filesystem::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// `podsim sensitivity` against finite differences of `podsim simulate`, both run from outside

namespace {

double return_of(const std::filesystem::path& rewards_csv)
{
    std::istringstream in(podsim::test::read_text(rewards_csv));
    std::string line;
    std::getline(in, line);
    double sum = 0;
    while (std::getline(in, line)) {
        const auto a = line.find(',');
        const auto b = line.find(',', a + 1);
        sum += std::stod(line.substr(b + 1));
    }
    return sum;
}

std::string actions_csv(const std::vector<std::array<double, 2>>& a)
{
    std::ostringstream s;
    s.precision(17);
    s << "step,handle,ax,ay,az\n";
    for (std::size_t t = 0; t < a.size(); ++t) s << t << ",handle," << a[t][0] << ',' << a[t][1] << ",0\n";
    return s.str();
}

} // namespace

TEST_CASE("cli: sensitivity's value equals simulate's return and its gradient matches FD of simulate")
{
    const auto dir = scratch_dir("sens");
    nlohmann::json j = good_scene();
    j["solver"] = {{"tolerance", 1e-14}};
    write_text(dir / "s.json", j.dump());
    const int n = 40;
    std::mt19937_64 rng(21);
    std::uniform_real_distribution<double> u(-0.5, 0.5);
    std::vector<std::array<double, 2>> a(n), dir_a(n), plus(n), minus(n);
    const double eps = 1e-6;
    for (int t = 0; t < n; ++t)
        for (int k = 0; k < 2; ++k) {
            a[std::size_t(t)][std::size_t(k)] = u(rng);
            dir_a[std::size_t(t)][std::size_t(k)] = u(rng);
            plus[std::size_t(t)][std::size_t(k)] = a[std::size_t(t)][std::size_t(k)] + eps * dir_a[std::size_t(t)][std::size_t(k)];
            minus[std::size_t(t)][std::size_t(k)] = a[std::size_t(t)][std::size_t(k)] - eps * dir_a[std::size_t(t)][std::size_t(k)];
        }
    write_text(dir / "a.csv", actions_csv(a));
    write_text(dir / "plus.csv", actions_csv(plus));
    write_text(dir / "minus.csv", actions_csv(minus));
    const std::string scene = "'" + (dir / "s.json").string() + "' --steps 40 --sample-initial 2 ";

    auto r = run_podsim("sensitivity " + scene + "--actions '" + (dir / "a.csv").string() + "' --jacobian --out '" + (dir / "sens").string() + "'");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    for (const char* f : {"gradient.csv", "summary.json", "jacobian.csv", "gn_step.csv"}) CHECK(std::filesystem::exists(dir / "sens" / f));
    {
        // jacobian.csv: (N+1) n_s rows of s components, N n_a action columns, zero for k >= t
        std::istringstream jin(podsim::test::read_text(dir / "sens/jacobian.csv"));
        std::string header, row;
        std::getline(jin, header);
        CHECK(header.rfind("step,component,0:handle:x,0:handle:y,1:handle:x", 0) == 0);
        CHECK(std::count(header.begin(), header.end(), ',') == 1 + 2 * n);
        int rows = 0, nonzero_upper = 0, nonzero_lower = 0;
        while (std::getline(jin, row)) {
            std::istringstream rs(row);
            std::string field;
            std::getline(rs, field, ',');
            const int t = std::stoi(field);
            std::getline(rs, field, ',');
            if (rows == 10) CHECK(field == "v:bob:x");
            for (int col = 0; std::getline(rs, field, ','); ++col) {
                const bool zero = std::stod(field) == 0.0;
                if (col / 2 >= t) nonzero_upper += !zero;
                else nonzero_lower += !zero;
            }
            ++rows;
        }
        CHECK(rows == (n + 1) * 6);
        CHECK(nonzero_upper == 0);
        CHECK(nonzero_lower > 0);
        const std::string gn = podsim::test::read_text(dir / "sens/gn_step.csv");
        CHECK(gn.rfind("step,handle,dx,dy,dz\n0,handle,", 0) == 0);
        CHECK(std::count(gn.begin(), gn.end(), '\n') == 1 + n);
        CHECK(gn.find("nan") == std::string::npos);
    }
    const nlohmann::json summary = nlohmann::json::parse(podsim::test::read_text(dir / "sens/summary.json"));

    REQUIRE(run_podsim("simulate " + scene + "--actions '" + (dir / "a.csv").string() + "' --out '" + (dir / "sim").string() + "'").exit_code == 0);
    CHECK(summary["value"].get<double>() == doctest::Approx(return_of(dir / "sim/rewards.csv")).epsilon(1e-12));
    CHECK(summary["gn_predicted_decrease"].get<double>() > 0);

    REQUIRE(run_podsim("simulate " + scene + "--actions '" + (dir / "plus.csv").string() + "' --out '" + (dir / "plus").string() + "'").exit_code == 0);
    REQUIRE(run_podsim("simulate " + scene + "--actions '" + (dir / "minus.csv").string() + "' --out '" + (dir / "minus").string() + "'").exit_code == 0);
    const double fd = (return_of(dir / "plus/rewards.csv") - return_of(dir / "minus/rewards.csv")) / (2 * eps);

    std::istringstream in(podsim::test::read_text(dir / "sens/gradient.csv"));
    std::string line;
    std::getline(in, line);
    CHECK(line == "step,handle,dx,dy,dz");
    double directional = 0;
    int rows = 0;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string step, handle, dx, dy, dz;
        std::getline(ls, step, ',');
        std::getline(ls, handle, ',');
        std::getline(ls, dx, ',');
        std::getline(ls, dy, ',');
        std::getline(ls, dz, ',');
        const auto t = std::size_t(std::stoi(step));
        directional += std::stod(dx) * dir_a[t][0] + std::stod(dy) * dir_a[t][1];
        ++rows;
    }
    CHECK(rows == n);
    CHECK(std::abs(directional) > 1e-2);
    CHECK(directional == doctest::Approx(fd).epsilon(1e-5));
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli: bench prints one JSON line with the four median timings")
{
    const auto r = run_podsim("bench " + source_path("scenes/pendulum_2d_stop.json") + " --horizon 20 --repeats 2");
    REQUIRE(r.exit_code == 0);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    for (const char* k : {"rollout_ms", "gradient_ms", "jacobian_ms", "gn_step_ms", "cg_product_ms"}) CHECK(j[k].get<double>() > 0);
    CHECK(j["horizon"] == 20);
}
