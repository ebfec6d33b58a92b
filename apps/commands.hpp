#pragma once
// Registration of the `podsim` subcommands: each adds a CLI11 subcommand whose callback runs the
// command and stores its exit code. Library exceptions propagate to main().

#include <CLI/CLI.hpp>

namespace podsim::apps {

void add_validate_command(CLI::App& app, int& exit_code);
void add_simulate_command(CLI::App& app, int& exit_code);
void add_sensitivity_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_dmp_command(CLI::App& app, int& exit_code);
void add_bench_dmp_command(CLI::App& app, int& exit_code);

} // namespace podsim::apps
