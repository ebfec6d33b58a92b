// A training run's state, its epochs and evaluation (see trainer.hpp).
#include "pods/train/trainer.hpp"

#include "pods/task/initial_state.hpp"
#include "pods/task/random.hpp"
#include "pods/train/policy_factory.hpp"
#include "policy/policy_io.hpp"

namespace podsim::pods {

namespace {

std::vector<std::unique_ptr<policy::PolicyWorkspace>> fit_workspaces(const policy::Policy& p, int threads)
{
    std::vector<std::unique_ptr<policy::PolicyWorkspace>> ws;
    for (int t = 0; t < threads; ++t) ws.push_back(p.make_workspace());
    return ws;
}

} // namespace

Trainer::Trainer(const Scene& scene, const TrainConfig& config, int threads, const Cluster& cluster)
    : m_scene(&scene), m_config((validate_train_config(config), config)), m_method(&learner_entry(config.method)),
      m_cost(quadratic_cost(scene.model, scene.task)), m_obs(observation_map(scene.model, scene.task)),
      m_policy(make_policy(scene.model, scene.task, config)), m_adam(m_method->policy_adam(config), m_policy->n_params()),
      m_workers(scene.model, threads, cluster),
      m_test_bed(test_bed(scene.model, scene.task, config.test_seed, config.test_episodes)),
      m_validation(validation_states(scene, config)),
      m_fit_ws(fit_workspaces(*m_policy, threads)), m_learner(m_method->make(scene, config, *m_policy, threads))
{
}

namespace {

// a policy file's description without its weights and its initialisation's scale, at any depth
// (the NDP head nests its network)
nlohmann::json architecture(nlohmann::json j)
{
    if (!j.is_object()) return j;
    j.erase("parameters");
    j.erase("last_layer_scale");
    for (auto& [key, value] : j.items()) value = architecture(value);
    return j;
}

std::string describe(const policy::Policy& p)
{
    return p.type() + " with " + std::to_string(p.n_obs()) + " observations, " + std::to_string(p.n_act()) +
           " actions, plan length " + std::to_string(p.horizon()) + " and " + std::to_string(p.n_params()) + " parameters";
}

} // namespace

std::string Trainer::policy_mismatch(const policy::Policy& p) const
{
    const nlohmann::json a = architecture(policy::policy_to_json(p)), b = architecture(policy::policy_to_json(*m_policy));
    std::string keys;
    for (auto it = b.begin(); it != b.end(); ++it)
        if (!a.contains(it.key()) || a[it.key()] != it.value()) keys += (keys.empty() ? "" : ", ") + it.key();
    if (keys.empty() && p.n_params() == m_policy->n_params()) return {};
    return "the policy is " + describe(p) + ", the run's configuration builds " + describe(*m_policy) +
           (keys.empty() ? "" : " (they differ in " + keys + ")");
}

void Trainer::restore(std::unique_ptr<policy::Policy> p, policy::Adam adam)
{
    if (const std::string why = policy_mismatch(*p); !why.empty())
        throw std::invalid_argument("the checkpoint does not match the run: " + why);
    m_policy = std::move(p);
    m_adam = std::move(adam);
    m_fit_ws = fit_workspaces(*m_policy, m_workers.threads());
}

std::vector<sim::State> training_states(const Scene& scene, const TrainConfig& config, int epoch)
{
    const std::uint64_t epoch_seed = derive_seed(config.seed, kTrainStream, std::uint64_t(epoch));
    std::vector<sim::State> out;
    out.reserve(std::size_t(config.batch));
    for (int i = 0; i < config.batch; ++i)
        out.push_back(sample_initial_state(scene.model, scene.task, derive_seed(epoch_seed, kTrainStream, std::uint64_t(i))));
    return out;
}

std::vector<sim::State> validation_states(const Scene& scene, const TrainConfig& config)
{
    const std::uint64_t stream_seed = derive_seed(config.seed, kValidationStream, 0);
    std::vector<sim::State> out;
    out.reserve(std::size_t(config.validation));
    for (int i = 0; i < config.validation; ++i)
        out.push_back(sample_initial_state(scene.model, scene.task, derive_seed(stream_seed, kValidationStream, std::uint64_t(i))));
    return out;
}

EpochStats Trainer::run_epoch(int epoch)
{
    const std::vector<sim::State> initial = training_states(*m_scene, m_config, epoch);
    const EpochContext ctx{*m_scene, m_config, *m_policy, m_adam, m_workers, m_obs, m_cost, m_fit_ws, initial};
    return m_learner->epoch(epoch, ctx);
}

EvaluationSummary Trainer::evaluate()
{
    return evaluate_policy(m_workers, *m_policy, m_obs, m_scene->task, m_cost, m_test_bed);
}

EvaluationSummary Trainer::validate()
{
    if (m_validation.empty()) return {};
    return evaluate_policy(m_workers, *m_policy, m_obs, m_scene->task, m_cost, m_validation);
}

} // namespace podsim::pods
