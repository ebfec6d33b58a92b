// Open-loop episodes with costs (see episode.hpp).
#include "pods/task/episode.hpp"

#include "common/input_error.hpp"

namespace podsim::pods {

double Episode::total_cost() const
{
    double c = 0;
    for (const CostTerms& t : costs) c += t.total();
    return c;
}

Episode run_episode(sim::Simulator& sim, const Task& task, const sim::State& z0,
                    const Eigen::MatrixXd& actions, int* clamped)
{
    const sim::Model& model = sim.model();
    Episode e;
    e.actions = task.clamp(actions);
    if (clamped) *clamped = int((e.actions.array() != actions.array()).count());
    e.stats = sim::rollout(sim, z0, e.actions, e.states);
    if (!e.stats.converged) throw common::RuntimeFailure(e.stats.failure.message(e.stats.failed_step));
    const int n = int(actions.cols());
    e.costs.reserve(std::size_t(n) + 1);
    for (int t = 0; t < n; ++t) e.costs.push_back(step_cost(model, task, e.states[std::size_t(t)], e.actions.col(t)));
    e.costs.push_back(terminal_cost(model, task, e.states[std::size_t(n)]));
    return e;
}

} // namespace podsim::pods
