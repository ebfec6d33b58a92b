// Command-line behaviour of `podsim imitate`: a tiny run writes its files, --draw-demos writes the
// shipped digit strokes, bad demonstration folders and bad options exit 2 with one line.
#include "tests/apps/run_podsim.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using podsim::test::check_usage_error;
using podsim::test::quoted;
using podsim::test::read_text;
using podsim::test::run_podsim;
using podsim::test::scratch_dir;
using podsim::test::source_path;
using podsim::test::write_text;

namespace {

// the shipped digit demonstrations
std::string digits_dir() { return source_path("scenes/demos/digits"); }
const std::string kTiny = " --iterations 1 --local-steps 2 --global-steps 2 --demos-per-digit 1 --relabel 1 --test 1";

} // namespace

TEST_CASE("cli imitate: a tiny run writes results, table, log, strokes, images and policies")
{
    const auto dir = scratch_dir("imitate");
    const auto r = run_podsim("imitate --demos " + quoted(std::filesystem::path(digits_dir())) + kTiny + " --out " + quoted(dir));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("| hndp |") != std::string::npos);
    const auto results = nlohmann::json::parse(read_text(dir / "results.json"));
    REQUIRE(results.at("methods").size() == 4);
    CHECK(results["methods"][0]["method"] == "hndp");
    CHECK(results["methods"][3]["method"] == "mlp");
    CHECK(results["methods"][1]["test"]["success_per_digit"].size() == 10);
    const std::string log = read_text(dir / "log.csv");
    CHECK(log.rfind("method,iteration,wall_s,local_s,relabel_s,global_s", 0) == 0);
    const std::string strokes = read_text(dir / "strokes.csv");
    CHECK(strokes.rfind("method,digit,sample,step,x,y,target_x,target_y\n", 0) == 0);
    // 4 methods x 10 digits x 1 sample x 51 points, plus the header
    CHECK(std::count(strokes.begin(), strokes.end(), '\n') == 4 * 10 * 51 + 1);
    CHECK(std::count_if(std::filesystem::directory_iterator(dir / "policies"), {}, [](auto&) { return true; }) == 4);
    // no temporary files are left behind
    for (const auto& e : std::filesystem::directory_iterator(dir)) CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli imitate: --draw-demos writes the shipped digit strokes")
{
    const auto dir = scratch_dir("draw");
    const auto r = run_podsim("imitate --draw-demos " + quoted(dir / "digits"));
    REQUIRE(r.exit_code == 0);
    for (int d = 0; d <= 9; ++d) {
        const std::string name = "/digit_" + std::to_string(d) + ".csv";
        CHECK(read_text(dir.string() + "/digits" + name) == read_text(digits_dir() + name));
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli imitate: bad demonstration files and bad options exit 2 with one line")
{
    const auto dir = scratch_dir("bad_digits");
    for (int d = 0; d <= 9; ++d) {
        const std::string name = "digit_" + std::to_string(d) + ".csv";
        std::filesystem::copy_file(digits_dir() + "/" + name, dir / name);
    }
    const std::string run = "imitate --demos " + quoted(dir) + kTiny + " --out " + quoted(dir / "out");
    write_text(dir / "digit_5.csv", "time,x\n0,0\n1,1\n2,0\n");
    check_usage_error(run_podsim(run), "digit_5.csv: header: got \"time,x\", must be \"time,x,y\"");
    write_text(dir / "digit_5.csv", "time,x,y\n0,0,0\n0,1,1\n2,0,1\n");
    check_usage_error(run_podsim(run), "digit_5.csv: line 3");
    std::filesystem::remove(dir / "digit_5.csv");
    check_usage_error(run_podsim(run), "digit_5.csv: no such file");
    CHECK(!std::filesystem::exists(dir / "out"));

    check_usage_error(run_podsim("imitate --methods hndp,gps --out x"), "gps");
    check_usage_error(run_podsim("imitate --iterations 0 --out x"), "--iterations");
    check_usage_error(run_podsim("imitate --demos " + quoted(std::filesystem::path(digits_dir()))), "--out");
    std::filesystem::remove_all(dir);
}
