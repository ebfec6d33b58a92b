#pragma once
// Every setting of a training run (docs/training.md): method, policy head and network, batch,
// seeds, the PODS improvement and regression, BPTT's optimiser, PPO's, SAC's, GPS's, SHAC's and H-NDP's settings. Written to config.json; a run is
// resumed only with the same settings.

#include "common/json_node.hpp"
#include "policy/mlp.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace podsim::pods {

enum class Method { kPods2, kPods1, kBptt, kPpo, kHndp, kSac, kGps, kShac };
enum class Head { kMlp, kNdp };

/// What the regression fits (`--pods-target`, `--pods-metric`; docs/training.md).
enum class PodsTarget {
    kOpenLoop, ///< the improved actions at the improved trajectory's states (the PODS paper)
    kFeedback, ///< the improvement follows its box-DDP step's feedback law (the DDP forward pass,
               ///< pods/improve/line_search.hpp), and the regression fits the law also at the states
               ///< of the policy's own rollout, a*_t + K_t (z_t - z*_t) (open loop where no law)
    kOnPolicy, ///< the improvement as kFeedback; the regression fits the law at the states of the
               ///< policy's own rollout only (the improved actions a*_t there where no law)
};
enum class PodsMetric {
    kEuclidean,      ///< |r|^2
    kControlHessian, ///< r^T H_uu,t r per step (box-DDP control Hessians; Euclidean where none),
                     ///< scaled so that the mean of tr(H) / n_a over an epoch's samples is 1
};
/// How PODS2's Gauss-Newton damping `mu` moves across epochs (`--pods-damping`; training.md,
/// "An adaptive damping where the search is open loop").
enum class PodsDamping {
    kFixed,    ///< `mu` throughout
    kAdaptive, ///< where the improvement searches along the open-loop arc (no feedback law, or the
               ///< open-loop target): raised 4x after an epoch whose mean accepted step is below
               ///< 0.9, halved (not below `mu`) after one at 0.99 or above (pods_learner.hpp,
               ///< next_damping); `mu` elsewhere
};
/// "open-loop", "feedback", "on-policy"; "euclidean", "control-hessian"; "fixed", "adaptive".
std::string to_string(PodsTarget t);
std::string to_string(PodsMetric m);
std::string to_string(PodsDamping d);
/// Throw std::invalid_argument listing the choices.
PodsTarget pods_target_from_string(const std::string& s);
PodsMetric pods_metric_from_string(const std::string& s);
PodsDamping pods_damping_from_string(const std::string& s);

/// "pods2", "pods1", "bptt", "ppo", "hndp", "sac", "gps", "shac"; "mlp", "ndp".
std::string to_string(Method m);
std::string to_string(Head h);
/// Throw std::invalid_argument listing the choices.
Method method_from_string(const std::string& s);
Head head_from_string(const std::string& s);

struct TrainConfig {
    Method method = Method::kPods2;
    Head head = Head::kMlp;
    int epochs = 30;                ///< epochs to run (a time budget may stop earlier)
    int batch = 64;                 ///< k: trajectories per epoch
    std::uint64_t seed = 1;         ///< network initialisation and training initial states
    std::uint64_t test_seed = 12345;///< the test bed (the same for every method and seed)
    int test_episodes = 64;
    /// validation states (0: none): after every `validation_every`-th epoch, within the training
    /// time, the policy's failures and mean return on them (drawn from `seed`, apart from the
    /// training and test states) select the policy the run delivers, the best so far
    /// (best_policy.json; docs/training.md, "Validation")
    int validation = 0;
    int validation_every = 1; ///< validate after every this many epochs (and the initial policy)

    // policy network (both heads) and the NDP head's plan
    std::vector<int> hidden{64, 64};
    policy::Activation activation = policy::Activation::TANH;
    double last_layer_scale = 0.01;
    int ndp_horizon = 5;            ///< k actions per decision
    int ndp_basis = 10;
    int ndp_substeps = 4;

    // PODS: trajectory improvement and regression
    double mu = 0.03;               ///< Gauss-Newton regularisation (training.md, "Defaults")
    int max_halvings = 12;          ///< line search
    int fit_steps = 50;             ///< Adam steps per epoch (paper: 50)
    int minibatch = 512;            ///< regression samples per Adam step
    double fit_lr = 5e-3;
    /// beta of the regression's proximal term beta/2 |pi - pi_old|^2 on the epoch's samples, pi_old
    /// the policy before the epoch's fit (0: none; regression.hpp)
    double fit_proximal = 0;
    /// closed-loop checks of the refitted policy on the epoch's initial states: the whole parameter
    /// change of the fit, then halved, until the mean cost is not above the old policy's; the
    /// old policy is kept when none passes (0: no check)
    int fit_guard = 0;
    /// earlier epochs whose regression samples the fit replays with the epoch's own (0: none;
    /// kept in the checkpoint, training.md "A replay of earlier epochs' samples"); a run of pods2
    /// from `podsim train` or Python starts from 3 (learner_registry.hpp, method_defaults)
    int fit_replay = 0;
    /// the share f of the policy's change since a kept epoch that moves its replayed targets:
    /// clamp(a* + f (pi_now - pi_then)) (0: the targets as computed; regression.hpp, followed_targets)
    double fit_replay_follow = 0;
    PodsTarget pods_target = PodsTarget::kFeedback; ///< what the improvement and the regression follow (regression.hpp)
    PodsMetric pods_metric = PodsMetric::kEuclidean; ///< the regression's metric (regression.hpp)
    /// pods2: how `mu` moves across epochs; a run of pods2 from `podsim train` or Python is
    /// adaptive (learner_registry.hpp, method_defaults)
    PodsDamping pods_damping = PodsDamping::kFixed;

