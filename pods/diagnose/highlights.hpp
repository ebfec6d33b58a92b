#pragma once
// The few numbers of a diagnostics run that a reader needs first, and the one-paragraph
// plain-language summary built from them (docs/diagnostics.md).

#include "pods/diagnose/diagnostics.hpp"

#include <string>

namespace podsim::pods {

/// Where a per-step series is largest and smallest (non-finite entries skipped).
struct SeriesExtremes {
    double max = 0, min = 0;
    int max_step = -1, min_step = -1;
};
SeriesExtremes extremes(const Eigen::VectorXd& series);

struct GrowthHighlights {
    double log10_growth = 0;   ///< log10 sigma_1(dz_N/dz_0): the whole horizon
    double ftle = 0;           ///< its finite-time Lyapunov exponent, 1/s
    SeriesExtremes transition; ///< of sigma_1(dz_{t+1}/dz_t)
};
GrowthHighlights growth_highlights(const GrowthProfile& g);

/// Where the BPTT parameter gradient comes from.
struct BpttHighlights {
    double norm = 0;          ///< |g|
    double coherence = 0;     ///< |g| / sum_t |g_t| (1: all steps agree; near 0: they cancel)
    int half_steps = 0;       ///< the first this many steps hold half of sum_t |g_t|
    int most_steps = 0;       ///< ... and 90% of it
    SeriesExtremes contribution; ///< of |g_t| over the decision steps
};
BpttHighlights bptt_highlights(const BpttProfile& p, int policy_horizon);

/// One paragraph: growth of the open-loop (and closed-loop) map over the horizon, where the
/// value gradient is large and small, the Gauss-Newton conditioning, which steps dominate the
/// BPTT gradient, and what that means for PODS and BPTT.
std::string diagnostics_summary(const Diagnostics& d);

} // namespace podsim::pods
