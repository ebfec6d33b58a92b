#pragma once
// Open-loop optimisation of an action sequence to convergence (docs/optimization.md): repeated
// box-aware improvements (improve_actions) until the decrease stalls.

#include "pods/improve/improve_step.hpp"

#include <array>
#include <vector>

namespace podsim::pods {

enum class StopReason {
    kRelativeDecrease,  ///< a full step (alpha = 1, mu <= improve.mu) decreased the cost by less
                        ///< than relative_tolerance
    kProjectedGradient, ///< |projected gradient| <= gradient_tolerance |projected gradient at the start|
    kNoDecrease,        ///< the line search found no decrease
    kIterationCap,      ///< max_iterations accepted steps
};

/// "relative_decrease", "projected_gradient", "no_decrease", "iteration_cap".
const char* to_string(StopReason reason);

struct OptimizeOptions {
    ImproveOptions improve;            ///< the step (order, line search; improve.mu is the first mu)
    int max_iterations = 200;          ///< improve_actions calls at most
    double relative_tolerance = 1e-10; ///< stop when C_{k-1} - C_k <= tol |C_{k-1}|
    double gradient_tolerance = 1e-9;  ///< stop when |g_k| <= tol |g_0| (g: projected gradient)
    /// Levenberg-Marquardt schedule of the second-order steps' mu: divided by mu_factor after a
    /// full step (alpha = 1), multiplied by it after a step of alpha < 1/4, a rejected step or a
    /// singular Gauss-Newton system (which are then retried); kept within [min_mu, max_mu]
    /// (below min_mu it is 0). Without it mu stays improve.mu throughout.
    bool adapt_mu = true;
    double mu_factor = 10;
    double min_mu = 1e-8;
    double max_mu = 1e8;
};

struct OptimizeResult {
    Eigen::MatrixXd actions;        ///< n_a x N, inside the box
    std::vector<sim::State> states; ///< rollout z_0..z_N of `actions`
    std::vector<double> costs;      ///< C of the (clamped) initial actions, then after each accepted step
    int iterations = 0;             ///< accepted steps (costs.size() - 1)
    int evaluations = 0;            ///< rollouts simulated by the line searches
    StopReason reason = StopReason::kIterationCap;
    int active = 0;                 ///< components held at a bound at `actions`
    double gradient_norm = 0;       ///< |projected gradient| at `actions`
    double mu = 0;                  ///< the last mu used
    int cg_iterations = 0;          ///< matrix-free path: Gauss-Newton products over all steps
    /// second-order steps computed per Gauss-Newton method, indexed by GaussNewtonMethod (an
    /// automatic choice can change as mu adapts)
    std::array<int, 4> method_steps{};
};

/// Minimises C(a) over the box |a_i| <= L from initial_actions (n_a x N, clamped into the box)
/// rolled out from z0 (t = 0). Throws common::RuntimeFailure if the initial rollout fails (trial
/// rollouts that fail are rejected by the line search) and sim::SensitivityError.
OptimizeResult optimize_actions(sim::Simulator& sim, const Task& task, const QuadraticCost& cost, const sim::State& z0,
                                const Eigen::MatrixXd& initial_actions, const OptimizeOptions& options);

} // namespace podsim::pods