    // BPTT
    double bptt_lr = 1e-3;
    double clip_norm = 1.0;         ///< global gradient norm clip (0: none; BPTT and SHAC)
    int truncation = 0;             ///< window of truncated BPTT in steps (0: full horizon)

    // PPO (one PPO sample is one decision: 1 action for the MLP head, the k-step plan for NDP)
    double ppo_lr = 3e-4;           ///< Adam learning rate of the policy and its log-std
    double value_lr = 1e-3;         ///< Adam learning rate of the value network
    int ppo_epochs = 10;            ///< passes over the epoch's decisions
    int ppo_minibatch = 256;        ///< decisions per Adam step
    double ppo_clip = 0.2;          ///< surrogate clip range eps
    double gamma = 0.99;            ///< discount per decision (PPO, SAC and SHAC)
    double gae_lambda = 0.95;
    double entropy_coef = 0.0;      ///< entropy bonus c_H
    double ppo_std_init = 0.5;      ///< initial standard deviation, as a fraction of the action limit
    double ppo_max_grad_norm = 0.5; ///< global gradient-norm clip of each network (0: none)
    bool scale_rewards = true;      ///< divide rewards by the running std of the discounted return

    // SAC (the MLP head; one transition is one step)
    double sac_lr = 1e-3;           ///< Adam learning rate of the actor: the policy and its log-std
    double sac_critic_lr = 1e-3;    ///< Adam learning rate of the twin Q networks
    double sac_alpha_lr = 1e-3;     ///< Adam learning rate of log(alpha), the entropy temperature
    double sac_tau = 0.005;         ///< Polyak factor of the target Q networks
    int sac_buffer = 100000;        ///< replay capacity in transitions (whole episodes are kept)
    int sac_minibatch = 128;        ///< transitions per gradient update
    double sac_updates = 0.1;       ///< gradient updates per transition collected in the epoch
    double sac_alpha_init = 0.1;    ///< initial temperature alpha
    double sac_target_entropy = -1; ///< target entropy per action dimension (the target is n_a times it)

    // GPS (mirror-descent guided policy search, the MLP head; pods/train/gps.hpp); its S-step uses
    // the regression settings above (fit_steps, minibatch, fit_lr)
    int gps_conditions = 64;        ///< M: initial states drawn once from the seed, kept for the run
    int gps_samples = 4;            ///< rollouts of each local controller per epoch, the first without noise
    double gps_step = 0.01;         ///< initial step size epsilon: mean squared action change / L^2
    double gps_noise = 0.1;         ///< noise std of the perturbed samples, as a fraction of the action limit

    // SHAC (short-horizon actor-critic, the MLP head; pods/train/shac.hpp); its discount is `gamma`,
    // its policy's gradient clip `clip_norm`, its reward scaling `scale_rewards`
    int shac_window = 32;           ///< h: steps per window of the actor loss (the gradient stays inside)
    double shac_lr = 2e-3;          ///< Adam learning rate of the policy
    double shac_lambda = 0.95;      ///< lambda of the critic's TD(lambda) targets
    int shac_critic_iters = 4;      ///< passes of the critic over the epoch's steps
    int shac_critic_minibatches = 4;///< minibatches (Adam steps) per pass
    double shac_critic_lr = 3e-3;   ///< Adam learning rate of the critic
    double shac_target_alpha = 0.2; ///< the target critic keeps this share of itself per epoch (0: none)
    double shac_noise = 0.3;        ///< std of the training rollouts' action noise / action limit (0: none)

    // H-NDP (docs/hndp.md, "Reinforcement learning"): `batch` trajectories per region and
    // iteration for every local and for the global; the regression settings above serve the
    // locals' and the global's fits, PPO's the locals' when local_method is ppo
    int hndp_regions = 4;             ///< M: k-means clusters of the initial-state distribution
    int hndp_region_samples = 1024;   ///< initial states the k-means runs over
    Method hndp_local_method = Method::kPods2; ///< pods2, pods1 or ppo
    double hndp_success_fraction = 0.1; ///< the global succeeds on region i when its mean return is
                                        ///< >= the local's minus this fraction of |local's|
    double hndp_pull_weight = 1;      ///< alpha_i where the global succeeds (0 elsewhere)
    double hndp_bc_weight = 1;        ///< weight of L_BC in the global's loss
    /// "regions" (the locals' fits in parallel, one thread each) or "trajectories" (one after
    /// another, each fit's chunks in parallel); the results are the same bits
    std::string hndp_local_parallel = "regions";

    bool second_order() const { return method == Method::kPods2; }
    bool is_hndp() const { return method == Method::kHndp; }
};

/// The largest number of epochs a run may have.
inline constexpr int kMaxEpochs = 1000000;

/// Throws std::invalid_argument naming the violated rule ("batch: must be in [1, 100000]").
void validate_train_config(const TrainConfig& c);

/// Every setting, as config.json holds it (the hndp_* settings only for method hndp).
nlohmann::json train_config_to_json(const TrainConfig& c);
/// Reads config.json (all keys required, unknown keys rejected, values validated).
TrainConfig train_config_from_json(const common::JsonNode& node);

/// The names of the settings in which two configurations differ, ignoring `epochs` (a resumed
/// run may be extended) and hndp_local_parallel (it does not change results); empty when they
/// match.
std::vector<std::string> config_differences(const TrainConfig& a, const TrainConfig& b);

} // namespace podsim::pods
