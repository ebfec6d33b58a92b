// Command-line tests of `podsim diagnose`: its gradient norms are the norms of `podsim
// sensitivity`'s gradient rows, the files with and without a policy, and bad input (exit 2, one
// line naming the file, JSON path or option and the rule).
#include "tests/apps/run_podsim.hpp"

#include "pods/task/scene.hpp"
#include "pods/train/policy_factory.hpp"
#include "policy/policy_io.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>
#include <vector>

using podsim::test::quoted;
using podsim::test::read_text;
using podsim::test::run_podsim;
using podsim::test::scratch_dir;
using podsim::test::source_path;
using podsim::test::write_text;

namespace {

// the 2D pendulum
std::string scene_path() { return source_path("scenes/pendulum_2d_stop.json"); }
// the same, quoted for the shell
std::string scene_arg() { return "'" + scene_path() + "'"; }

std::vector<std::vector<std::string>> csv_rows(const std::string& text)
{
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> f;
        std::istringstream fields(line);
        for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
        rows.push_back(f);
    }
    return rows;
}

// a fresh policy of the pendulum scene (or a changed copy of its JSON) written to `path`
void write_policy(const std::filesystem::path& path, podsim::pods::Head head)
{
    const podsim::pods::Scene s = podsim::pods::load_scene(scene_path());
    podsim::pods::TrainConfig c;
    c.head = head;
    c.hidden = {8, 8};
    c.last_layer_scale = 1;
    podsim::policy::write_policy_json(path.string(), *podsim::pods::make_policy(s.model, s.task, c));
}

} // namespace

TEST_CASE("cli diagnose: gradient_norm equals the norms of sensitivity's gradient rows, one row per step")
{
    const auto dir = scratch_dir("diagnose");
    write_text(dir / "a.csv", "step,handle,ax,ay,az\n0,handle,1,0,0\n3,handle,-0.5,0.7,0\n10,handle,0,-2.5,0\n");
    const std::string common_args = scene_arg() + " --sample-initial 4 --steps 30 --actions " + quoted(dir / "a.csv");
    const auto sens = run_podsim("sensitivity " + common_args + " --out " + quoted(dir / "sens"));
    REQUIRE(sens.exit_code == 0);
    const auto r = run_podsim("diagnose " + common_args + " --out " + quoted(dir / "diag"));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("Over the 30-step horizon") != std::string::npos);
    CHECK(r.err.find("clamped") != std::string::npos); // -2.5 is beyond the 2 m/s limit
    const auto grad = csv_rows(read_text(dir / "sens/gradient.csv"));
    const auto diag = csv_rows(read_text(dir / "diag/diagnostics.csv"));
    REQUIRE(grad.size() == 31);
    REQUIRE(diag.size() == 31);
    CHECK(diag[0][2] == "gradient_norm");
    int checks = 0;
    for (std::size_t t = 1; t <= 30; ++t) {
        const double dx = std::stod(grad[t][2]), dy = std::stod(grad[t][3]), dz = std::stod(grad[t][4]);
        CHECK(std::stoi(diag[t][0]) == int(t) - 1);
        CHECK(std::stod(diag[t][2]) == doctest::Approx(std::sqrt(dx * dx + dy * dy + dz * dz)).epsilon(1e-14));
        ++checks;
    }
    CHECK(checks == 30);
    const auto j = nlohmann::json::parse(read_text(dir / "diag/diagnostics.json"));
    CHECK(j["initial_state"]["seed"] == 4);
    CHECK(j["horizon"] == 30);
    CHECK(j["clamped_actions"] == 1);
    CHECK(j["value"].get<double>() == doctest::Approx(nlohmann::json::parse(read_text(dir / "sens/summary.json"))["value"].get<double>()).epsilon(1e-14));
    CHECK(j["summary"].get<std::string>() == r.out.substr(0, r.out.find('\n')));
    CHECK(!j.contains("closed_loop"));
}

