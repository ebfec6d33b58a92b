// The table of training settings and what is generated from it (see train_settings.hpp).
#include "pods/train/train_settings.hpp"

#include "policy/limits.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace podsim::pods {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMaxSeed = double(std::int64_t(1) << 53);

constexpr std::string_view kMethodChoices[] = {"pods2", "pods1", "bptt", "ppo", "hndp", "sac", "gps", "shac"};
constexpr std::string_view kHeadChoices[] = {"mlp", "ndp"};
constexpr std::string_view kActivationChoices[] = {"tanh", "relu", "elu", "linear"};
constexpr std::string_view kTargetChoices[] = {"open-loop", "feedback", "on-policy"};
constexpr std::string_view kMetricChoices[] = {"euclidean", "control-hessian"};
constexpr std::string_view kDampingChoices[] = {"fixed", "adaptive"};
constexpr std::string_view kLocalMethodChoices[] = {"pods2", "pods1", "ppo"};
constexpr std::string_view kLocalParallelChoices[] = {"regions", "trajectories"};

constexpr MethodMask kPods = method_bit(Method::kPods2) | method_bit(Method::kPods1);
constexpr MethodMask kHndp = method_bit(Method::kHndp);
constexpr MethodMask kBptt = method_bit(Method::kBptt);
constexpr MethodMask kPpo = method_bit(Method::kPpo);
constexpr MethodMask kSac = method_bit(Method::kSac);
constexpr MethodMask kGps = method_bit(Method::kGps);
constexpr MethodMask kShac = method_bit(Method::kShac);

// the fields every row has
constexpr TrainSetting row(std::string_view key, std::string_view keyword, std::string_view flag, SettingKind kind,
                           MethodMask methods, std::string_view help)
{
    TrainSetting s{};
    s.key = key;
    s.keyword = keyword;
    s.flag = flag;
    s.kind = kind;
    s.methods = methods;
    s.help = help;
    return s;
}

// an int setting in [lo, hi]
constexpr TrainSetting int_setting(std::string_view key, std::string_view keyword, std::string_view flag,
                                   int TrainConfig::*member, int lo, int hi, MethodMask methods, std::string_view help)
{
    TrainSetting s = row(key, keyword, flag, SettingKind::kInt, methods, help);
    s.lo = lo;
    s.hi = hi;
    s.int_member = member;
    return s;
}

// a real setting in the interval lo..hi (open ends as given; hi infinite: finite and >= lo)
constexpr TrainSetting real_setting(std::string_view key, std::string_view keyword, std::string_view flag,
                                    double TrainConfig::*member, double lo, bool lo_open, double hi, bool hi_open,
                                    MethodMask methods, std::string_view help)
{
    TrainSetting s = row(key, keyword, flag, SettingKind::kReal, methods, help);
    s.lo = lo;
    s.hi = hi;
    s.lo_open = lo_open;
    s.hi_open = hi_open;
    s.real_member = member;
    return s;
}

// a setting chosen by name
constexpr TrainSetting choice_setting(std::string_view key, std::string_view keyword, std::string_view flag,
                                      std::span<const std::string_view> choices,
                                      std::string (*get)(const TrainConfig&), void (*set)(TrainConfig&, const std::string&),
                                      MethodMask methods, std::string_view help)
{
    TrainSetting s = row(key, keyword, flag, SettingKind::kChoice, methods, help);
    s.choices = choices;
    s.get_text = get;
    s.set_text = set;
    return s;
}

constexpr TrainSetting seed_setting(std::string_view key, std::string_view flag, std::uint64_t TrainConfig::*member,
                                    std::string_view help)
{
    TrainSetting s = row(key, key, flag, SettingKind::kSeed, kEveryMethod, help);
    s.hi = kMaxSeed;
    s.seed_member = member;
    return s;
}

constexpr TrainSetting optional_in_json(TrainSetting s)
{
    s.json = JsonPresence::kOptional;
    return s;
}

