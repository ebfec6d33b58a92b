// `podsim train` and `compare` under mpiexec: the files of one process (wall time aside) for any
// rank count, one copy of every message, agreed errors with exit 2 and one line; other commands
// run once. `--version` says whether podsim was built with MPI (the build without MPI is the
// sanitized one, scripts/test --sanitize).
#include "tests/apps/run_podsim.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

using podsim::test::quoted;
using podsim::test::read_text;
using podsim::test::run_podsim;
using podsim::test::scratch_dir;
using podsim::test::source_path;
using podsim::test::without_column;

TEST_CASE("cli mpi: --version names the MPI library, or says podsim was built without it")
{
    const auto r = run_podsim("--version");
    CHECK(r.exit_code == 0);
#ifdef PODSIM_MPIEXEC
    CHECK(r.out.find("(MPI: Open MPI") != std::string::npos);
#else
    CHECK(r.out.find("(MPI: not built)") != std::string::npos);
#endif
}

#ifdef PODSIM_MPIEXEC

namespace {

// the 2D pendulum, quoted for the shell
std::string scene_arg() { return "'" + source_path("scenes/pendulum_2d_stop.json") + "'"; }
const std::string kTiny = " --epochs 2 --batch 70 --test-episodes 40 --hidden 8,8 --fit-steps 5 --threads 1 --seed 4 ";

std::string mpiexec(int ranks)
{
    return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 '" PODSIM_MPIEXEC "' -np " + std::to_string(ranks) +
           " --oversubscribe --quiet"; // --quiet: no notice of mpirun's own after a non-zero exit
}

int lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }


nlohmann::json policy_without_wall(const std::filesystem::path& p)
{
    auto j = nlohmann::json::parse(read_text(p));
    j["training"].erase("wall_s");
    return j;
}

} // namespace

TEST_CASE("cli mpi: train on 2 and 3 ranks writes the single-process policy.json and log.csv, and prints once")
{
    const auto dir = scratch_dir("mpi");
    for (const char* method : {"pods1", "ppo"}) {
        INFO(method);
        const std::string args = "train " + scene_arg() + " --method " + method + " --head ndp" + kTiny + "--out ";
        const auto one = run_podsim(args + quoted(dir / "one"));
        REQUIRE(one.exit_code == 0);
        for (int ranks : {2, 3}) {
            INFO(ranks << " ranks");
            const auto many = run_podsim(args + quoted(dir / "many"), mpiexec(ranks));
            REQUIRE(many.exit_code == 0);
            CHECK(lines(many.out) == lines(one.out)); // the summary once, not once per rank
            CHECK(policy_without_wall(dir / "one/policy.json") == policy_without_wall(dir / "many/policy.json"));
            CHECK(without_column(read_text(dir / "one/log.csv"), 1) == without_column(read_text(dir / "many/log.csv"), 1));
            std::filesystem::remove_all(dir / "many");
        }
        std::filesystem::remove_all(dir / "one");
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli mpi: compare on 2 ranks writes the single-process compare.csv")
{
    const auto dir = scratch_dir("mpi");
    const std::string args = "compare " + scene_arg() + " --methods pods2,bptt --seeds 1,2" + kTiny + "--out ";
    REQUIRE(run_podsim(args + quoted(dir / "one")).exit_code == 0);
    const auto many = run_podsim(args + quoted(dir / "many"), mpiexec(2));
    REQUIRE(many.exit_code == 0);
    CHECK(without_column(read_text(dir / "one/compare.csv"), 3) == without_column(read_text(dir / "many/compare.csv"), 3));
    CHECK(read_text(dir / "many/table.md").find("optimality ratio") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli mpi: bad input stops every rank with exit 2 and one line, other commands run once")
{
    const auto dir = scratch_dir("mpi");
    const auto missing = run_podsim("train '" + (dir / "nope.json").string() + "' --method bptt --out " + quoted(dir / "r"),
                                    mpiexec(2));
    check_usage_error(missing, "nope.json");
    REQUIRE(run_podsim("train " + scene_arg() + " --method bptt" + kTiny + "--out " + quoted(dir / "r"), mpiexec(2)).exit_code == 0);
    check_usage_error(run_podsim("train " + scene_arg() + " --method bptt" + kTiny + "--out " + quoted(dir / "r"), mpiexec(3)),
                      "already holds a training run");
    check_usage_error(run_podsim("train " + scene_arg() + " --method bptt --batch 0 --out " + quoted(dir / "s"), mpiexec(2)),
                      "--batch");
    const auto validate = run_podsim("validate " + scene_arg(), mpiexec(2));
    CHECK(validate.exit_code == 0);
    CHECK(validate.out == run_podsim("validate " + scene_arg()).out);
    std::filesystem::remove_all(dir);
}

#endif
