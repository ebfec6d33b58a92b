// Projected backtracking line search (see line_search.hpp).
#include "pods/improve/line_search.hpp"

#include "pods/improve/lq_model.hpp"
#include "sim/rollout.hpp"

namespace podsim::pods {

namespace {

// a simulated trial of cost c: accepted when c < C(a) and, with sigma > 0, the Armijo test
// c <= C(a) + sigma grad . (trial - a) holds; then recorded in r (its states moved out)
bool accept(LineSearchResult& r, double c, double cost_a, double alpha, const Eigen::MatrixXd& trial,
            const Eigen::MatrixXd& actions, const Eigen::MatrixXd& gradient, double sigma, std::vector<sim::State>& states)
{
    if (!(c < cost_a)) return false;
    if (sigma > 0 && !(c <= cost_a + sigma * gradient.reshaped().dot((trial - actions).reshaped()))) return false;
    r.accepted = true;
    r.alpha = alpha;
    r.cost = c;
    r.actions = trial;
    r.states = std::move(states);
    return true;
}

} // namespace

LineSearchResult line_search(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                             const sim::State& z0, const Eigen::MatrixXd& actions, double cost_a,
                             const Eigen::MatrixXd& delta, double alpha0, int max_halvings)
{
    ArcSearchOptions o;
    o.alpha0 = alpha0;
    o.max_halvings = max_halvings;
    return projected_arc_search(sim, task, cost, z0, actions, cost_a, delta, Eigen::MatrixXd(), o);
}

LineSearchResult projected_arc_search(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                                      const sim::State& z0, const Eigen::MatrixXd& actions, double cost_a,
                                      const Eigen::MatrixXd& delta, const Eigen::MatrixXd& gradient,
                                      const ArcSearchOptions& options)
{
    LineSearchResult r;
    r.cost = cost_a;
    r.actions = actions;
    std::vector<sim::State> states;
    Eigen::MatrixXd trial(actions.rows(), actions.cols());
    double alpha = options.alpha0;
    for (int k = 0; k <= options.max_halvings; ++k, alpha *= 0.5) {
        trial = (actions + alpha * delta).cwiseMax(-task.action_limit).cwiseMin(task.action_limit);
        ++r.evaluations;
        if (!sim::rollout(sim, z0, trial, states).converged) continue;
        if (accept(r, cost.total(sim.model(), states, trial), cost_a, alpha, trial, actions, gradient,
                   options.sufficient_decrease, states))
            break;
    }
    return r;
}

LineSearchResult feedback_search(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                                 const std::vector<sim::State>& states, const Eigen::MatrixXd& actions, double cost_a,
                                 const FeedbackLaw& law, const Eigen::MatrixXd& gradient, const ArcSearchOptions& options)
{
    LineSearchResult r;
    r.cost = cost_a;
    r.actions = actions;
    const int n = int(actions.cols());
    std::vector<sim::State> trial_states(std::size_t(n) + 1);
    Eigen::MatrixXd trial(actions.rows(), n);
    double alpha = options.alpha0;
    for (int k = 0; k <= options.max_halvings; ++k, alpha *= 0.5) {
        // the rollout under the law, step by step
        ++r.evaluations;
        trial_states[0] = states[0];
        bool converged = true;
        for (int t = 0; t < n && converged; ++t) {
            trial.col(t) = actions.col(t) + alpha * law.feedforward.col(t);
            trial.col(t).noalias() +=
                law.gain[std::size_t(t)] * (stacked_state(trial_states[std::size_t(t)]) - stacked_state(states[std::size_t(t)]));
            trial.col(t) = trial.col(t).cwiseMax(-task.action_limit).cwiseMin(task.action_limit);
            converged = trial.col(t).allFinite() &&
                        sim.step(trial_states[std::size_t(t)], trial.col(t), trial_states[std::size_t(t) + 1]).converged;
        }
        if (!converged) continue;
        if (accept(r, cost.total(sim.model(), trial_states, trial), cost_a, alpha, trial, actions, gradient,
                   options.sufficient_decrease, trial_states))
            break;
    }
    return r;
}

} // namespace podsim::pods
