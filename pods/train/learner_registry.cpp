// The table of training methods (see learner_registry.hpp).
#include "pods/train/learner_registry.hpp"

#include "pods/hndp/reinforcement.hpp"
#include "pods/train/bptt_learner.hpp"
#include "pods/train/gps.hpp"
#include "pods/train/pods_learner.hpp"
#include "pods/train/ppo.hpp"
#include "pods/train/sac.hpp"
#include "pods/train/shac.hpp"
#include "pods/train/train_settings.hpp"

#include <stdexcept>

namespace podsim::pods {

namespace {

template <class L>
std::unique_ptr<Learner> make_plain(const Scene&, const TrainConfig&, const policy::Policy&, int)
{
    return std::make_unique<L>();
}

// a learner made from the scene's model and task, the configuration, the initial policy and the threads
template <class L>
std::unique_ptr<Learner> make_model_free(const Scene& scene, const TrainConfig& config, const policy::Policy& policy,
                                         int threads)
{
    return std::make_unique<L>(scene.model, scene.task, config, policy, threads);
}

std::unique_ptr<Learner> make_pods(const Scene&, const TrainConfig& config, const policy::Policy& policy, int)
{
    return std::make_unique<PodsLearner>(config, policy);
}

std::unique_ptr<Learner> make_hndp(const Scene& scene, const TrainConfig& config, const policy::Policy&, int threads)
{
    return std::make_unique<hndp::HndpLearner>(scene.model, scene.task, config, threads);
}

std::unique_ptr<Learner> make_gps(const Scene& scene, const TrainConfig& config, const policy::Policy& policy, int)
{
    return std::make_unique<GpsLearner>(scene.model, scene.task, config, policy);
}

// Both PODS variants regress at the policy's own states (training.md, "The on-policy target"): PODS2
// fits its improvement's feedback law there, PODS1 (no law) its improved actions. PODS2 also
// replays the last 3 epochs' samples in every fit ("A replay of earlier epochs' samples": steadier
// late epochs at the suite's budgets); PODS1 loses with a replay. PODS2's damping adapts where its
// search is open loop ("An adaptive damping where the search is open loop": the ropes)
void pods2_defaults(TrainConfig& c)
{
    c.pods_target = PodsTarget::kOnPolicy;
    c.fit_replay = 3;
    c.pods_damping = PodsDamping::kAdaptive;
}

void pods1_defaults(TrainConfig& c) { c.pods_target = PodsTarget::kOnPolicy; }

const std::vector<LearnerEntry>& table()
{
    // name, summary, checkpoint key, default head, the policy's Adam, factory, settings (from the
    // settings table's methods), the method's own defaults
    static const std::vector<LearnerEntry> t{
        {Method::kPods2, "pods2", "PODS, second order", "pods", Head::kMlp, &PodsLearner::policy_adam, &make_pods,
         method_settings(Method::kPods2), &pods2_defaults},
        {Method::kPods1, "pods1", "PODS, first order", "pods", Head::kMlp, &PodsLearner::policy_adam, &make_pods,
         method_settings(Method::kPods1), &pods1_defaults},
        {Method::kBptt, "bptt", "backpropagation through time", "", Head::kMlp, &BpttLearner::policy_adam,
         &make_plain<BpttLearner>, method_settings(Method::kBptt)},
        {Method::kPpo, "ppo", "PPO", "ppo", Head::kMlp, &PpoLearner::policy_adam, &make_model_free<PpoLearner>,
         method_settings(Method::kPpo)},
        // the global policy is fitted by the PODS regression
        {Method::kHndp, "hndp", "H-NDP", "hndp", Head::kNdp, &PodsLearner::policy_adam, &make_hndp, method_settings(Method::kHndp)},
        {Method::kSac, "sac", "soft actor-critic", "sac", Head::kMlp, &SacLearner::policy_adam, &make_model_free<SacLearner>,
         method_settings(Method::kSac)},
        // the S-step is the PODS regression
        {Method::kGps, "gps", "guided policy search (MDGPS)", "gps", Head::kMlp, &GpsLearner::policy_adam, &make_gps,
         method_settings(Method::kGps)},
        {Method::kShac, "shac", "short-horizon actor-critic", "shac", Head::kMlp, &ShacLearner::policy_adam,
         &make_model_free<ShacLearner>, method_settings(Method::kShac)},
    };
    return t;
}

} // namespace

std::span<const LearnerEntry> learner_entries() { return table(); }

TrainConfig method_defaults(Method method)
{
    const LearnerEntry& e = learner_entry(method);
    TrainConfig c;
    c.method = method;
    c.head = e.default_head;
    if (e.defaults) e.defaults(c);
    return c;
}

const LearnerEntry& learner_entry(Method method)
{
    for (const LearnerEntry& e : table())
        if (e.method == method) return e;
    throw std::invalid_argument("method " + to_string(method) + ": not in the learner registry");
}

const LearnerEntry& learner_entry(std::string_view name)
{
    for (const LearnerEntry& e : table())
        if (e.name == name) return e;
    throw std::invalid_argument("got \"" + std::string(name) + "\", must be one of " + learner_names_text());
}

std::vector<std::string> learner_names()
{
    std::vector<std::string> out;
    for (const LearnerEntry& e : table()) out.emplace_back(e.name);
    return out;
}

std::string learner_names_text()
{
    std::string out;
    for (const LearnerEntry& e : table()) out += (out.empty() ? "" : ", ") + std::string(e.name);
    return out;
}

} // namespace podsim::pods
