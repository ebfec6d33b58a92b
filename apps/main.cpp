// `podsim` entry point: parses the command line and turns exceptions into one-line errors and
// exit codes (0 success, 1 run-time failure, 2 bad usage or bad input). Under mpirun, train and
// compare run on every rank and the other commands on rank 0 alone; only rank 0 prints, except a
// failure of one rank alone, which that rank reports on its stderr before it ends the job
// (docs/distributed.md).
#include "apps/commands.hpp"
#include "common/input_error.hpp"
#include "pods/train/cluster.hpp"

#include <cstdio>
#include <exception>
#include <fcntl.h>
#include <new>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

// ranks other than 0 print nothing on stdout; their stderr stays, for what only they can report
// (a failure of theirs alone, a crash), while the commands print progress and warnings on rank 0
void silence_this_rank()
{
    std::fflush(stdout);
    const int null = open("/dev/null", O_WRONLY);
    if (null < 0) return;
    dup2(null, STDOUT_FILENO);
    close(null);
}

// prints the error and returns its exit code; a failure of one rank alone ends the whole job
int fail(const std::string& message, int code)
{
    const podsim::pods::Cluster& world = podsim::pods::Cluster::world();
    if (world.size() > 1 && !podsim::pods::Cluster::failure_agreed()) {
        std::fprintf(stderr, "podsim: error: rank %d: %s\n", world.rank(), message.c_str());
        std::fflush(stderr);
        podsim::pods::Cluster::abort_job(code);
    }
    if (world.root()) std::fprintf(stderr, "podsim: error: %s\n", message.c_str()); // agreed: reported once
    return code;
}

} // namespace

int main(int argc, char** argv)
{
    const podsim::pods::ClusterSession mpi(argc, argv);
    const podsim::pods::Cluster& world = podsim::pods::Cluster::world();
    if (const std::string problem = podsim::pods::unsupported_launch(); !problem.empty()) {
        if (podsim::pods::launch_rank() == 0) std::fprintf(stderr, "podsim: error: %s\n", problem.c_str());
        return 2;
    }
    if (!world.root()) {
        const std::string_view command = argc > 1 ? argv[1] : "";
        if (command != "train" && command != "compare") return 0;
        silence_this_rank();
    }

    CLI::App app{"podsim: differentiable mass-spring simulation and policy optimisation (PODS, BPTT, NDP)"};
    app.set_version_flag("--version", "podsim 0.1.0 (MPI: " + podsim::pods::mpi_version() + ")");
    app.require_subcommand(1);
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return std::string("podsim: error: ") + e.what() + " (see --help)\n";
    });

    int exit_code = 0;
    podsim::apps::add_validate_command(app, exit_code);
    podsim::apps::add_simulate_command(app, exit_code);
    podsim::apps::add_sensitivity_command(app, exit_code);
    podsim::apps::add_optimize_command(app, exit_code);
    podsim::apps::add_train_command(app, exit_code);
    podsim::apps::add_evaluate_command(app, exit_code);
    podsim::apps::add_rollout_command(app, exit_code);
    podsim::apps::add_compare_command(app, exit_code);
    podsim::apps::add_diagnose_command(app, exit_code);
    podsim::apps::add_bench_command(app, exit_code);
    podsim::apps::add_dmp_command(app, exit_code);
    podsim::apps::add_bench_dmp_command(app, exit_code);
    podsim::apps::add_imitate_command(app, exit_code);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help / --version exit 0; usage errors exit 2 (every rank parses the same line: rank 0
        // reports)
        const int code = world.root() ? app.exit(e) : e.get_exit_code();
        return code == 0 ? 0 : 2;
    } catch (const podsim::common::InputError& e) {
        return fail(e.what(), 2);
    } catch (const podsim::common::RuntimeFailure& e) {
        return fail(e.what(), 1);
    } catch (const std::bad_alloc&) {
        return fail("out of memory", 1);
    } catch (const std::exception& e) {
        return fail(e.what(), 1);
    }
    return exit_code;
}