constexpr TrainSetting hndp_only(TrainSetting s)
{
    s.json = JsonPresence::kMethods;
    return s;
}

constexpr TrainSetting free_on_resume(TrainSetting s)
{
    s.must_match_on_resume = false;
    return s;
}

TrainSetting hidden_setting()
{
    TrainSetting s = row("hidden", "hidden", "--hidden", SettingKind::kIntList, kEveryMethod,
                         "Hidden layer widths, comma separated");
    s.lo = 1;
    s.hi = policy::kMaxLayerWidth;
    s.list_member = &TrainConfig::hidden;
    return s;
}

TrainSetting scale_rewards_setting()
{
    TrainSetting s = row("scale_rewards", "scale_rewards", "!--no-reward-scaling", SettingKind::kBool,
                         kPpo | kHndp | kSac | kShac,
                         "PPO, SAC, SHAC: do not divide rewards by the running std of the discounted return");
    s.bool_member = &TrainConfig::scale_rewards;
    return s;
}

const std::vector<TrainSetting>& table()
{
    using C = TrainConfig;
    static const std::vector<TrainSetting> t{
        choice_setting("method", "method", "", kMethodChoices, [](const C& c) { return to_string(c.method); },
                       [](C& c, const std::string& v) { c.method = method_from_string(v); }, kEveryMethod, ""),
        choice_setting("head", "head", "", kHeadChoices, [](const C& c) { return to_string(c.head); },
                       [](C& c, const std::string& v) { c.head = head_from_string(v); }, kEveryMethod, ""),
        free_on_resume(int_setting("epochs", "epochs", "--epochs", &C::epochs, 0, kMaxEpochs, kEveryMethod,
                                   "Epochs (a --time-budget may stop earlier; with --time-budget and no --epochs the "
                                   "budget alone stops the run)")),
        int_setting("batch", "batch", "--batch", &C::batch, 1, 100000, kEveryMethod, "Trajectories per epoch (k)"),
        seed_setting("seed", "--seed", &C::seed, "Seed of the network initialisation and the training states"),
        int_setting("test_episodes", "test_episodes", "--test-episodes", &C::test_episodes, 1, 100000, kEveryMethod,
                    "Test-bed size"),
        seed_setting("test_seed", "--test-seed", &C::test_seed, "Seed of the test bed"),
        optional_in_json(int_setting("validation", "validation", "--validation", &C::validation, 0, 100000, kEveryMethod,
                                     "Validation states: the run delivers the policy of the epoch with the best mean "
                                     "return on them (fewest failures first), measured after every "
                                     "--validation-every epochs within the training time (best_policy.json; 0: "
                                     "the last policy)")),
        optional_in_json(int_setting("validation_every", "validation_every", "--validation-every", &C::validation_every, 1,
                                     kMaxEpochs, kEveryMethod,
                                     "With --validation: validate after every this many epochs (the policies in "
                                     "between are not candidates)")),
        hidden_setting(),
        choice_setting("activation", "activation", "--activation", kActivationChoices,
                       [](const C& c) { return policy::to_string(c.activation); },
                       [](C& c, const std::string& v) {
                           if (std::find(std::begin(kActivationChoices), std::end(kActivationChoices), v) ==
                               std::end(kActivationChoices))
                               throw std::invalid_argument("got \"" + v + "\", must be one of tanh, relu, elu, linear");
                           c.activation = policy::activation_from_string(v);
                       },
                       kEveryMethod, "Hidden activation: tanh, relu, elu, linear"),
        real_setting("last_layer_scale", "last_layer_scale", "", &C::last_layer_scale, 0, true, 1, false, kEveryMethod, ""),
        int_setting("ndp_horizon", "ndp_horizon", "--ndp-horizon", &C::ndp_horizon, 1, policy::kMaxNdpHorizon,
                    kEveryMethod, "NDP head: actions per decision (k)"),
        int_setting("ndp_basis", "ndp_basis", "--ndp-basis", &C::ndp_basis, 2, policy::kMaxDmpBasis, kEveryMethod,
                    "NDP head: DMP basis functions"),
        int_setting("ndp_substeps", "ndp_substeps", "--ndp-substeps", &C::ndp_substeps, 1, policy::kMaxNdpSubsteps,
                    kEveryMethod, "NDP head: DMP steps per environment step"),
        // PODS (and H-NDP's fits; the regression's settings also GPS's S-step)
        real_setting("mu", "mu", "--mu", &C::mu, 0, false, kInf, false, kPods | kHndp, "PODS: Gauss-Newton regularisation"),
        int_setting("max_halvings", "max_halvings", "--max-halvings", &C::max_halvings, 0, 60, kPods | kHndp,
                    "PODS: line-search halvings"),
        int_setting("fit_steps", "fit_steps", "--fit-steps", &C::fit_steps, 0, 100000, kPods | kHndp | kGps,
                    "PODS, GPS: Adam steps of the regression per epoch"),
        int_setting("minibatch", "minibatch", "--minibatch", &C::minibatch, 1, 1000000, kPods | kHndp | kGps,
                    "PODS, GPS: regression samples per Adam step"),
        real_setting("fit_lr", "fit_lr", "--fit-lr", &C::fit_lr, 0, true, 1, false, kPods | kHndp | kGps,
                     "PODS, GPS: Adam learning rate of the regression"),
        optional_in_json(real_setting("fit_proximal", "fit_proximal", "--fit-proximal", &C::fit_proximal, 0, false, 1e6,
                                      false, kPods,
                                      "PODS: weight beta of the regression's trust-region term beta/2 |pi - pi_old|^2 "
                                      "(0: none)")),
        optional_in_json(int_setting("fit_guard", "fit_guard", "--fit-guard", &C::fit_guard, 0, 60, kPods,
                                     "PODS: closed-loop checks of the refitted policy per epoch (its change, then "
                                     "halved; reverted if none improves the epoch's mean cost; 0: none)")),
        optional_in_json(int_setting("fit_replay", "fit_replay", "--fit-replay", &C::fit_replay, 0, 16, kPods,
                                     "PODS: earlier epochs whose regression samples each fit replays with the "
                                     "epoch's own (0: none)")),
        optional_in_json(real_setting("fit_replay_follow", "fit_replay_follow", "--fit-replay-follow",
                                      &C::fit_replay_follow, 0, false, 1, false, kPods,
                                      "PODS: share of the policy's change since a replayed epoch that moves that "
                                      "epoch's targets (0: none, 1: all of it)")),
        optional_in_json(choice_setting(
            "pods_target", "pods_target", "--pods-target", kTargetChoices, [](const C& c) { return to_string(c.pods_target); },
            [](C& c, const std::string& v) { c.pods_target = pods_target_from_string(v); }, kPods,
            "PODS: open-loop (the paper: improved actions along the projected arc), feedback (the improvement "
            "follows its box-DDP feedback law, the regression fits the law at the improved and the policy's own "
            "states) or on-policy (the same law, fitted at the policy's own states only; without a law, as for pods1, "
            "the improved actions there)")),
        optional_in_json(choice_setting(
            "pods_metric", "pods_metric", "--pods-metric", kMetricChoices, [](const C& c) { return to_string(c.pods_metric); },
            [](C& c, const std::string& v) { c.pods_metric = pods_metric_from_string(v); }, kPods,
            "PODS: regression metric: euclidean or control-hessian (each step's Gauss-Newton control Hessian)")),
        optional_in_json(choice_setting(
            "pods_damping", "pods_damping", "--pods-damping", kDampingChoices,
            [](const C& c) { return to_string(c.pods_damping); },
            [](C& c, const std::string& v) { c.pods_damping = pods_damping_from_string(v); }, method_bit(Method::kPods2),
            "PODS2: fixed (--mu throughout) or adaptive (where the improvement searches along the open-loop arc: "
            "--mu raised 4x after an epoch whose mean accepted step is below 0.9, halved down to --mu after one at "
            "0.99 or above)")),
        // BPTT
        real_setting("bptt_lr", "bptt_lr", "--bptt-lr", &C::bptt_lr, 0, true, 1, false, kBptt, "BPTT: Adam learning rate"),
        real_setting("clip_norm", "clip_norm", "--clip-norm", &C::clip_norm, 0, false, kInf, false, kBptt | kShac,
                     "BPTT, SHAC: global gradient-norm clip of the policy (0: none)"),
        int_setting("truncation", "truncation", "--truncation", &C::truncation, 0, 1000000, kBptt,
                    "BPTT: truncation window in steps (0: the whole horizon)"),
        // PPO (and H-NDP's locals with local_method ppo)
        real_setting("ppo_lr", "ppo_lr", "--ppo-lr", &C::ppo_lr, 0, true, 1, false, kPpo | kHndp,
                     "PPO: Adam learning rate of the policy and its log-std"),
        real_setting("value_lr", "value_lr", "--value-lr", &C::value_lr, 0, true, 1, false, kPpo | kHndp,
                     "PPO: Adam learning rate of the value network"),
        int_setting("ppo_epochs", "ppo_epochs", "--ppo-epochs", &C::ppo_epochs, 1, 1000, kPpo | kHndp,
                    "PPO: passes over the epoch's decisions"),
        int_setting("ppo_minibatch", "ppo_minibatch", "--ppo-minibatch", &C::ppo_minibatch, 1, 1000000, kPpo | kHndp,
                    "PPO: decisions per Adam step"),
        real_setting("ppo_clip", "ppo_clip", "--ppo-clip", &C::ppo_clip, 0, true, 1, true, kPpo | kHndp,
                     "PPO: surrogate clip range"),
        real_setting("gamma", "gamma", "--gamma", &C::gamma, 0, true, 1, false, kPpo | kHndp | kSac | kShac,
                     "PPO, SAC, SHAC: discount per decision"),
        real_setting("gae_lambda", "gae_lambda", "--gae-lambda", &C::gae_lambda, 0, false, 1, false, kPpo | kHndp,
                     "PPO: GAE lambda"),
        real_setting("entropy_coef", "entropy_coef", "--entropy-coef", &C::entropy_coef, 0, false, 1, false, kPpo | kHndp,
                     "PPO: entropy bonus coefficient"),
        real_setting("ppo_std_init", "ppo_std_init", "--ppo-std-init", &C::ppo_std_init, 1e-6, false, 10, false,
                     kPpo | kHndp, "PPO: initial standard deviation, as a fraction of the action limit"),
        real_setting("ppo_max_grad_norm", "ppo_max_grad_norm", "--ppo-max-grad-norm", &C::ppo_max_grad_norm, 0, false,
                     kInf, false, kPpo | kHndp, "PPO: gradient-norm clip of each network (0: none)"),
        scale_rewards_setting(),
        // SAC (a config.json of an older podsim lacks them: read as the defaults)
        optional_in_json(real_setting("sac_lr", "sac_lr", "--sac-lr", &C::sac_lr, 0, true, 1, false, kSac,
                                      "SAC: Adam learning rate of the actor (the policy and its log-std)")),
        optional_in_json(real_setting("sac_critic_lr", "sac_critic_lr", "--sac-critic-lr", &C::sac_critic_lr, 0, true,
                                      1, false, kSac, "SAC: Adam learning rate of the twin Q networks")),
        optional_in_json(real_setting("sac_alpha_lr", "sac_alpha_lr", "--sac-alpha-lr", &C::sac_alpha_lr, 0, true, 1,
                                      false, kSac, "SAC: Adam learning rate of log(alpha), the entropy temperature")),
        optional_in_json(real_setting("sac_tau", "sac_tau", "--sac-tau", &C::sac_tau, 0, true, 1, false, kSac,
                                      "SAC: Polyak factor of the target Q networks per update")),
        optional_in_json(int_setting("sac_buffer", "sac_buffer", "--sac-buffer", &C::sac_buffer, 1, 10000000, kSac,
                                     "SAC: replay capacity in transitions (whole episodes; saved in policy.json)")),
        optional_in_json(int_setting("sac_minibatch", "sac_minibatch", "--sac-minibatch", &C::sac_minibatch, 1, 100000,
                                     kSac, "SAC: transitions per gradient update")),
        optional_in_json(real_setting("sac_updates", "sac_updates", "--sac-updates", &C::sac_updates, 0, true, 100,
                                      false, kSac, "SAC: gradient updates per transition collected in the epoch")),
        optional_in_json(real_setting("sac_alpha_init", "sac_alpha_init", "--sac-alpha-init", &C::sac_alpha_init, 1e-6,
                                      false, 1e3, false, kSac, "SAC: initial entropy temperature alpha")),
        optional_in_json(real_setting("sac_target_entropy", "sac_target_entropy", "--sac-target-entropy",
                                      &C::sac_target_entropy, -20, false, 0.5, false, kSac,
                                      "SAC: target entropy per action dimension (of the action / action limit)")),
        // GPS (a config.json of an older podsim lacks them: read as the defaults)
        optional_in_json(int_setting("gps_conditions", "gps_conditions", "--gps-conditions", &C::gps_conditions, 1,
                                     100000, kGps,
                                     "GPS: initial conditions M, drawn once from --seed and kept for the run "
                                     "(--batch is not used)")),
        optional_in_json(int_setting("gps_samples", "gps_samples", "--gps-samples", &C::gps_samples, 1, 1000, kGps,
                                     "GPS: rollouts of each local controller per epoch, the first without noise")),
        optional_in_json(real_setting("gps_step", "gps_step", "--gps-step", &C::gps_step, 0, true, 4, false, kGps,
                                      "GPS: initial step size epsilon of every condition: the local controller's mean "
                                      "squared action change per component over the squared action limit")),
        optional_in_json(real_setting("gps_noise", "gps_noise", "--gps-noise", &C::gps_noise, 0, false, 10, false, kGps,
                                      "GPS: noise std of the perturbed samples, as a fraction of the action limit")),
        // SHAC (a config.json of an older podsim lacks them: read as the defaults)
        optional_in_json(int_setting("shac_window", "shac_window", "--shac-window", &C::shac_window, 1, 1000000, kShac,
                                     "SHAC: steps per window h of the actor loss (the gradient stays inside a window)")),
        optional_in_json(real_setting("shac_lr", "shac_lr", "--shac-lr", &C::shac_lr, 0, true, 1, false, kShac,
                                      "SHAC: Adam learning rate of the policy")),
        optional_in_json(real_setting("shac_lambda", "shac_lambda", "--shac-lambda", &C::shac_lambda, 0, false, 1,
                                      false, kShac, "SHAC: lambda of the critic's TD(lambda) targets")),
        optional_in_json(int_setting("shac_critic_iters", "shac_critic_iters", "--shac-critic-iters",
                                     &C::shac_critic_iters, 1, 10000, kShac,
                                     "SHAC: passes of the critic over the epoch's steps")),
        optional_in_json(int_setting("shac_critic_minibatches", "shac_critic_minibatches", "--shac-critic-minibatches",
                                     &C::shac_critic_minibatches, 1, 100000, kShac,
                                     "SHAC: minibatches (Adam steps of the critic) per pass")),
        optional_in_json(real_setting("shac_critic_lr", "shac_critic_lr", "--shac-critic-lr", &C::shac_critic_lr, 0,
                                      true, 1, false, kShac, "SHAC: Adam learning rate of the critic")),
        optional_in_json(real_setting("shac_target_alpha", "shac_target_alpha", "--shac-target-alpha",
                                      &C::shac_target_alpha, 0, false, 1, true, kShac,
                                      "SHAC: the target critic's share of itself in its Polyak step per epoch "
                                      "(0: the critic itself)")),
        optional_in_json(real_setting("shac_noise", "shac_noise", "--shac-noise", &C::shac_noise, 0, false, 10, false,
                                      kShac,
                                      "SHAC: std of the Gaussian noise on the training rollouts' actions, as a fraction "
                                      "of the action limit (0: the deterministic policy)")),
        // H-NDP
        hndp_only(int_setting("hndp_regions", "regions", "--regions", &C::hndp_regions, 1, 1000, kHndp,
                              "H-NDP: regions M (k-means clusters of the initial states)")),
        hndp_only(int_setting("hndp_region_samples", "region_samples", "--region-samples", &C::hndp_region_samples, 1,
                              1000000, kHndp, "H-NDP: initial states the k-means runs over")),
        hndp_only(choice_setting(
            "hndp_local_method", "local_method", "--local-method", kLocalMethodChoices,
            [](const C& c) { return to_string(c.hndp_local_method); },
            [](C& c, const std::string& v) { c.hndp_local_method = method_from_string(v); }, kHndp,
            "H-NDP: the locals' learner: pods2, pods1 or ppo")),
        hndp_only(real_setting("hndp_success_fraction", "success_fraction", "--success-fraction",
                               &C::hndp_success_fraction, 0, false, 100, false, kHndp,
                               "H-NDP: the global succeeds on a region when its mean return is within this fraction "
                               "of the local's")),
        hndp_only(real_setting("hndp_pull_weight", "pull_weight", "--pull-weight", &C::hndp_pull_weight, 0, false, kInf,
                               false, kHndp, "H-NDP: alpha_i of the locals' pull where the global succeeds")),
        hndp_only(real_setting("hndp_bc_weight", "bc_weight", "--bc-weight", &C::hndp_bc_weight, 0, false, kInf, false,
                               kHndp, "H-NDP: weight of the behaviour-cloning loss of the global")),
        free_on_resume(hndp_only(choice_setting(
            "hndp_local_parallel", "local_parallel", "--local-parallel", kLocalParallelChoices,
            [](const C& c) { return c.hndp_local_parallel; },
            [](C& c, const std::string& v) { c.hndp_local_parallel = v; }, kHndp,
            "H-NDP: fit the locals in parallel over regions or one after another over their samples (same "
            "results)"))),
    };
    return t;
}

