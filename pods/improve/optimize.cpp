// Open-loop optimisation by repeated box-aware improvements (see optimize.hpp).
#include "pods/improve/optimize.hpp"

#include "common/input_error.hpp"
#include "pods/improve/active_set.hpp"
#include "sim/rollout.hpp"
#include "sim/sensitivity.hpp"

#include <algorithm>
#include <cmath>

namespace podsim::pods {

const char* to_string(StopReason reason)
{
    switch (reason) {
    case StopReason::kRelativeDecrease: return "relative_decrease";
    case StopReason::kProjectedGradient: return "projected_gradient";
    case StopReason::kNoDecrease: return "no_decrease";
    case StopReason::kIterationCap: return "iteration_cap";
    }
    return "unknown";
}

OptimizeResult optimize_actions(sim::Simulator& sim, const Task& task, const QuadraticCost& cost, const sim::State& z0,
                                const Eigen::MatrixXd& initial_actions, const OptimizeOptions& options)
{
    OptimizeResult out;
    out.actions = task.clamp(initial_actions);
    const sim::RolloutStats stats = sim::rollout(sim, z0, out.actions, out.states);
    if (!stats.converged) throw common::RuntimeFailure(stats.failure.message(stats.failed_step));
    double c = cost.total(sim.model(), out.states, out.actions);
    out.costs.push_back(c);

    ImproveOptions step = options.improve;
    const bool adapt = options.adapt_mu && step.order == StepOrder::kSecond;
    // larger mu after a poor or failed step; false when it is already at its cap
    auto increase_mu = [&] {
        if (!adapt || step.mu >= options.max_mu) return false;
        step.mu = std::min(options.max_mu, std::max(step.mu * options.mu_factor, options.min_mu));
        return true;
    };
    double g0 = -1;
    bool measured = false; // active / gradient_norm refer to out.actions
    for (int k = 0; k < options.max_iterations; ++k) {
        ImproveResult r;
        try {
            r = improve_actions(sim, task, cost, out.states, out.actions, c, step);
        } catch (const sim::SensitivityError&) {
            throw;
        } catch (const common::RuntimeFailure&) {
            if (increase_mu()) continue; // a singular Gauss-Newton system: damp it
            throw;
        }
        out.evaluations += r.evaluations;
        out.cg_iterations += r.cg_iterations;
        if (r.method != GaussNewtonMethod::kAuto) ++out.method_steps[std::size_t(r.method)];
        out.active = r.active;
        out.gradient_norm = r.gradient_norm;
        measured = true;
        if (g0 < 0) g0 = r.gradient_norm;
        if (r.gradient_norm <= options.gradient_tolerance * g0) {
            out.reason = StopReason::kProjectedGradient;
            break;
        }
        if (!r.accepted) {
            if (increase_mu()) continue;
            out.reason = StopReason::kNoDecrease;
            break;
        }
        out.actions = std::move(r.actions);
        out.states = std::move(r.states);
        out.costs.push_back(r.cost_after);
        ++out.iterations;
        measured = false;
        const double decrease = c - r.cost_after;
        c = r.cost_after;
        // a stall counts only for a full step that was not damped beyond the requested mu (a small
        // step of a large mu says little about optimality)
        const bool undamped = !adapt || (r.alpha == 1 && step.mu <= options.improve.mu);
        if (undamped && decrease <= options.relative_tolerance * std::abs(out.costs[out.costs.size() - 2])) {
            out.reason = StopReason::kRelativeDecrease;
            break;
        }
        if (adapt && r.alpha == 1) {
            step.mu /= options.mu_factor;
            if (step.mu < options.min_mu) step.mu = 0;
        } else if (r.alpha < 0.25) {
            increase_mu();
        }
    }
    out.mu = step.mu;
    if (!measured) {
        // the active set and projected gradient at the returned actions
        const Eigen::MatrixXd grad = cost_gradient_adjoint(sim, cost, out.states, out.actions);
        const ActionMask held = active_set(out.actions, grad, task.action_limit, options.improve.bound_tolerance);
        out.active = count(held);
        out.gradient_norm = projected_gradient(grad, held).norm();
    }
    return out;
}

} // namespace podsim::pods
