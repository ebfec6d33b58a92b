// BPTT epochs (see bptt_learner.hpp).
#include "pods/train/bptt_learner.hpp"

#include "pods/train/exchange.hpp"
#include "pods/train/timing.hpp"

#include <chrono>
#include <span>
#include <string>

namespace podsim::pods {

std::vector<int> tally_gradient_rollouts(std::span<const ClosedLoopRollout> rollouts,
                                         const std::vector<std::string>& errors, const std::vector<double>& rollout_s,
                                         const std::vector<double>& gradient_s, int horizon, EpochStats& stats)
{
    std::vector<int> kept;
    for (int i = 0; i < int(rollouts.size()); ++i) {
        const ClosedLoopRollout& r = rollouts[std::size_t(i)];
        stats.sim_steps += r.ok ? horizon : r.failed_step + 1;
        stats.rollout_cpu_s += rollout_s[std::size_t(i)];
        stats.improve_cpu_s += gradient_s[std::size_t(i)];
        if (!r.ok || !errors[std::size_t(i)].empty()) {
            ++stats.failed;
            stats.failures.push_back({i, r.ok ? -1 : r.failed_step, r.ok ? errors[std::size_t(i)] : r.failure});
            continue;
        }
        kept.push_back(i);
        stats.train_return -= r.cost;
    }
    return kept;
}

policy::AdamConfig BpttLearner::policy_adam(const TrainConfig& c)
{
    policy::AdamConfig a;
    a.lr = c.bptt_lr;
    a.clip_norm = c.clip_norm;
    return a;
}

EpochStats BpttLearner::epoch(int, const EpochContext& ctx)
{
    const Task& task = ctx.scene.task;
    const int k = ctx.config.batch, n = task.horizon;
    const std::vector<sim::State>& initial = ctx.initial;
    m_rollouts.resize(std::size_t(k));
    m_gradients.resize(std::size_t(k));
    std::vector<std::string> errors(static_cast<std::size_t>(k));
    std::vector<double> rollout_s(static_cast<std::size_t>(k)), gradient_s(static_cast<std::size_t>(k));

    // closed-loop rollouts of every lockstep batch with their tapes, then the batch's gradient sum
    const Cluster& cluster = ctx.workers.cluster();
    const int batches = lockstep_batches(k);
    const std::vector<int> mine = cluster.owned_batches(batches);
    m_gradients.resize(std::size_t(batches));
#pragma omp parallel for num_threads(ctx.workers.threads()) schedule(dynamic, 1)
    for (int q = 0; q < int(mine.size()); ++q) {
        const int c = mine[std::size_t(q)], th = thread_index(), begin = batch_begin(c), count = batch_end(c, k) - begin;
        const auto sims = ctx.workers.simulators(th, count);
        const auto rollouts = std::span(m_rollouts).subspan(std::size_t(begin), std::size_t(count));
        const auto t0 = Clock::now();
        closed_loop_rollouts(sims, ctx.policy, ctx.obs, task, ctx.cost,
                             std::span(initial).subspan(std::size_t(begin), std::size_t(count)), true,
                             ctx.workers.workspace(th), rollouts);
        const auto t1 = Clock::now();
        std::vector<std::string> failures;
        closed_loop_gradient(sims, ctx.policy, ctx.obs, task, ctx.cost, rollouts, ctx.config.truncation,
                             ctx.workers.workspace(th), m_gradients[std::size_t(c)], failures);
        for (int b = 0; b < count; ++b) errors[std::size_t(begin + b)] = failures[std::size_t(b)];
        rollout_s[std::size_t(begin)] = seconds(t0, t1);
        gradient_s[std::size_t(begin)] = seconds(t1, Clock::now());
    }
    // every rank gets every trajectory's outcome and every batch's gradient sum
    cluster.share_batches(
        batches,
        [&](int c, WireWriter& w) {
            w.put(rollout_s[std::size_t(batch_begin(c))]);
            w.put(gradient_s[std::size_t(batch_begin(c))]);
            w.put_matrix(m_gradients[std::size_t(c)]);
            for (int i = batch_begin(c); i < batch_end(c, k); ++i) {
                put_outcome(w, m_rollouts[std::size_t(i)]);
                w.put(errors[std::size_t(i)]);
            }
        },
        [&](int c, WireReader& in) {
            rollout_s[std::size_t(batch_begin(c))] = in.get<double>();
            gradient_s[std::size_t(batch_begin(c))] = in.get<double>();
            in.get_matrix(m_gradients[std::size_t(c)]);
            for (int i = batch_begin(c); i < batch_end(c, k); ++i) {
                get_outcome(in, m_rollouts[std::size_t(i)]);
                errors[std::size_t(i)] = in.get_string();
            }
        });

    // mean gradient over the successful trajectories, summed in index order; one Adam step
    const auto sum_start = Clock::now();
    EpochStats s;
    Eigen::VectorXd grad = Eigen::VectorXd::Zero(ctx.policy.n_params());
    const int ok = int(tally_gradient_rollouts(m_rollouts, errors, rollout_s, gradient_s, n, s).size());
    for (int c = 0; c < batches; ++c) grad += m_gradients[std::size_t(c)];
    if (ok > 0) {
        s.train_return /= ok;
        grad /= ok;
        Eigen::VectorXd params = ctx.policy.parameters();
        s.gradient_norm = ctx.adam.step(params, grad);
        ctx.policy.set_parameters(params);
    }
    s.fit_s = seconds(sum_start, Clock::now());
    return s;
}

} // namespace podsim::pods