// a bound as the messages write it: 100, 1e6, 1e-6
std::string bound_text(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    std::string s = buf;
    const std::size_t e = s.find('e');
    if (e == std::string::npos) return s;
    std::string exponent = s.substr(e + 1);
    const bool negative = exponent[0] == '-';
    exponent.erase(0, exponent.find_first_not_of("+-0"));
    return s.substr(0, e + 1) + (negative ? "-" : "") + exponent;
}

bool in_range(const TrainSetting& s, double v)
{
    if (s.hi == kInf) return std::isfinite(v) && v >= s.lo;
    return (s.lo_open ? v > s.lo : v >= s.lo) && (s.hi_open ? v < s.hi : v <= s.hi);
}

} // namespace

std::span<const TrainSetting> train_settings() { return table(); }

const TrainSetting& train_setting(std::string_view key)
{
    for (const TrainSetting& s : table())
        if (s.key == key) return s;
    throw std::invalid_argument("no training setting \"" + std::string(key) + "\"");
}

std::vector<std::string_view> method_settings(Method method)
{
    std::vector<std::string_view> out;
    for (const TrainSetting& s : table())
        if (s.methods != kEveryMethod && (s.methods & method_bit(method)) != 0) out.push_back(s.key);
    return out;
}

std::string setting_rule(const TrainSetting& s)
{
    if (s.kind == SettingKind::kInt || s.kind == SettingKind::kSeed || s.kind == SettingKind::kIntList)
        return "must be in [" + std::to_string(std::int64_t(s.lo)) + ", " + std::to_string(std::int64_t(s.hi)) + "]";
    if (s.hi == kInf) return "must be finite and >= " + bound_text(s.lo);
    return std::string("must be in ") + (s.lo_open ? "(" : "[") + bound_text(s.lo) + ", " + bound_text(s.hi) +
           (s.hi_open ? ")" : "]");
}

