// Open-loop rollouts (see rollout.hpp).
#include "sim/rollout.hpp"

namespace podsim::sim {

RolloutStats rollout(Simulator& sim, const State& z0, const Eigen::MatrixXd& actions,
                     std::vector<State>& states)
{
    const int n = int(actions.cols());
    states.resize(std::size_t(n) + 1);
    states[0] = z0;
    RolloutStats stats;
    for (int t = 0; t < n; ++t) {
        const StepStatus s = sim.step(states[std::size_t(t)], actions.col(t), states[std::size_t(t) + 1]);
        stats.newton_iterations += s.iterations;
        stats.factorizations += s.factorizations;
        stats.krylov_iterations += s.krylov;
        stats.steps = t + 1;
        if (!s.converged) {
            stats.converged = false;
            stats.failed_step = t;
            stats.failure = s;
            states.resize(std::size_t(t) + 2);
            break;
        }
    }
    return stats;
}

} // namespace podsim::sim
