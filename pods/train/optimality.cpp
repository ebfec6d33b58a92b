// Open-loop optimal costs and the optimality ratio (see optimality.hpp).
#include "pods/train/optimality.hpp"

#include <cmath>
#include <exception>
#include <limits>

namespace podsim::pods {

std::vector<double> open_loop_optimal_costs(Workers& workers, const Task& task, const QuadraticCost& cost,
                                            const std::vector<sim::State>& initial, const OptimizeOptions& options)
{
    const int n = int(initial.size());
    std::vector<double> out(std::size_t(n), std::numeric_limits<double>::quiet_NaN());
#pragma omp parallel for num_threads(workers.threads()) schedule(dynamic, 1)
    for (int i = 0; i < n; ++i) {
        sim::Simulator& sim = workers.sim(thread_index());
        try {
            const Eigen::MatrixXd zero = Eigen::MatrixXd::Zero(sim.model().n_p(), task.horizon);
            out[std::size_t(i)] = optimize_actions(sim, task, cost, initial[std::size_t(i)], zero, options).costs.back();
        } catch (const std::exception&) {
            // left NaN: reported as a missing optimum
        }
    }
    return out;
}

double optimality_ratio(const std::vector<ClosedLoopRollout>& rollouts, const std::vector<double>& optimal)
{
    double sum = 0;
    int count = 0;
    for (std::size_t i = 0; i < rollouts.size() && i < optimal.size(); ++i) {
        if (!rollouts[i].ok || !std::isfinite(optimal[i]) || !(optimal[i] > 0)) continue;
        sum += rollouts[i].cost / optimal[i];
        ++count;
    }
    return count ? sum / count : std::numeric_limits<double>::quiet_NaN();
}

double mean_optimal_cost(const std::vector<double>& optimal)
{
    double sum = 0;
    int count = 0;
    for (double c : optimal)
        if (std::isfinite(c)) {
            sum += c;
            ++count;
        }
    return count ? sum / count : std::numeric_limits<double>::quiet_NaN();
}

} // namespace podsim::pods
