// Projected backtracking line search (see line_search.hpp).
#include "pods/improve/line_search.hpp"

#include "sim/rollout.hpp"

namespace podsim::pods {

LineSearchResult line_search(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                             const sim::State& z0, const Eigen::MatrixXd& actions, double cost_a,
                             const Eigen::MatrixXd& delta, double alpha0, int max_halvings)
{
    LineSearchResult r;
    r.cost = cost_a;
    r.actions = actions;
    std::vector<sim::State> states;
    double alpha = alpha0;
    for (int k = 0; k <= max_halvings; ++k, alpha *= 0.5) {
        const Eigen::MatrixXd trial = task.clamp(actions + alpha * delta);
        ++r.evaluations;
        if (!sim::rollout(sim, z0, trial, states).converged) continue;
        const double c = cost.total(sim.model(), states, trial);
        if (c < cost_a) {
            r.accepted = true;
            r.alpha = alpha;
            r.cost = c;
            r.actions = trial;
            break;
        }
    }
    return r;
}

} // namespace podsim::pods
