// `podsim` entry point: parses the command line and turns exceptions into one-line errors and
// exit codes (0 success, 1 run-time failure, 2 bad usage or bad input).
#include "apps/commands.hpp"
#include "common/input_error.hpp"

#include <exception>
#include <iostream>
#include <new>

int main(int argc, char** argv)
{
    CLI::App app{"podsim: differentiable mass-spring simulation and policy optimisation (PODS, BPTT, NDP)"};
    app.set_version_flag("--version", "podsim 0.1.0");
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

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help / --version exit 0; usage errors exit 2
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    } catch (const podsim::common::InputError& e) {
        std::cerr << "podsim: error: " << e.what() << "\n";
        return 2;
    } catch (const podsim::common::RuntimeFailure& e) {
        std::cerr << "podsim: error: " << e.what() << "\n";
        return 1;
    } catch (const std::bad_alloc&) {
        std::cerr << "podsim: error: out of memory\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "podsim: error: " << e.what() << "\n";
        return 1;
    }
    return exit_code;
}
