// Highlights and the plain-language summary of a diagnostics run (see highlights.hpp).
#include "pods/diagnose/highlights.hpp"

#include <cmath>
#include <cstdio>
#include <numbers>

namespace podsim::pods {

namespace {

std::string format(const char* f, double v)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, f, v);
    return buffer;
}

// sigma_1 is the largest stretch: "grows perturbations by up to 10^3.2", "... by up to a factor
// of 3.9", "shrinks every perturbation to at most 0.4 of its size", "... to at most 10^-2.5 ..."
std::string growth_phrase(double log10_growth)
{
    if (!std::isfinite(log10_growth)) return "makes every perturbation vanish";
    if (log10_growth >= 1) return "grows perturbations by up to a factor of 10^" + format("%.1f", log10_growth);
    if (log10_growth >= 0) return "grows perturbations by up to a factor of " + format("%.2g", std::pow(10.0, log10_growth));
    if (log10_growth > -1)
        return "shrinks every perturbation to at most " + format("%.2g", std::pow(10.0, log10_growth)) + " of its size";
    return "shrinks every perturbation to at most 10^" + format("%.1f", log10_growth) + " of its size";
}

} // namespace

SeriesExtremes extremes(const Eigen::VectorXd& series)
{
    SeriesExtremes e;
    for (Eigen::Index t = 0; t < series.size(); ++t) {
        if (!std::isfinite(series[t])) continue; // rows without a value (no decision at t)
        if (e.max_step < 0 || series[t] > e.max) { e.max = series[t]; e.max_step = int(t); }
        if (e.min_step < 0 || series[t] < e.min) { e.min = series[t]; e.min_step = int(t); }
    }
    return e;
}

GrowthHighlights growth_highlights(const GrowthProfile& g)
{
    GrowthHighlights h;
    if (g.accumulated_log_sigma.size() == 0) return h;
    h.log10_growth = g.accumulated_log_sigma[0] / std::numbers::ln10;
    h.ftle = g.ftle[0];
    h.transition = extremes(g.transition_sigma);
    return h;
}

BpttHighlights bptt_highlights(const BpttProfile& p, int policy_horizon)
{
    BpttHighlights h;
    h.norm = p.total.norm();
    const double sum = p.norm.sum();
    h.coherence = sum > 0 ? h.norm / sum : 0;
    // first steps holding half and 90% of the sum of the contributions' norms
    double running = 0;
    h.half_steps = h.most_steps = int(p.norm.size());
    bool half = false;
    for (Eigen::Index t = 0; t < p.norm.size(); ++t) {
        running += p.norm[t];
        if (!half && running >= 0.5 * sum) { h.half_steps = int(t) + 1; half = true; }
        if (running >= 0.9 * sum) { h.most_steps = int(t) + 1; break; }
    }
    // extremes over the decision steps only (the others contribute nothing by construction)
    const int k = std::max(policy_horizon, 1);
    Eigen::VectorXd decisions((p.norm.size() + k - 1) / k);
    for (Eigen::Index j = 0; j < decisions.size(); ++j) decisions[j] = p.norm[j * k];
    h.contribution = extremes(decisions);
    h.contribution.max_step *= k;
    h.contribution.min_step *= k;
    return h;
}

std::string diagnostics_summary(const Diagnostics& d)
{
    const double seconds = d.horizon * d.dt;
    const GrowthHighlights open = growth_highlights(d.open_loop);
    std::string s = "Over the " + std::to_string(d.horizon) + "-step horizon (" + format("%.3g", seconds) + " s) the " +
                    std::string(d.has_policy ? "open-loop dynamics along the policy's trajectory" : "open-loop dynamics") +
                    " (handles following the actions) " + growth_phrase(open.log10_growth) +
                    " (finite-time Lyapunov exponent " + format("%+.3g", open.ftle) + " /s). ";
    // the value gradient along the horizon
    const SeriesExtremes g = extremes(d.gradient_norm);
    if (g.max > 0) {
        s += "|dV/da_t| is largest at step " + std::to_string(g.max_step) + " (" + format("%.3g", g.max) + ") and smallest at step " +
             std::to_string(g.min_step) + " (" + format("%.3g", g.min) + ")";
        if (g.min > 0) s += ", a spread of 10^" + format("%.1f", std::log10(g.max / g.min));
        s += ". ";
    }
    // conditioning of the PODS second-order step
    const GaussNewtonSpectrum& gn = d.gauss_newton;
    if (gn.computed) {
        s += "The Gauss-Newton matrix of PODS's second-order step has condition number " + format("%.3g", gn.condition);
        if (gn.eigenvalue_min <= 1.01 * gn.action_term && gn.action_term > 0)
            s += "; its smallest eigenvalue is the action weight's 2 w_a = " + format("%.3g", gn.action_term) +
                 ", so some action directions are invisible to the state cost and only the action weight fixes them";
        s += ". ";
    }
    if (!d.has_policy) return s + "Run with --policy to see the closed loop that BPTT differentiates.";

    // the closed loop and BPTT
    const GrowthHighlights closed = growth_highlights(d.closed_loop);
    s += "Through the closed loop of this " + d.policy_type + " policy" +
         (d.policy_horizon > 1 ? " (planning " + std::to_string(d.policy_horizon) + " steps per decision)" : std::string()) +
         " the map " + growth_phrase(closed.log10_growth) + " (exponent " + format("%+.3g", closed.ftle) + " /s)";
    if (closed.log10_growth > open.log10_growth + 1) s += ": the policy's feedback destabilises the motion, and BPTT's gradient passes through exactly this map";
    else if (closed.log10_growth < open.log10_growth - 1) s += ": the policy's feedback stabilises the motion, which keeps BPTT's gradients bounded";
    s += ". ";
    const BpttHighlights b = bptt_highlights(d.bptt, d.policy_horizon);
    if (b.norm > 0) {
        s += "BPTT's parameter gradient (|g| = " + format("%.3g", b.norm) + ") gets half of its contributions from the first " +
             std::to_string(b.half_steps) + " steps and 90% from the first " + std::to_string(b.most_steps) +
             "; the largest is at step " + std::to_string(b.contribution.max_step) + ", and the contributions " +
             (b.coherence < 0.3 ? "largely cancel" : b.coherence > 0.7 ? "mostly agree" : "partly cancel") +
             " (|g| / sum |g_t| = " + format("%.2f", b.coherence) + ").";
        if (b.half_steps * 5 <= d.horizon)
            s += " Early steps dominate: BPTT mostly learns from the start of the horizon, while PODS fits every step's improved action equally.";
    } else {
        s += "BPTT's parameter gradient is zero on this trajectory.";
    }
    return s;
}

} // namespace podsim::pods
