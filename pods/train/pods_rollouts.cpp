// Rollouts, improvement and regression samples of one or several policies (see pods_rollouts.hpp).
#include "pods/train/pods_rollouts.hpp"

#include "pods/improve/improve_step.hpp"
#include "pods/train/exchange.hpp"
#include "pods/train/timing.hpp"

#include <chrono>
#include <exception>
#include <string>

namespace podsim::pods {

namespace {

// one lockstep batch: its group and the range [begin, end) of the group's trajectories
struct Batch {
    int group, begin, end;
};

} // namespace

void pods_rollouts(Workers& workers, const ObservationMap& obs_map, const Task& task, const QuadraticCost& cost,
                   const TrainConfig& config, std::span<const PodsGroup> groups, std::vector<PodsGroupResult>& results)
{
    const sim::Model& model = workers.simulators(0, 1)[0]->model();
    const int n = task.horizon;
    results.resize(groups.size());
    std::vector<Batch> batches;
    std::vector<std::vector<ImproveResult>> improved(groups.size());
    std::vector<std::vector<std::string>> errors(groups.size());
    std::vector<std::vector<double>> rollout_s(groups.size()), improve_s(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const int k = int(groups[g].initial.size());
        results[g].rollouts.resize(std::size_t(k));
        results[g].samples.assign(std::size_t(k), RegressionData{});
        improved[g].assign(std::size_t(k), ImproveResult{});
        errors[g].assign(std::size_t(k), std::string());
        rollout_s[g].assign(std::size_t(k), 0.0);
        improve_s[g].assign(std::size_t(k), 0.0);
        for (int c = 0; c < lockstep_batches(k); ++c) batches.push_back({int(g), batch_begin(c), batch_end(c, k)});
    }
    ImproveOptions options;
    options.order = config.second_order() ? StepOrder::kSecond : StepOrder::kFirst;
    options.mu = config.mu;
    options.max_halvings = config.max_halvings;
    // the feedback and on-policy targets' improvement follows its own law (the DDP forward pass)
    options.feedback_search = config.pods_target != PodsTarget::kOpenLoop;

    // roll out every lockstep batch, then improve and re-simulate each trajectory of it and build
    // its regression samples
    const Cluster& cluster = workers.cluster();
    const std::vector<int> mine = cluster.owned_batches(int(batches.size()));
#pragma omp parallel for num_threads(workers.threads()) schedule(dynamic, 1)
    for (int q = 0; q < int(mine.size()); ++q) {
        const Batch& b = batches[std::size_t(mine[std::size_t(q)])];
        const PodsGroup& group = groups[std::size_t(b.group)];
        PodsGroupResult& res = results[std::size_t(b.group)];
        const auto g = std::size_t(b.group);
        const int th = thread_index(), count = b.end - b.begin;
        const auto t0 = Clock::now();
        closed_loop_rollouts(workers.simulators(th, count), *group.policy, obs_map, task, cost,
                             group.initial.subspan(std::size_t(b.begin), std::size_t(count)), false,
                             workers.workspace(th), std::span(res.rollouts).subspan(std::size_t(b.begin), std::size_t(count)));
        rollout_s[g][std::size_t(b.begin)] = seconds(t0, Clock::now());
        if (!group.improve) continue;
        for (int i = b.begin; i < b.end; ++i) {
            const ClosedLoopRollout& r = res.rollouts[std::size_t(i)];
            if (!r.ok) continue;
            const auto t1 = Clock::now();
            try {
                ImproveResult& imp = improved[g][std::size_t(i)];
                imp = improve_actions(workers.sim(th), task, cost, r.states, r.actions, r.cost, options);
                res.samples[std::size_t(i)] =
                    improvement_samples(model, obs_map, r.states, r.actions, imp.states, imp.actions, imp.feedback, imp.alpha,
                                        group.policy->horizon(), task.action_limit, config.pods_target, config.pods_metric);
            } catch (const std::exception& e) {
                errors[g][std::size_t(i)] = e.what();
            }
            improve_s[g][std::size_t(i)] = seconds(t1, Clock::now());
        }
    }
    // every rank gets every trajectory's outcome, improvement summary and samples
    cluster.share_batches(
        int(batches.size()),
        [&](int c, WireWriter& w) {
            const Batch& b = batches[std::size_t(c)];
            const auto g = std::size_t(b.group);
            w.put(rollout_s[g][std::size_t(b.begin)]);
            for (int i = b.begin; i < b.end; ++i) {
                const ImproveResult& imp = improved[g][std::size_t(i)];
                if (groups[g].decisions) put_decisions(w, results[g].rollouts[std::size_t(i)]);
                else put_outcome(w, results[g].rollouts[std::size_t(i)]);
                w.put(errors[g][std::size_t(i)]);
                w.put(improve_s[g][std::size_t(i)]);
                w.put(imp.evaluations);
                for (double v : {imp.cost_after, imp.alpha, imp.gradient_norm}) w.put(v);
                put_samples(w, results[g].samples[std::size_t(i)]);
            }
        },
        [&](int c, WireReader& in) {
            const Batch& b = batches[std::size_t(c)];
            const auto g = std::size_t(b.group);
            rollout_s[g][std::size_t(b.begin)] = in.get<double>();
            for (int i = b.begin; i < b.end; ++i) {
                ImproveResult& imp = improved[g][std::size_t(i)];
                if (groups[g].decisions) get_decisions(in, results[g].rollouts[std::size_t(i)]);
                else get_outcome(in, results[g].rollouts[std::size_t(i)]);
                errors[g][std::size_t(i)] = in.get_string();
                improve_s[g][std::size_t(i)] = in.get<double>();
                imp.evaluations = in.get<int>();
                for (double* v : {&imp.cost_after, &imp.alpha, &imp.gradient_norm}) *v = in.get<double>();
                get_samples(in, results[g].samples[std::size_t(i)]);
            }
        });

    // statistics in trajectory order; failed trajectories are left out of the regression
    for (std::size_t g = 0; g < groups.size(); ++g) {
        PodsGroupResult& res = results[g];
        EpochStats& s = res.stats;
        s = EpochStats{};
        int ok = 0;
        for (int i = 0; i < int(res.rollouts.size()); ++i) {
            const ClosedLoopRollout& r = res.rollouts[std::size_t(i)];
            const std::string& error = errors[g][std::size_t(i)];
            s.sim_steps += r.ok ? n : r.failed_step + 1;
            s.rollout_cpu_s += rollout_s[g][std::size_t(i)];
            s.improve_cpu_s += improve_s[g][std::size_t(i)];
            if (!r.ok || !error.empty()) {
                ++s.failed;
                s.failures.push_back({i, r.ok ? -1 : r.failed_step, r.ok ? error : r.failure});
                res.samples[std::size_t(i)] = RegressionData{};
                continue;
            }
            const ImproveResult& imp = improved[g][std::size_t(i)];
            ++ok;
            s.train_return -= r.cost;
            if (!groups[g].improve) continue;
            s.sim_steps += std::int64_t(imp.evaluations) * n;
            s.improved_return -= imp.cost_after;
            s.alpha_mean += imp.alpha;
            s.gradient_norm += imp.gradient_norm;
        }
        if (ok > 0) {
            s.train_return /= ok;
            s.improved_return /= ok;
            s.alpha_mean /= ok;
            s.gradient_norm /= ok;
        }
    }
}

} // namespace podsim::pods