bool setting_in_json(const TrainSetting& s, Method method)
{
    return s.json != JsonPresence::kMethods || (s.methods & method_bit(method)) != 0;
}

std::string choices_text(const TrainSetting& s)
{
    std::string out;
    for (std::string_view c : s.choices) out += (out.empty() ? "" : ", ") + std::string(c);
    return out;
}

std::string methods_text(MethodMask methods)
{
    std::string out;
    for (Method m : {Method::kPods2, Method::kPods1, Method::kBptt, Method::kPpo, Method::kHndp, Method::kSac, Method::kGps,
                     Method::kShac})
        if ((methods & method_bit(m)) != 0) out += (out.empty() ? "" : ", ") + to_string(m);
    return out;
}

void check_setting(const TrainSetting& s, const TrainConfig& c)
{
    const std::string name(s.keyword);
    switch (s.kind) {
    case SettingKind::kInt:
        if (!in_range(s, c.*s.int_member)) throw std::invalid_argument(name + ": " + setting_rule(s));
        break;
    case SettingKind::kReal:
        if (!in_range(s, c.*s.real_member)) throw std::invalid_argument(name + ": " + setting_rule(s));
        break;
    case SettingKind::kChoice: {
        const std::string v = s.get_text(c);
        if (std::find(s.choices.begin(), s.choices.end(), v) == s.choices.end())
            throw std::invalid_argument(name + ": must be one of " + choices_text(s));
        break;
    }
    case SettingKind::kSeed:    // any std::uint64_t: the readers keep seeds in [0, 2^53]
    case SettingKind::kBool:
    case SettingKind::kIntList: break; // the hidden widths: validate_train_config
    }
}

