// Open-loop optimisation by repeated box-aware improvements (see optimize.hpp).
#include "pods/improve/optimize.hpp"

#include "common/input_error.hpp"
#include "pods/improve/active_set.hpp"
#include "sim/rollout.hpp"

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

    double g0 = -1;
    bool measured = false; // active / gradient_norm refer to out.actions
    for (int k = 0; k < options.max_iterations; ++k) {
        ImproveResult r = improve_actions(sim, task, cost, out.states, out.actions, c, options.improve);
        out.evaluations += r.evaluations;
        out.active = r.active;
        out.gradient_norm = r.gradient_norm;
        measured = true;
        if (g0 < 0) g0 = r.gradient_norm;
        if (r.gradient_norm <= options.gradient_tolerance * g0) {
            out.reason = StopReason::kProjectedGradient;
            return out;
        }
        if (!r.accepted) {
            out.reason = StopReason::kNoDecrease;
            return out;
        }
        out.actions = std::move(r.actions);
        out.states = std::move(r.states);
        out.costs.push_back(r.cost_after);
        ++out.iterations;
        measured = false;
        const double decrease = c - r.cost_after;
        c = r.cost_after;
        if (decrease <= options.relative_tolerance * std::abs(out.costs[out.costs.size() - 2])) {
            out.reason = StopReason::kRelativeDecrease;
            break;
        }
    }
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
