// Command-line behaviour of `podsim dmp fit`, `podsim dmp rollout` and `podsim bench-dmp`.
#include "tests/apps/run_podsim.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>
#include <vector>

using podsim::test::read_text;
using podsim::test::run_podsim;
using podsim::test::scratch_dir;
using podsim::test::source_path;
using podsim::test::write_text;

namespace {

// the shipped demonstration of a handwritten 2
std::string demo_path() { return source_path("scenes/demos/digit_two.csv"); }

// rows of a CSV file as numbers (header skipped)
std::vector<std::vector<double>> csv_numbers(const std::string& text)
{
    std::vector<std::vector<double>> rows;
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        std::vector<double> row;
        std::istringstream l(line);
        std::string f;
        while (std::getline(l, f, ',')) row.push_back(std::stod(f));
        rows.push_back(row);
    }
    return rows;
}

bool one_error_line(const std::string& err)
{
    return err.rfind("podsim: error: ", 0) == 0 && err.find('\n') == err.size() - 1;
}

} // namespace

TEST_CASE("cli dmp: fit then rollout reproduces the shipped demonstration")
{
    const auto dir = scratch_dir("dmp");
    const std::string json = (dir / "dmp.json").string();
    auto r = run_podsim("dmp fit '" + demo_path() + "' --basis 30 --out '" + json + "'");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    const nlohmann::json j = nlohmann::json::parse(read_text(json));
    CHECK(j.at("type") == "dmp");
    CHECK(j.at("dim") == 2);
    CHECK(j.at("weights").size() == 2);

    r = run_podsim("dmp rollout '" + json + "' --out '" + dir.string() + "'");
    REQUIRE(r.exit_code == 0);
    const std::string traj = read_text(dir / "trajectory.csv");
    CHECK(traj.rfind("step,time,dim,y,yd,ydd\n", 0) == 0);
    const auto rows = csv_numbers(traj);
    const auto demo = csv_numbers(read_text(demo_path()));
    REQUIRE(rows.size() == 2 * demo.size());
    double worst = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::size_t step = std::size_t(rows[i][0]), dim = std::size_t(rows[i][2]);
        CHECK(rows[i][1] == doctest::Approx(demo[step][0]));
        worst = std::max(worst, std::abs(rows[i][3] - demo[step][1 + dim]));
    }
    CHECK(worst < 1e-2);

    // generalisation: a new goal through --goal
    r = run_podsim("dmp rollout '" + json + "' --goal 0.4,-0.2 --out '" + dir.string() + "'");
    REQUIRE(r.exit_code == 0);
    const auto moved = csv_numbers(read_text(dir / "trajectory.csv"));
    CHECK(std::abs(moved[moved.size() - 2][3] - 0.4) < 2e-2);
    CHECK(std::abs(moved[moved.size() - 1][3] + 0.2) < 2e-2);
}