nlohmann::json setting_to_json(const TrainSetting& s, const TrainConfig& c)
{
    switch (s.kind) {
    case SettingKind::kInt: return c.*s.int_member;
    case SettingKind::kSeed: return c.*s.seed_member;
    case SettingKind::kReal: return c.*s.real_member;
    case SettingKind::kBool: return c.*s.bool_member;
    case SettingKind::kChoice: return s.get_text(c);
    case SettingKind::kIntList: return c.*s.list_member;
    }
    return nullptr;
}

void copy_setting(const TrainSetting& s, const TrainConfig& from, TrainConfig& to)
{
    switch (s.kind) {
    case SettingKind::kInt: to.*s.int_member = from.*s.int_member; break;
    case SettingKind::kSeed: to.*s.seed_member = from.*s.seed_member; break;
    case SettingKind::kReal: to.*s.real_member = from.*s.real_member; break;
    case SettingKind::kBool: to.*s.bool_member = from.*s.bool_member; break;
    case SettingKind::kChoice: s.set_text(to, s.get_text(from)); break;
    case SettingKind::kIntList: to.*s.list_member = from.*s.list_member; break;
    }
}

void setting_from_json(const TrainSetting& s, const common::JsonNode& n, TrainConfig& c)
{
    switch (s.kind) {
    case SettingKind::kInt: c.*s.int_member = int(n.integer_in(std::int64_t(s.lo), std::int64_t(s.hi))); break;
    case SettingKind::kSeed: c.*s.seed_member = std::uint64_t(n.integer_in(0, std::int64_t(s.hi))); break;
    // the interval itself is validate_train_config's
    case SettingKind::kReal:
        c.*s.real_member = s.lo < 0 ? n.number() : s.lo > 0 || s.lo_open ? n.positive() : n.non_negative();
        break;
    case SettingKind::kBool: c.*s.bool_member = n.boolean(); break;
    case SettingKind::kChoice: s.set_text(c, n.choice(s.choices)); break;
    case SettingKind::kIntList: {
        std::vector<int>& list = c.*s.list_member;
        list.clear();
        for (std::size_t i = 0; i < n.size(); ++i) list.push_back(int(n[i].integer_in(std::int64_t(s.lo), std::int64_t(s.hi))));
        break;
    }
    }
}

} // namespace podsim::pods
