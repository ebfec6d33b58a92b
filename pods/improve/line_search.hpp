#pragma once
// Projected backtracking line search on the re-simulated cost (docs/design.md section 4,
// docs/optimization.md): along the projected arc a(alpha) = clamp(a + alpha delta), alpha =
// alpha0, alpha0/2, ... accept the first with C(a(alpha)) < C(a) (and, optionally, an Armijo
// sufficient decrease).

#include "pods/improve/box_step.hpp"
#include "pods/task/cost.hpp"
#include "pods/task/task.hpp"
#include "sim/bdf2.hpp"

#include <vector>

namespace podsim::pods {

struct LineSearchResult {
    bool accepted = false;
    double alpha = 0;       ///< the accepted step (0 when none)
    double cost = 0;        ///< C of the returned actions (C(a) when none accepted)
    int evaluations = 0;    ///< rollouts simulated
    Eigen::MatrixXd actions;///< clamp(a + alpha delta), or a when none accepted
    std::vector<sim::State> states; ///< rollout z_0..z_N of `actions` when accepted (empty when none)
};

/// Tries alpha0 / 2^k for k = 0..max_halvings; a trial whose Newton solve fails counts as
/// rejected. `cost_a` is C(a). Never returns a cost above C(a).
LineSearchResult line_search(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                             const sim::State& z0, const Eigen::MatrixXd& actions, double cost_a,
                             const Eigen::MatrixXd& delta, double alpha0 = 1.0, int max_halvings = 10);

struct ArcSearchOptions {
    double alpha0 = 1;              ///< first trial step
    int max_halvings = 10;          ///< trials alpha0 / 2^k, k = 0..max_halvings
    double sufficient_decrease = 0; ///< sigma of the Armijo test along the arc (0: any decrease)
};

/// line_search with an Armijo test along the projected arc (Bertsekas 1982): a trial a(alpha)
/// is accepted when C(a(alpha)) < C(a) and C(a(alpha)) <= C(a) + sigma grad . (a(alpha) - a),
/// `gradient` = dC/da at a (n_a x N; read only when sigma > 0). The displacement a(alpha) - a is
/// the projected one, so components that hit the box count only as far as they moved.
LineSearchResult projected_arc_search(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                                      const sim::State& z0, const Eigen::MatrixXd& actions, double cost_a,
                                      const Eigen::MatrixXd& delta, const Eigen::MatrixXd& gradient,
                                      const ArcSearchOptions& options);

/// The closed-loop search of DDP (Tassa, Erez and Todorov 2012) along a Riccati step's feedback law
/// `law` around the rollout `states` (z_0..z_N) of `actions`: for alpha = alpha0, alpha0/2, ... the
/// rollout from states[0] with
///   a_t = clamp(a_t + alpha k_t + K_t (z'_t - z_t), -L, L),   z'_0 = z_0,
/// accepted like projected_arc_search, with the displacement a' - a in the Armijo test. Its
/// improved trajectory follows the law exactly where no component is clamped.
LineSearchResult feedback_search(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                                 const std::vector<sim::State>& states, const Eigen::MatrixXd& actions, double cost_a,
                                 const FeedbackLaw& law, const Eigen::MatrixXd& gradient, const ArcSearchOptions& options);

} // namespace podsim::pods
