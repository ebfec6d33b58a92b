#pragma once
// Registration of the `podsim` subcommands: each adds a CLI11 subcommand whose callback runs the
// command and stores its exit code. Library exceptions propagate to main() (validate reports bad
// files itself and goes on).

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdint>
#include <string>

namespace podsim::apps {

/// A finite number >= 0 (CLI::NonNegativeNumber lets NaN through).
inline CLI::Validator finite_non_negative()
{
    return CLI::Validator(
        [](std::string& value) -> std::string {
            char* end = nullptr;
            const double v = std::strtod(value.c_str(), &end);
            if (end == value.c_str() || *end != '\0' || !std::isfinite(v) || v < 0)
                return "got " + value + ", must be a finite number >= 0";
            return {};
        },
        "FINITE>=0");
}

/// A seed: an integer in [0, 2^53].
inline CLI::Validator seed_range() { return CLI::Range(std::int64_t(0), std::int64_t(1) << 53); }

void add_validate_command(CLI::App& app, int& exit_code);
void add_simulate_command(CLI::App& app, int& exit_code);
void add_sensitivity_command(CLI::App& app, int& exit_code);
void add_optimize_command(CLI::App& app, int& exit_code);
void add_train_command(CLI::App& app, int& exit_code);
void add_evaluate_command(CLI::App& app, int& exit_code);
void add_rollout_command(CLI::App& app, int& exit_code);
void add_compare_command(CLI::App& app, int& exit_code);
void add_diagnose_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_dmp_command(CLI::App& app, int& exit_code);
void add_bench_dmp_command(CLI::App& app, int& exit_code);
void add_imitate_command(CLI::App& app, int& exit_code);

} // namespace podsim::apps
