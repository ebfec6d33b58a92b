// diagnostics.csv and diagnostics.json (see diagnostics_io.hpp).
#include "pods/diagnose/diagnostics_io.hpp"

#include "common/text_io.hpp"
#include "pods/diagnose/highlights.hpp"

#include <cmath>
#include <numbers>
#include <vector>

namespace podsim::pods {

namespace {

std::vector<double> to_vector(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }

// log10 of the growth factors (JSON has no infinity; the factor itself may overflow)
std::vector<double> log10_of(const Eigen::VectorXd& log_sigma)
{
    std::vector<double> out(std::size_t(log_sigma.size()));
    for (Eigen::Index t = 0; t < log_sigma.size(); ++t) out[std::size_t(t)] = log_sigma[t] / std::numbers::ln10;
    return out;
}

nlohmann::json extremes_json(const SeriesExtremes& e)
{
    return {{"max", e.max}, {"max_step", e.max_step}, {"min", e.min}, {"min_step", e.min_step}};
}

nlohmann::json growth_json(const GrowthProfile& g)
{
    const GrowthHighlights h = growth_highlights(g);
    return {{"log10_growth", h.log10_growth},
            {"ftle", h.ftle},
            {"transition_sigma", extremes_json(h.transition)},
            {"per_step",
             {{"transition_sigma", to_vector(g.transition_sigma)},
              {"log10_accumulated_sigma", log10_of(g.accumulated_log_sigma)},
              {"ftle", to_vector(g.ftle)}}}};
}

void add(std::string& out, double v)
{
    out += ',';
    common::append_double(out, v);
}

} // namespace

std::string diagnostics_csv(const Diagnostics& d)
{
    const bool closed = d.has_policy;
    std::string out = "step,time,gradient_norm,transition_sigma,accumulated_sigma,ftle";
    if (d.has_policy) out += ",closed_gradient_norm";
    if (closed) out += ",closed_transition_sigma,closed_accumulated_sigma,closed_ftle";
    if (d.has_policy) out += ",bptt_norm,bptt_share,bptt_cumulative";
    out += '\n';
    const double bptt_sum = d.has_policy ? d.bptt.norm.sum() : 0;
    double running = 0;
    for (int t = 0; t < d.horizon; ++t) {
        out += std::to_string(t);
        add(out, t * d.dt);
        add(out, d.gradient_norm[t]);
        add(out, d.open_loop.transition_sigma[t]);
        add(out, std::exp(d.open_loop.accumulated_log_sigma[t]));
        add(out, d.open_loop.ftle[t]);
        if (d.has_policy) add(out, d.closed_gradient_norm[t]);
        if (closed) {
            add(out, d.closed_loop.transition_sigma[t]);
            add(out, std::exp(d.closed_loop.accumulated_log_sigma[t]));
            add(out, d.closed_loop.ftle[t]);
        }
        if (d.has_policy) {
            running += d.bptt.norm[t];
            add(out, d.bptt.norm[t]);
            add(out, d.bptt.share[t]);
            add(out, bptt_sum > 0 ? running / bptt_sum : 0.0);
        }
        out += '\n';
    }
    return out;
}

nlohmann::json diagnostics_json(const Diagnostics& d)
{
    const GaussNewtonSpectrum& gn = d.gauss_newton;
    nlohmann::json gauss_newton = {{"computed", gn.computed}, {"order", gn.order}, {"action_term", gn.action_term}};
    if (gn.computed) {
        gauss_newton["eigenvalue_max"] = gn.eigenvalue_max;
        gauss_newton["eigenvalue_min"] = gn.eigenvalue_min;
        gauss_newton["condition"] = gn.condition;
    } else {
        gauss_newton["skipped"] = gn.skipped;
    }
    nlohmann::json open = growth_json(d.open_loop);
    open["state"] = "free nodes: (x, v, x_prev, v_prev), " + std::to_string(4 * d.n_x) + " entries";
    open["gradient_norm"] = extremes_json(extremes(d.gradient_norm));
    open["gradient_norm"]["total"] = d.gradient_norm.norm();
    open["per_step"]["gradient_norm"] = to_vector(d.gradient_norm);
    open["gauss_newton"] = gauss_newton;

    nlohmann::json j = {{"horizon", d.horizon},
                        {"dt", d.dt},
                        {"free_dofs", d.n_x},
                        {"action_size", d.n_a},
                        {"cost", d.cost},
                        {"value", 0.0 - d.cost},
                        {"clamped_actions", d.clamped},
                        {"open_loop", open}};
    if (d.has_policy) {
        nlohmann::json closed = {{"policy_type", d.policy_type}, {"policy_horizon", d.policy_horizon}};
        closed.update(growth_json(d.closed_loop));
        closed["state"] = d.policy_horizon == 1
                              ? "(x, v, x_prev, v_prev, p), " + std::to_string(4 * d.n_x + d.n_a) + " entries, per step"
                              : "(x, v, x_prev, v_prev, p, a_prev), " + std::to_string(4 * d.n_x + 2 * d.n_a) +
                                    " entries, per decision (every " + std::to_string(d.policy_horizon) + " steps; null between)";
        closed["gradient_norm"] = extremes_json(extremes(d.closed_gradient_norm));
        closed["gradient_norm"]["total"] = d.closed_gradient_norm.norm();
        closed["per_step"]["gradient_norm"] = to_vector(d.closed_gradient_norm);
        const BpttHighlights b = bptt_highlights(d.bptt, d.policy_horizon);
        closed["bptt"] = {{"gradient_norm", b.norm},
                          {"coherence", b.coherence},
                          {"steps_to_half", b.half_steps},
                          {"steps_to_90_percent", b.most_steps},
                          {"contribution", extremes_json(b.contribution)},
                          {"per_step", {{"norm", to_vector(d.bptt.norm)}, {"share", to_vector(d.bptt.share)}}}};
        j["closed_loop"] = closed;
    }
    j["summary"] = diagnostics_summary(d);
    return j;
}

} // namespace podsim::pods
