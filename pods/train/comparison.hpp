#pragma once
// Summaries of `podsim compare` (docs/training.md): per method over seeds, the final test return
// (mean +- std), training wall time, simulated steps, time to reach 95% of the best final return
// and the optimality ratio; compare.csv and the Markdown table.

#include "pods/train/training_log.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace podsim::pods {

struct ComparedRun {
    std::string method;
    std::uint64_t seed = 0;
    std::vector<LogRow> log;  ///< rows 0..E
    double optimality_ratio = std::numeric_limits<double>::quiet_NaN();
};

struct MethodSummary {
    std::string method;
    int runs = 0;
    /// over seeds, of the delivered policy's test return after the last row (delivered_return:
    /// the last policy's, or with validation states the selected one's)
    double final_return_mean = 0, final_return_std = 0;
    double epochs_mean = 0;
    double wall_s_mean = 0;                              ///< training seconds of the last row
    double sim_steps_mean = 0;                           ///< simulated steps of the last row
    /// mean over the runs that got there of the first wall_s whose delivered test return is within 5% of the
    /// best method's final return (return >= best - 0.05 |best|); NaN when no run did
    double time_to_95_mean = std::numeric_limits<double>::quiet_NaN();
    int reached_95 = 0;                                  ///< runs that got there
    double optimality_mean = std::numeric_limits<double>::quiet_NaN();
};

/// One summary per method, in order of first appearance.
std::vector<MethodSummary> summarize(const std::vector<ComparedRun>& runs);

/// compare.csv: "method,seed," + the log.csv columns, every row of every run.
std::string compare_csv(const std::vector<ComparedRun>& runs);

/// | method | runs | epochs | final test return | training s | simulated steps | time to 95% | optimality ratio |
std::string markdown_table(const std::vector<MethodSummary>& summaries);

} // namespace podsim::pods
