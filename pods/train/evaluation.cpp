// Test-bed evaluation of policies (see evaluation.hpp).
#include "pods/train/evaluation.hpp"

#include "pods/task/initial_state.hpp"
#include "pods/task/random.hpp"

#include <cmath>
#include <stdexcept>

namespace podsim::pods {

std::vector<sim::State> test_bed(const sim::Model& model, const Task& task, std::uint64_t seed, int episodes)
{
    std::vector<sim::State> out;
    out.reserve(std::size_t(episodes));
    for (int i = 0; i < episodes; ++i)
        out.push_back(sample_initial_state(model, task, derive_seed(seed, kTestStream, std::uint64_t(i))));
    return out;
}

double terminal_kinetic_energy(const sim::Model& model, const Task& task, const sim::State& z)
{
    const int d = model.dim;
    double ke = 0;
    for (int i : task.payload) ke += 0.5 * model.mass[i * d] * z.v.segment(i * d, d).squaredNorm();
    return ke;
}

double final_distance(const sim::Model& model, const Task& task, const sim::State& z)
{
    const int d = model.dim;
    if (task.payload.empty()) return 0;
    double sum = 0;
    for (std::size_t k = 0; k < task.payload.size(); ++k)
        sum += (z.x.segment(task.payload[k] * d, d) - task.target.col(Eigen::Index(k))).norm();
    return sum / double(task.payload.size());
}

double action_magnitude(const Eigen::MatrixXd& actions)
{
    return actions.cols() ? actions.colwise().norm().mean() : 0.0;
}

namespace {

// what the summary reads of one episode
struct EpisodeNumbers {
    bool ok = false;
    double ret = 0, terminal_ke = 0, final_distance = 0, action_mag = 0;
};

} // namespace

EvaluationSummary evaluate_policy(Workers& workers, const policy::Policy& policy, const ObservationMap& obs_map,
                                  const Task& task, const QuadraticCost& cost, const std::vector<sim::State>& initial,
                                  std::vector<ClosedLoopRollout>* rollouts)
{
    const Cluster& cluster = workers.cluster();
    if (rollouts && cluster.size() > 1)
        throw std::invalid_argument("evaluate_policy: the rollouts are kept only by a single-process evaluation");
    const int n = int(initial.size()), batches = lockstep_batches(n);
    const sim::Model& model = workers.sim(0).model();
    std::vector<ClosedLoopRollout> local;
    std::vector<ClosedLoopRollout>& r = rollouts ? *rollouts : local;
    r.resize(std::size_t(n));
    std::vector<EpisodeNumbers> numbers(static_cast<std::size_t>(n));
    const std::vector<int> mine = cluster.owned_batches(batches);
#pragma omp parallel for num_threads(workers.threads()) schedule(dynamic, 1)
    for (int q = 0; q < int(mine.size()); ++q) {
        const int c = mine[std::size_t(q)], th = thread_index(), begin = batch_begin(c), count = batch_end(c, n) - begin;
        closed_loop_rollouts(workers.simulators(th, count), policy, obs_map, task, cost,
                             std::span(initial).subspan(std::size_t(begin), std::size_t(count)), false,
                             workers.workspace(th), std::span(r).subspan(std::size_t(begin), std::size_t(count)));
        for (int i = begin; i < begin + count; ++i) {
            const ClosedLoopRollout& e = r[std::size_t(i)];
            EpisodeNumbers& x = numbers[std::size_t(i)];
            x.ok = e.ok;
            if (!e.ok) continue;
            x.ret = -e.cost;
            x.terminal_ke = terminal_kinetic_energy(model, task, e.states.back());
            x.final_distance = final_distance(model, task, e.states.back());
            x.action_mag = action_magnitude(e.actions);
        }
    }
    cluster.share_batches(
        batches,
        [&](int c, WireWriter& w) {
            for (int i = batch_begin(c); i < batch_end(c, n); ++i) {
                const EpisodeNumbers& x = numbers[std::size_t(i)];
                w.put(std::uint8_t(x.ok));
                for (double v : {x.ret, x.terminal_ke, x.final_distance, x.action_mag}) w.put(v);
            }
        },
        [&](int c, WireReader& in) {
            for (int i = batch_begin(c); i < batch_end(c, n); ++i) {
                EpisodeNumbers& x = numbers[std::size_t(i)];
                x.ok = in.get<std::uint8_t>() != 0;
                for (double* v : {&x.ret, &x.terminal_ke, &x.final_distance, &x.action_mag}) *v = in.get<double>();
            }
        });

    // summary in episode order
    EvaluationSummary s;
    s.episodes = n;
    double sum = 0;
    for (const EpisodeNumbers& x : numbers) {
        if (!x.ok) {
            ++s.failed;
            continue;
        }
        sum += x.ret;
        s.terminal_ke_mean += x.terminal_ke;
        s.final_distance_mean += x.final_distance;
        s.action_mag_mean += x.action_mag;
    }
    const int ok = n - s.failed;
    if (ok > 0) {
        s.return_mean = sum / ok;
        double squares = 0; // two passes: no cancellation
        for (const EpisodeNumbers& x : numbers)
            if (x.ok) squares += (x.ret - s.return_mean) * (x.ret - s.return_mean);
        s.return_std = std::sqrt(squares / ok);
        s.terminal_ke_mean /= ok;
        s.final_distance_mean /= ok;
        s.action_mag_mean /= ok;
    }
    return s;
}

Episode to_episode(const sim::Model& model, const Task& task, const ClosedLoopRollout& r)
{
    Episode e;
    e.states = r.states;
    e.actions = r.actions;
    const int n = int(r.actions.cols());
    e.costs.reserve(std::size_t(n) + 1);
    for (int t = 0; t < n; ++t) e.costs.push_back(step_cost(model, task, r.states[std::size_t(t)], r.actions.col(t)));
    e.costs.push_back(terminal_cost(model, task, r.states[std::size_t(n)]));
    e.stats.steps = n;
    return e;
}

bool validates_better(const EvaluationSummary& candidate, int best_failed, double best_return)
{
    return candidate.failed < best_failed || (candidate.failed == best_failed && candidate.return_mean > best_return);
}

nlohmann::json to_json(const EvaluationSummary& s)
{
    nlohmann::json j = {{"episodes", s.episodes},
                        {"failed", s.failed},
                        {"return_mean", s.return_mean},
                        {"return_std", s.return_std},
                        {"terminal_ke_mean", s.terminal_ke_mean},
                        {"final_distance_mean", s.final_distance_mean},
                        {"action_mag_mean", s.action_mag_mean}};
    if (!std::isnan(s.optimality_ratio)) j["optimality_ratio"] = s.optimality_ratio;
    if (!std::isnan(s.optimal_cost_mean)) j["optimal_return_mean"] = -s.optimal_cost_mean;
    return j;
}

} // namespace podsim::pods
