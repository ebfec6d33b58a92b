#pragma once
// log.csv of a training run (docs/design.md section 7): one row per epoch, row 0 = the initial
// policy; written whole and atomically after every epoch, read back (validated) on --resume. Its
// columns are declared once, in log_columns(); the header, the writer and the reader follow it.

#include "pods/train/epoch_stats.hpp"
#include "pods/train/evaluation.hpp"

#include <istream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace podsim::pods {

/// One row of log.csv. wall_s: cumulative training seconds (test-bed evaluation excluded);
/// sim_steps: cumulative simulated steps of training.
struct LogRow {
    int epoch = 0;
    double wall_s = 0;
    long long sim_steps = 0;
    double train_return = 0;
    EvaluationSummary test;
    double alpha_mean = 0, fit_loss = 0;
    int failed = 0;
    double gradient_norm = 0, improved_return = 0;
    double policy_std = 0, approx_kl = 0, clip_fraction = 0, value_loss = 0; ///< PPO (0 otherwise)
    double local_return = 0, global_return = 0, bc_loss = 0, pull_loss = 0;   ///< H-NDP (0 otherwise)
    int pulled_regions = 0;
    double temperature = 0, entropy = 0;                                       ///< SAC (0 otherwise)
    /// with validation states (TrainConfig::validation): the policy's mean return on them (0
    /// otherwise), and the epoch whose policy the run delivers after this row (the best
    /// validation return so far; without validation states, this row's epoch)
    double validation_return = 0;
    int best_epoch = 0;
    double mu = 0; ///< PODS2: the Gauss-Newton damping of the epoch's improvement (0 otherwise)
};

/// How a column's value is written: kShortest the shortest text that reads back to the same
/// double (std::to_chars: "0.25", "1e+05"), kInteger decimal digits.
enum class LogFormat { kShortest, kInteger };

/// The test return of the policy a run delivers after row `row` of its log: that of the row
/// `log[row].best_epoch` names (the row's own without validation states).
double delivered_return(const std::vector<LogRow>& log, std::size_t row);

/// One column of log.csv: its header name, its text form and its value in a row (integer fields
/// convert exactly through double).
struct LogColumn {
    std::string_view name;
    LogFormat format;
    double (*get)(const LogRow& row);
    void (*set)(LogRow& row, double value);
};

/// log.csv's columns in file order: epoch, wall_s, sim_steps, train_return, the test bed's
/// statistics and the methods' training statistics (docs/training.md, "Files of a run").
std::span<const LogColumn> log_columns();
/// The header line (no newline): the columns' names, comma separated.
const std::string& log_header();

/// The row of an epoch: its training statistics and the test-bed evaluation after it (best_epoch:
/// the epoch itself).
LogRow log_row(int epoch, double wall_s, long long sim_steps, const EpochStats& stats, const EvaluationSummary& test);

/// The CSV line (no newline) of a row; with `prefix` (e.g. "pods2,1,") in front.
std::string log_line(const LogRow& row, const std::string& prefix = "");

/// Reads log.csv: header as log_header(), one row per epoch 0, 1, 2, ..., every field stored by
/// its header's column name. Throws InputError "<file>: line L: column C: <what>" on any problem.
std::vector<LogRow> read_log_csv(const std::string& path);
/// The same from a stream; `path` names it in messages.
std::vector<LogRow> parse_log_csv(std::istream& in, const std::string& path);

} // namespace podsim::pods