TEST_CASE("cli diagnose: with a policy, closed-loop and BPTT columns, and a multi-step head gets them per decision")
{
    const auto dir = scratch_dir("diagnose_policy");
    write_policy(dir / "mlp.json", podsim::pods::Head::kMlp);
    write_policy(dir / "ndp.json", podsim::pods::Head::kNdp);
    const auto r = run_podsim("diagnose " + scene_arg() + " --policy " + quoted(dir / "mlp.json") + " --steps 20 --out " + quoted(dir / "m"));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("closed loop") != std::string::npos);
    const auto rows = csv_rows(read_text(dir / "m/diagnostics.csv"));
    REQUIRE(rows.size() == 21);
    CHECK(rows[0].size() == 13);
    CHECK(rows[0][9] == "closed_ftle");
    const auto j = nlohmann::json::parse(read_text(dir / "m/diagnostics.json"));
    CHECK(j["initial_state"] == "nominal");
    CHECK(j["closed_loop"]["policy_type"] == "mlp");
    CHECK(j["closed_loop"]["bptt"]["gradient_norm"].get<double>() > 0);

    const auto n = run_podsim("diagnose " + scene_arg() + " --policy " + quoted(dir / "ndp.json") + " --steps 20 --out " + quoted(dir / "n"));
    REQUIRE(n.exit_code == 0);
    const auto nrows = csv_rows(read_text(dir / "n/diagnostics.csv"));
    CHECK(nrows[0] == rows[0]);
    CHECK(nrows[2][8] == "nan"); // the NDP head decides every 5 steps: no closed-loop map at step 1
    CHECK(nlohmann::json::parse(read_text(dir / "n/diagnostics.json"))["closed_loop"]["policy_horizon"] == 5);
}

TEST_CASE("cli diagnose: bad options and input are usage errors with one line naming the problem")
{
    const auto dir = scratch_dir("diagnose_bad");
    write_text(dir / "bad.csv", "step,handle,ax,ay,az\n0,nohandle,1,0,0\n");
    write_policy(dir / "mlp.json", podsim::pods::Head::kMlp);
    // a policy of another scene (3D double pendulum: other observation and action sizes)
    {
        const podsim::pods::Scene s = podsim::pods::load_scene(source_path("scenes/double_pendulum_3d_stop.json"));
        podsim::pods::TrainConfig c;
        c.hidden = {4};
        podsim::policy::write_policy_json((dir / "other.json").string(), *podsim::pods::make_policy(s.model, s.task, c));
    }
    // an unknown key in the policy file
    auto p = nlohmann::json::parse(read_text(dir / "mlp.json"));
    p["extra"] = 1;
    write_text(dir / "typo.json", p.dump());
    const std::string cloth = "'" + source_path("scenes/cloth_32.json") + "'";
    const std::pair<std::string, std::string> cases[] = {
        {"diagnose " + scene_arg() + " --policy " + quoted(dir / "mlp.json") + " --actions " + quoted(dir / "bad.csv") + " --out " + quoted(dir / "o"), "excludes"},
        {"diagnose " + scene_arg() + " --steps 0 --out " + quoted(dir / "o"), "--steps"},
        {"diagnose " + scene_arg() + " --sample-initial -3 --out " + quoted(dir / "o"), "--sample-initial"},
        {"diagnose " + scene_arg(), "--out"},
        {"diagnose " + scene_arg() + " --actions " + quoted(dir / "bad.csv") + " --out " + quoted(dir / "o"), "nohandle"},
        {"diagnose " + scene_arg() + " --policy " + quoted(dir / "other.json") + " --out " + quoted(dir / "o"), "other.json"},
        {"diagnose " + scene_arg() + " --policy " + quoted(dir / "typo.json") + " --out " + quoted(dir / "o"), "extra"},
        {"diagnose " + scene_arg() + " --policy " + quoted(dir / "missing.json") + " --out " + quoted(dir / "o"), "missing.json"},
        {"diagnose " + quoted(dir / "missing.json") + " --out " + quoted(dir / "o"), "missing.json"},
        {"diagnose " + cloth + " --out " + quoted(dir / "o"), "cloth_32.json: the transition analysis is dense"},
    };
    for (const auto& [args, needle] : cases) {
        INFO(args);
        podsim::test::check_usage_error(run_podsim(args), needle);
    }
    CHECK(!std::filesystem::exists(dir / "o"));
    CHECK(run_podsim("diagnose --help").exit_code == 0);
}
