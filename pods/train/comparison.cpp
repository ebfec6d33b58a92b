// Comparison summaries, compare.csv and the Markdown table (see comparison.hpp).
#include "pods/train/comparison.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace podsim::pods {

std::vector<MethodSummary> summarize(const std::vector<ComparedRun>& runs)
{
    // group in order of first appearance
    std::vector<MethodSummary> out;
    std::vector<std::vector<const ComparedRun*>> groups;
    for (const ComparedRun& r : runs) {
        auto it = std::find_if(out.begin(), out.end(), [&](const MethodSummary& m) { return m.method == r.method; });
        if (it == out.end()) {
            out.push_back(MethodSummary{});
            out.back().method = r.method;
            groups.emplace_back();
            it = out.end() - 1;
        }
        groups[std::size_t(it - out.begin())].push_back(&r);
    }
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t g = 0; g < out.size(); ++g) {
        MethodSummary& m = out[g];
        double sum = 0, opt = 0;
        int opt_n = 0;
        for (const ComparedRun* r : groups[g]) {
            const LogRow& last = r->log.back();
            sum += delivered_return(r->log, r->log.size() - 1);
            m.epochs_mean += last.epoch;
            m.wall_s_mean += last.wall_s;
            m.sim_steps_mean += double(last.sim_steps);
            if (std::isfinite(r->optimality_ratio)) {
                opt += r->optimality_ratio;
                ++opt_n;
            }
        }
        m.runs = int(groups[g].size());
        m.final_return_mean = sum / m.runs;
        double squares = 0; // two passes: one run gives exactly 0
        for (const ComparedRun* r : groups[g])
            squares += std::pow(delivered_return(r->log, r->log.size() - 1) - m.final_return_mean, 2);
        m.final_return_std = std::sqrt(squares / m.runs);
        m.epochs_mean /= m.runs;
        m.wall_s_mean /= m.runs;
        m.sim_steps_mean /= m.runs;
        if (opt_n) m.optimality_mean = opt / opt_n;
        best = std::max(best, m.final_return_mean);
    }
    // time to 95% of the best final return
    const double threshold = best - 0.05 * std::abs(best);
    for (std::size_t g = 0; g < out.size(); ++g) {
        double sum = 0;
        for (const ComparedRun* r : groups[g])
            for (std::size_t i = 0; i < r->log.size(); ++i)
                if (delivered_return(r->log, i) >= threshold) {
                    sum += r->log[i].wall_s;
                    ++out[g].reached_95;
                    break;
                }
        if (out[g].reached_95) out[g].time_to_95_mean = sum / out[g].reached_95;
    }
    return out;
}

std::string compare_csv(const std::vector<ComparedRun>& runs)
{
    std::string out = "method,seed," + log_header() + "\n";
    for (const ComparedRun& r : runs)
        for (const LogRow& row : r.log) out += log_line(row, r.method + "," + std::to_string(r.seed) + ",") + "\n";
    return out;
}

std::string markdown_table(const std::vector<MethodSummary>& summaries)
{
    std::string out = "| method | runs | epochs | final test return (mean +- std over seeds) | training s | "
                      "simulated steps | time to 95% of best (s) | optimality ratio |\n|---|---|---|---|---|---|---|---|\n";
    char buf[512];
    for (const MethodSummary& m : summaries) {
        std::string t95 = "never";
        if (m.reached_95) {
            std::snprintf(buf, sizeof buf, "%.1f", m.time_to_95_mean);
            t95 = buf;
            if (m.reached_95 < m.runs) t95 += " (" + std::to_string(m.reached_95) + "/" + std::to_string(m.runs) + " runs)";
        }
        std::string opt = "-";
        if (std::isfinite(m.optimality_mean)) {
            std::snprintf(buf, sizeof buf, "%.3f", m.optimality_mean);
            opt = buf;
        }
        std::snprintf(buf, sizeof buf, "| %s | %d | %.0f | %.4g +- %.2g | %.1f | %.3g | %s | %s |\n", m.method.c_str(),
                      m.runs, m.epochs_mean, m.final_return_mean, m.final_return_std, m.wall_s_mean, m.sim_steps_mean,
                      t95.c_str(), opt.c_str());
        out += buf;
    }
    return out;
}

} // namespace podsim::pods
