// PODS and BPTT epochs (see trainer.hpp).
#include "pods/train/trainer.hpp"

#include "pods/improve/improve_step.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/task/random.hpp"
#include "pods/train/policy_factory.hpp"

#include <exception>

namespace podsim::pods {

namespace {

policy::AdamConfig adam_config(const TrainConfig& c)
{
    policy::AdamConfig a;
    if (c.is_pods()) {
        a.lr = c.fit_lr;
    } else {
        a.lr = c.bptt_lr;
        a.clip_norm = c.clip_norm;
    }
    return a;
}

} // namespace

Trainer::Trainer(const Scene& scene, const TrainConfig& config, int threads)
    : m_scene(&scene), m_config(config), m_cost(quadratic_cost(scene.model, scene.task)),
      m_obs(observation_map(scene.model, scene.task)), m_policy(make_policy(scene.model, scene.task, config)),
      m_adam(adam_config(config), m_policy->n_params()), m_workers(scene.model, threads),
      m_test_bed(test_bed(scene.model, scene.task, config.test_seed, config.test_episodes)),
      m_fit_ws(m_policy->make_workspace())
{
    validate_train_config(config);
}

void Trainer::restore(std::unique_ptr<policy::Policy> p, policy::Adam adam)
{
    if (p->type() != m_policy->type() || p->n_params() != m_policy->n_params() || p->n_obs() != m_policy->n_obs() ||
        p->n_act() != m_policy->n_act() || p->horizon() != m_policy->horizon())
        throw std::invalid_argument("the checkpoint's policy does not match the run's configuration");
    m_policy = std::move(p);
    m_adam = std::move(adam);
    m_fit_ws = m_policy->make_workspace();
}

std::vector<sim::State> Trainer::training_states(int epoch) const
{
    const std::uint64_t epoch_seed = derive_seed(m_config.seed, kTrainStream, std::uint64_t(epoch));
    std::vector<sim::State> out;
    out.reserve(std::size_t(m_config.batch));
    for (int i = 0; i < m_config.batch; ++i)
        out.push_back(sample_initial_state(m_scene->model, m_scene->task, derive_seed(epoch_seed, kTrainStream, std::uint64_t(i))));
    return out;
}

EpochStats Trainer::run_epoch(int epoch) { return m_config.is_pods() ? pods_epoch(epoch) : bptt_epoch(epoch); }

EvaluationSummary Trainer::evaluate()
{
    return evaluate_policy(m_workers, *m_policy, m_obs, m_scene->task, m_cost, m_test_bed);
}

EpochStats Trainer::pods_epoch(int epoch)
{
    const sim::Model& model = m_scene->model;
    const Task& task = m_scene->task;
    const int k = m_config.batch, n = task.horizon;
    const std::vector<sim::State> initial = training_states(epoch);
    m_rollouts.resize(std::size_t(k));
    m_samples.assign(std::size_t(k), RegressionData{});
    std::vector<ImproveResult> improved(static_cast<std::size_t>(k));
    std::vector<std::string> errors(static_cast<std::size_t>(k));
    ImproveOptions options;
    options.order = m_config.second_order() ? StepOrder::kSecond : StepOrder::kFirst;
    options.mu = m_config.mu;
    options.max_halvings = m_config.max_halvings;

    // roll out, improve and re-simulate every trajectory; build its regression samples
#pragma omp parallel for num_threads(m_workers.threads()) schedule(dynamic, 1)
    for (int i = 0; i < k; ++i) {
        const int th = thread_index();
        ClosedLoopRollout& r = m_rollouts[std::size_t(i)];
        closed_loop_rollout(m_workers.sim(th), *m_policy, m_obs, task, m_cost, initial[std::size_t(i)], false,
                            m_workers.workspace(th), r);
        if (!r.ok) continue;
        try {
            ImproveResult& res = improved[std::size_t(i)];
            res = improve_actions(m_workers.sim(th), task, m_cost, r.states, r.actions, r.cost, options);
            m_samples[std::size_t(i)] = regression_samples(model, m_obs, res.states, res.actions, m_policy->horizon());
        } catch (const std::exception& e) {
            errors[std::size_t(i)] = e.what();
        }
    }

    // statistics in trajectory order; failed trajectories are left out of the regression
    EpochStats s;
    int ok = 0;
    for (int i = 0; i < k; ++i) {
        const ClosedLoopRollout& r = m_rollouts[std::size_t(i)];
        s.sim_steps += r.ok ? n : r.failed_step + 1;
        if (!r.ok || !errors[std::size_t(i)].empty()) {
            ++s.failed;
            s.failures.push_back({i, r.ok ? -1 : r.failed_step, r.ok ? errors[std::size_t(i)] : r.failure});
            m_samples[std::size_t(i)] = RegressionData{};
            continue;
        }
        const ImproveResult& res = improved[std::size_t(i)];
        ++ok;
        s.sim_steps += std::int64_t(res.evaluations) * n;
        s.train_return -= r.cost;
        s.improved_return -= res.cost_after;
        s.alpha_mean += res.alpha;
        s.gradient_norm += res.gradient_norm;
    }
    if (ok > 0) {
        s.train_return /= ok;
        s.improved_return /= ok;
        s.alpha_mean /= ok;
        s.gradient_norm /= ok;
    }
    const RegressionData data = concatenate(m_samples);
    s.fit_loss = fit_policy(*m_policy, m_adam, data, m_config.fit_steps, m_config.minibatch,
                            derive_seed(m_config.seed, kFitStream, std::uint64_t(epoch)), *m_fit_ws);
    return s;
}

EpochStats Trainer::bptt_epoch(int epoch)
{
    const Task& task = m_scene->task;
    const int k = m_config.batch, n = task.horizon;
    const std::vector<sim::State> initial = training_states(epoch);
    m_rollouts.resize(std::size_t(k));
    m_gradients.resize(std::size_t(k));
    std::vector<std::string> errors(static_cast<std::size_t>(k));

    // closed-loop rollouts with their tapes, then each trajectory's parameter gradient
#pragma omp parallel for num_threads(m_workers.threads()) schedule(dynamic, 1)
    for (int i = 0; i < k; ++i) {
        const int th = thread_index();
        ClosedLoopRollout& r = m_rollouts[std::size_t(i)];
        closed_loop_rollout(m_workers.sim(th), *m_policy, m_obs, task, m_cost, initial[std::size_t(i)], true,
                            m_workers.workspace(th), r);
        if (!r.ok) continue;
        if (!closed_loop_gradient(m_workers.sim(th), *m_policy, m_obs, task, m_cost, r, m_config.truncation,
                                  m_workers.workspace(th), m_gradients[std::size_t(i)], errors[std::size_t(i)]) &&
            errors[std::size_t(i)].empty())
            errors[std::size_t(i)] = "the policy gradient is undefined";
    }

    // mean gradient over the successful trajectories, summed in index order; one Adam step
    EpochStats s;
    Eigen::VectorXd grad = Eigen::VectorXd::Zero(m_policy->n_params());
    int ok = 0;
    for (int i = 0; i < k; ++i) {
        const ClosedLoopRollout& r = m_rollouts[std::size_t(i)];
        s.sim_steps += r.ok ? n : r.failed_step + 1;
        if (!r.ok || !errors[std::size_t(i)].empty()) {
            ++s.failed;
            s.failures.push_back({i, r.ok ? -1 : r.failed_step, r.ok ? errors[std::size_t(i)] : r.failure});
            continue;
        }
        ++ok;
        s.train_return -= r.cost;
        grad += m_gradients[std::size_t(i)];
    }
    if (ok > 0) {
        s.train_return /= ok;
        grad /= ok;
        Eigen::VectorXd params = m_policy->parameters();
        s.gradient_norm = m_adam.step(params, grad);
        m_policy->set_parameters(params);
    }
    return s;
}

} // namespace podsim::pods
