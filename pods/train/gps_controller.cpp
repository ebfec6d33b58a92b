// GPS's local controllers (see gps_controller.hpp).
#include "pods/train/gps_controller.hpp"

#include "common/input_error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace podsim::pods {

double mean_squared_step(const Eigen::MatrixXd& actions, const Eigen::MatrixXd& delta, double limit)
{
    if (actions.size() == 0) return 0;
    const Eigen::MatrixXd moved = (actions + delta).cwiseMax(-limit).cwiseMin(limit) - actions;
    return moved.squaredNorm() / (double(actions.size()) * limit * limit);
}

namespace {

// one Riccati pass at damping eta; nullopt when its H_uu is ill-conditioned
std::optional<LocalController> riccati_pass(const LqModel& lq, const Eigen::MatrixXd& actions, double limit,
                                            const ActionMask& held, double eta)
{
    try {
        BoxStepResult r = box_riccati_step(lq, actions, limit, eta, held);
        LocalController c;
        c.eta = eta;
        c.step = r.delta.allFinite() ? mean_squared_step(actions, r.delta, limit) : std::numeric_limits<double>::infinity();
        c.law = std::move(r.feedback);
        return c;
    } catch (const common::RuntimeFailure&) {
        return std::nullopt;
    }
}

} // namespace

LocalController trust_region_controller(const LqModel& lq, const Eigen::MatrixXd& actions, double limit,
                                        const ActionMask& held, double epsilon, double eta_start,
                                        const EtaSearchOptions& options)
{
    const double log_min = std::log(options.eta_min), log_max = std::log(options.eta_max);
    const double log_tol = std::log1p(options.tolerance), log_eps = std::log(epsilon);
    int passes = 0;
    // a pass at log eta: its law, or nullopt (too long a step)
    auto pass = [&](double log_eta) {
        ++passes;
        return riccati_pass(lq, actions, limit, held, std::exp(log_eta));
    };
    // log(D / epsilon) of a pass: positive when the step is too long (+infinity without a law)
    auto excess = [&](const std::optional<LocalController>& c) {
        return c ? std::log(c->step) - log_eps : std::numeric_limits<double>::infinity();
    };
    auto done = [&](std::optional<LocalController> c) {
        if (!c) throw common::RuntimeFailure("GPS: no Riccati pass of the eta search succeeded");
        c->passes = passes;
        return std::move(*c);
    };

    // the start, then steps of a factor 10 toward the crossing of D = epsilon
    double log_eta = std::clamp(std::log(eta_start), log_min, log_max);
    std::optional<LocalController> c = pass(log_eta);
    double e = excess(c);
    if (std::abs(e) <= log_tol) return done(std::move(c));
    // the bracket: `lo` too long a step (e > 0), `hi` within epsilon (e < 0) with its law
    double lo = 0, hi = 0;
    std::optional<LocalController> feasible;
    const double decade = std::log(10.0);
    if (e > 0) {
        lo = log_eta;
        while (true) {
            if (lo >= log_max || passes >= options.max_passes) return done(std::move(c));
            hi = std::min(lo + decade, log_max);
            std::optional<LocalController> next = pass(hi);
            const double en = excess(next);
            if (next) c = std::move(next);
            if (std::abs(en) <= log_tol) return done(std::move(c));
            if (en < 0) {
                feasible = std::move(c);
                break;
            }
            lo = hi;
        }
    } else {
        hi = log_eta;
        feasible = std::move(c);
        while (true) {
            if (hi <= log_min || passes >= options.max_passes) return done(std::move(feasible));
            lo = std::max(hi - decade, log_min);
            std::optional<LocalController> next = pass(lo);
            const double en = excess(next);
            if (std::abs(en) <= log_tol) return done(std::move(next));
            if (en > 0) break;
            feasible = std::move(next);
            hi = lo;
        }
    }
    // bisection in log eta between lo (too long) and hi (within epsilon)
    while (passes < options.max_passes) {
        const double mid = 0.5 * (lo + hi);
        std::optional<LocalController> next = pass(mid);
        const double en = excess(next);
        if (std::abs(en) <= log_tol) return done(std::move(next));
        if (en > 0) {
            lo = mid;
        } else {
            hi = mid;
            feasible = std::move(next);
        }
    }
    return done(std::move(feasible));
}

void controller_rollout(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                        const std::vector<sim::State>& states, const Eigen::MatrixXd& actions, const FeedbackLaw& law,
                        const Eigen::MatrixXd& noise, ControllerRollout& out)
{
    const int n = int(actions.cols()), na = int(actions.rows());
    const double limit = task.action_limit;
    out.states.resize(std::size_t(n) + 1);
    out.actions.setZero(na, n);
    out.mean.setZero(na, n);
    out.ok = false;
    out.cost = 0;
    out.steps = 0;
    out.states[0] = states[0];
    for (int t = 0; t < n; ++t) {
        // the controller's action at z'_t, then the noise
        out.mean.col(t) = actions.col(t) + law.feedforward.col(t);
        out.mean.col(t).noalias() +=
            law.gain[std::size_t(t)] * (stacked_state(out.states[std::size_t(t)]) - stacked_state(states[std::size_t(t)]));
        out.mean.col(t) = out.mean.col(t).cwiseMax(-limit).cwiseMin(limit);
        out.actions.col(t) = out.mean.col(t);
        if (noise.size() > 0) out.actions.col(t) = (out.actions.col(t) + noise.col(t)).cwiseMax(-limit).cwiseMin(limit);
        ++out.steps;
        if (!out.actions.col(t).allFinite() ||
            !sim.step(out.states[std::size_t(t)], out.actions.col(t), out.states[std::size_t(t) + 1]).converged) {
            out.states.resize(std::size_t(t) + 1);
            return;
        }
    }
    out.cost = cost.total(sim.model(), out.states, out.actions);
    out.ok = std::isfinite(out.cost);
}

double gps_step_multiplier(double predicted, double actual)
{
    if (!(predicted > 0)) return 0.1;
    const double m = predicted / (2 * std::max(predicted - actual, 1e-4 * predicted));
    return std::clamp(m, 0.1, 5.0);
}

} // namespace podsim::pods