TEST_CASE("cli dmp: bad demonstration CSV and bad DMP JSON exit 2 with one line")
{
    const auto dir = scratch_dir("dmpbad");
    write_text(dir / "bad.csv", "time,x\n0,1\n0.1,oops\n0.2,3\n");
    auto r = run_podsim("dmp fit '" + (dir / "bad.csv").string() + "' --basis 5 --out '" + (dir / "o.json").string() + "'");
    CHECK(r.exit_code == 2);
    CHECK(one_error_line(r.err));
    CHECK(r.err.find("bad.csv: line 3: column \"x\": got \"oops\", must be a finite number") != std::string::npos);
    CHECK(!std::filesystem::exists(dir / "o.json"));

    write_text(dir / "loop.csv", "time,x\n0,0\n0.5,1\n1,0\n");
    r = run_podsim("dmp fit '" + (dir / "loop.csv").string() + "' --basis 5 --out '" + (dir / "o.json").string() + "'");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("goal == start") != std::string::npos);

    write_text(dir / "bad.json", R"({"type": "dmp", "dim": 1, "basis": 3, "weights": [[1, 2, 3]], "goal": [1],
                                      "y0": [0], "alpha": -3})");
    r = run_podsim("dmp rollout '" + (dir / "bad.json").string() + "' --out '" + dir.string() + "'");
    CHECK(r.exit_code == 2);
    CHECK(one_error_line(r.err));
    CHECK(r.err.find("bad.json: alpha: got -3, must be in [") != std::string::npos);

    write_text(dir / "typo.json", R"({"type": "dmp", "dim": 1, "basis": 3, "weights": [[1, 2, 3]], "goal": [1],
                                       "y0": [0], "integrater": "rk4"})");
    r = run_podsim("dmp rollout '" + (dir / "typo.json").string() + "' --out '" + dir.string() + "'");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("typo.json: integrater: unknown key \"integrater\" (did you mean \"integrator\"?)") !=
          std::string::npos);

    // valid JSON whose kernels degenerate: phase 0 hits a centre with infinite width
    write_text(dir / "wide.json", R"({"type": "dmp", "dim": 1, "basis": 3, "weights": [[1, 2, 3]], "goal": [1],
                                       "y0": [0], "a_x": 1000, "steps": 1000})");
    r = run_podsim("dmp rollout '" + (dir / "wide.json").string() + "' --out '" + dir.string() + "'");
    CHECK(r.exit_code == 2);
    CHECK(one_error_line(r.err));
    CHECK(r.err.find("wide.json: kernel sum is not positive at phase 0") != std::string::npos);

    // a rollout that overflows is a run-time failure, not a file of nan
    write_text(dir / "huge.json", R"({"type": "dmp", "dim": 1, "basis": 3, "weights": [[1e300, 2, 3]],
                                       "goal": [1e300], "y0": [-1e300]})");
    r = run_podsim("dmp rollout '" + (dir / "huge.json").string() + "' --out '" + (dir / "huge").string() + "'");
    CHECK(r.exit_code == 1);
    CHECK(one_error_line(r.err));
    CHECK(r.err.find("huge.json: the trajectory overflows") != std::string::npos);
    CHECK(!std::filesystem::exists(dir / "huge" / "trajectory.csv"));

    r = run_podsim("dmp fit '" + demo_path() + "' --basis 5 --out '" + (dir / "d.json").string() + "'");
    REQUIRE(r.exit_code == 0);
    r = run_podsim("dmp rollout '" + (dir / "d.json").string() + "' --goal 1,inf --out '" + dir.string() + "'");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--goal: value 2 = inf: must be a finite number") != std::string::npos);

    r = run_podsim("dmp fit '" + demo_path() + "' --basis 1 --out x.json");
    CHECK(r.exit_code == 2);
    r = run_podsim("dmp rollout '" + (dir / "missing.json").string() + "' --out '" + dir.string() + "'");
    CHECK(r.exit_code == 2);
    CHECK(one_error_line(r.err));
}

TEST_CASE("cli dmp: an unstable euler model warns on stderr and still runs")
{
    const auto dir = scratch_dir("dmpwarn");
    write_text(dir / "few.json", R"({"type": "dmp", "dim": 1, "basis": 3, "weights": [[1, 2, 3]], "goal": [1],
                                      "y0": [0], "steps": 5})");
    const auto r = run_podsim("dmp rollout '" + (dir / "few.json").string() + "' --out '" + dir.string() + "'");
    CHECK(r.exit_code == 0);
    CHECK(r.err.rfind("podsim: warning: euler step", 0) == 0);
}

TEST_CASE("cli bench-dmp: prints one JSON line with median timings")
{
    const auto r = run_podsim("bench-dmp --rows 20 --basis 10 --steps 50 --repeats 3");
    REQUIRE(r.exit_code == 0);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    CHECK(j.at("forward_ms").get<double>() >= 0);
    CHECK(j.at("backward_ms").get<double>() >= 0);
    CHECK(j.at("rows") == 20);
    CHECK(run_podsim("bench-dmp --rows 0").exit_code == 2);
    CHECK(run_podsim("bench-dmp --rows 1000000 --steps 1000000").exit_code == 2);
}

TEST_CASE("cli dmp: the dmp commands have --help and exit 0")
{
    for (const char* cmd : {"dmp", "dmp fit", "dmp rollout", "bench-dmp"}) {
        const auto r = run_podsim(std::string(cmd) + " --help");
        INFO(cmd);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Usage") != std::string::npos);
    }
    const auto r = run_podsim("dmp");
    CHECK(r.exit_code == 2); // a subcommand is required
}
