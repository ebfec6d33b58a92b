#pragma once
// One box-aware improvement of an open-loop action sequence (docs/optimization.md), the
// per-trajectory step of PODS training: active set, a first- or second-order step on the free
// components, a backtracking search along the projected arc clamp(a + alpha delta).

#include "pods/improve/active_set.hpp"
#include "pods/improve/box_step.hpp"
#include "pods/improve/improvement.hpp"
#include "pods/task/cost.hpp"
#include "pods/task/task.hpp"
#include "sim/bdf2.hpp"

#include <vector>

namespace podsim::pods {

enum class StepOrder { kFirst, kSecond };

/// How the first-order step delta = -(projected gradient) is scaled before the line search.
enum class FirstOrderScale {
    kCauchy,   ///< alpha0 = |g|^2 / g^T G g, the minimiser of the Gauss-Newton model (G = J^T Q J
               ///< + R, without mu) along -g (one extra tangent pass), capped so that no
               ///< component moves more than 2 L
    kFraction, ///< alpha0 such that the largest component change is first_order_fraction * L
};

struct ImproveOptions {
    StepOrder order = StepOrder::kSecond;
    double mu = 1;                                   ///< Gauss-Newton regularisation: J^T Q J + R + mu I
                                                     ///< (cost per squared action unit, like R = 2 w_a);
                                                     ///< 1 measured best for one step (docs/optimization.md)
    GaussNewtonMethod method = GaussNewtonMethod::kAuto; ///< kAuto: choose_gauss_newton (by size)
    int max_halvings = 10;                           ///< line search trials alpha0 / 2^k, k = 0..max_halvings
    double sufficient_decrease = 1e-4;               ///< Armijo sigma along the projected arc (0: any decrease)
    double bound_tolerance = 1e-9;                   ///< "at a bound": |a_i| >= L (1 - bound_tolerance)
    bool box_qp = true;                              ///< clamp what the step takes out of the box: Riccati
                                                     ///< path: per-step box QPs (box-DDP); dense path:
                                                     ///< dense_box_passes; false: only the active set is
                                                     ///< held (plain projected Newton on both paths)
    int dense_box_passes = 3;                        ///< dense and matrix-free paths: re-solves with the
                                                     ///< leaving components fixed
    double cg_tolerance = kMatrixFreeTolerance;      ///< matrix-free path: relative residual of each CG solve
    int cg_max_iterations = 0;                       ///< matrix-free path: products per CG solve at most (0: N n_a)
    bool feedback_search = false;                    ///< Riccati path: search along the step's feedback law
                                                     ///< (feedback_search, the DDP forward pass) instead
                                                     ///< of the projected arc
    FirstOrderScale first_order_scale = FirstOrderScale::kCauchy;
    double first_order_fraction = 0.1;               ///< for FirstOrderScale::kFraction
};

struct ImproveResult {
    bool accepted = false;           ///< the line search found a decrease
    double cost_before = 0;          ///< C(actions)
    double cost_after = 0;           ///< C(result actions) <= cost_before
    double alpha = 0;                ///< accepted step (0 when none)
    int evaluations = 0;             ///< rollouts simulated by the line search
    int active = 0;                  ///< action components held at a bound
    double gradient_norm = 0;        ///< |projected gradient|
    Eigen::MatrixXd actions;         ///< improved actions, inside the box (input when none accepted)
    std::vector<sim::State> states;  ///< rollout z_0..z_N of `actions` (the input states when none)
    Eigen::MatrixXd step;            ///< the direction delta searched along (n_a x N; zero when the
                                     ///< projected gradient is zero)
    int clamped = 0;                 ///< free components the box QPs / box passes put on a bound
    int cg_iterations = 0;           ///< matrix-free path: Gauss-Newton products in the CG solves
    GaussNewtonMethod method = GaussNewtonMethod::kAuto; ///< the second-order method used (kAuto for first order)
    FeedbackLaw feedback;            ///< Riccati path: the step's local feedback law (empty otherwise)
};

/// The search direction of improve_actions at `actions` (no rollout).
struct BoxAwareStep {
    Eigen::MatrixXd gradient; ///< dC/da, n_a x N
    ActionMask held;          ///< the active set
    Eigen::MatrixXd delta;    ///< the step, zero on the held components
    double alpha0 = 1;        ///< the line search's first trial (1 for second order)
    int clamped = 0;          ///< free components the box QPs / box passes put on a bound
    GaussNewtonMethod method = GaussNewtonMethod::kAuto; ///< the second-order method used (kAuto for first order)
    int cg_iterations = 0;    ///< matrix-free path: Gauss-Newton products in all CG solves
    bool cg_converged = true; ///< matrix-free path: every CG solve reached cg_tolerance
    FeedbackLaw feedback;     ///< Riccati path: the step's local feedback law (empty otherwise)
};

/// Gradient, active set and step of improve_actions (same arguments and throws).
BoxAwareStep box_aware_step(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                            const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                            const ImproveOptions& options);

/// One box-aware improvement of `actions` (n_a x N, inside the box) whose rollout from
/// states[0] is `states` (z_0..z_N, states[0].t == 0) with cost `cost`.
/// May throw common::RuntimeFailure / sim::SensitivityError (caller catches per trajectory).
/// Uses only `sim` and its arguments (thread-safe with one Simulator per thread).
ImproveResult improve_actions(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                              const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                              double cost_value, const ImproveOptions& options);

} // namespace podsim::pods
