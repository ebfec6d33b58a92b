// Training settings, their checks and config.json (see train_config.hpp).
#include "pods/train/train_config.hpp"

#include "policy/limits.hpp"

#include <cmath>
#include <stdexcept>

namespace podsim::pods {

namespace {

void require(bool ok, const std::string& rule)
{
    if (!ok) throw std::invalid_argument(rule);
}

} // namespace

std::string to_string(Method m)
{
    switch (m) {
    case Method::kPods2: return "pods2";
    case Method::kPods1: return "pods1";
    case Method::kBptt: return "bptt";
    case Method::kPpo: return "ppo";
    case Method::kHndp: return "hndp";
    }
    return "?";
}

std::string to_string(Head h) { return h == Head::kMlp ? "mlp" : "ndp"; }

std::string to_string(PodsTarget t) { return t == PodsTarget::kOpenLoop ? "open-loop" : "feedback"; }
std::string to_string(PodsMetric m) { return m == PodsMetric::kEuclidean ? "euclidean" : "control-hessian"; }

PodsTarget pods_target_from_string(const std::string& s)
{
    if (s == "open-loop") return PodsTarget::kOpenLoop;
    if (s == "feedback") return PodsTarget::kFeedback;
    throw std::invalid_argument("unknown PODS target \"" + s + "\" (choices: open-loop, feedback)");
}

PodsMetric pods_metric_from_string(const std::string& s)
{
    if (s == "euclidean") return PodsMetric::kEuclidean;
    if (s == "control-hessian") return PodsMetric::kControlHessian;
    throw std::invalid_argument("unknown PODS metric \"" + s + "\" (choices: euclidean, control-hessian)");
}

Method method_from_string(const std::string& s)
{
    if (s == "pods2") return Method::kPods2;
    if (s == "pods1") return Method::kPods1;
    if (s == "bptt") return Method::kBptt;
    if (s == "ppo") return Method::kPpo;
    if (s == "hndp") return Method::kHndp;
    throw std::invalid_argument("got \"" + s + "\", must be one of pods2, pods1, bptt, ppo, hndp");
}

Head head_from_string(const std::string& s)
{
    if (s == "mlp") return Head::kMlp;
    if (s == "ndp") return Head::kNdp;
    throw std::invalid_argument("got \"" + s + "\", must be one of mlp, ndp");
}

void validate_train_config(const TrainConfig& c)
{
    require(c.epochs >= 0 && c.epochs <= 1000000, "epochs: must be in [0, 1000000]");
    require(c.batch >= 1 && c.batch <= 100000, "batch: must be in [1, 100000]");
    require(c.test_episodes >= 1 && c.test_episodes <= 100000, "test_episodes: must be in [1, 100000]");
    require(!c.hidden.empty() && c.hidden.size() <= std::size_t(policy::kMaxHiddenLayers),
            "hidden: must have 1 to " + std::to_string(policy::kMaxHiddenLayers) + " layers");
    for (int w : c.hidden)
        require(w >= 1 && w <= policy::kMaxLayerWidth, "hidden: widths must be in [1, " + std::to_string(policy::kMaxLayerWidth) + "]");
    require(c.last_layer_scale > 0 && c.last_layer_scale <= 1, "last_layer_scale: must be in (0, 1]");
    require(c.ndp_horizon >= 1 && c.ndp_horizon <= policy::kMaxNdpHorizon, "ndp_horizon: must be in [1, 1000]");
    require(c.ndp_basis >= 2 && c.ndp_basis <= policy::kMaxDmpBasis, "ndp_basis: must be in [2, 1000]");
    require(c.ndp_substeps >= 1 && c.ndp_substeps <= policy::kMaxNdpSubsteps, "ndp_substeps: must be in [1, 1000]");
    require(c.mu >= 0 && std::isfinite(c.mu), "mu: must be finite and >= 0");
    require(c.max_halvings >= 0 && c.max_halvings <= 60, "max_halvings: must be in [0, 60]");
    require(c.fit_steps >= 0 && c.fit_steps <= 100000, "fit_steps: must be in [0, 100000]");
    require(c.minibatch >= 1 && c.minibatch <= 1000000, "minibatch: must be in [1, 1000000]");
    require(c.fit_lr > 0 && c.fit_lr <= 1, "fit_lr: must be in (0, 1]");
    require(c.fit_proximal >= 0 && c.fit_proximal <= 1e6, "fit_proximal: must be in [0, 1e6]");
    require(c.fit_guard >= 0 && c.fit_guard <= 60, "fit_guard: must be in [0, 60]");
    require(c.bptt_lr > 0 && c.bptt_lr <= 1, "bptt_lr: must be in (0, 1]");
    require(c.clip_norm >= 0 && std::isfinite(c.clip_norm), "clip_norm: must be finite and >= 0");
    require(c.truncation >= 0 && c.truncation <= 1000000, "truncation: must be in [0, 1000000]");
    require(c.ppo_lr > 0 && c.ppo_lr <= 1, "ppo_lr: must be in (0, 1]");
    require(c.value_lr > 0 && c.value_lr <= 1, "value_lr: must be in (0, 1]");
    require(c.ppo_epochs >= 1 && c.ppo_epochs <= 1000, "ppo_epochs: must be in [1, 1000]");
    require(c.ppo_minibatch >= 1 && c.ppo_minibatch <= 1000000, "ppo_minibatch: must be in [1, 1000000]");
    require(c.ppo_clip > 0 && c.ppo_clip < 1, "ppo_clip: must be in (0, 1)");
    require(c.gamma > 0 && c.gamma <= 1, "gamma: must be in (0, 1]");
    require(c.gae_lambda >= 0 && c.gae_lambda <= 1, "gae_lambda: must be in [0, 1]");
    require(c.entropy_coef >= 0 && c.entropy_coef <= 1, "entropy_coef: must be in [0, 1]");
    require(c.ppo_std_init >= 1e-6 && c.ppo_std_init <= 10, "ppo_std_init: must be in [1e-6, 10]");
    require(c.ppo_max_grad_norm >= 0 && std::isfinite(c.ppo_max_grad_norm), "ppo_max_grad_norm: must be finite and >= 0");
    require(c.hndp_regions >= 1 && c.hndp_regions <= 1000, "regions: must be in [1, 1000]");
    require(c.hndp_region_samples >= c.hndp_regions && c.hndp_region_samples <= 1000000,
            "region_samples: must be in [regions, 1000000]");
    require(c.hndp_local_method == Method::kPods2 || c.hndp_local_method == Method::kPods1 ||
                c.hndp_local_method == Method::kPpo,
            "local_method: must be one of pods2, pods1, ppo");
    require(c.hndp_success_fraction >= 0 && c.hndp_success_fraction <= 100, "success_fraction: must be in [0, 100]");
    require(c.hndp_pull_weight >= 0 && std::isfinite(c.hndp_pull_weight), "pull_weight: must be finite and >= 0");
    require(c.hndp_bc_weight >= 0 && std::isfinite(c.hndp_bc_weight), "bc_weight: must be finite and >= 0");
    require(c.hndp_local_parallel == "regions" || c.hndp_local_parallel == "trajectories",
            "local_parallel: must be one of regions, trajectories");
    require(!c.is_hndp() || c.head == Head::kNdp, "head: method hndp trains NDP policies, must be ndp");
}

nlohmann::json train_config_to_json(const TrainConfig& c)
{
    nlohmann::json j = {{"method", to_string(c.method)},
            {"head", to_string(c.head)},
            {"epochs", c.epochs},
            {"batch", c.batch},
            {"seed", c.seed},
            {"test_seed", c.test_seed},
            {"test_episodes", c.test_episodes},
            {"hidden", c.hidden},
            {"activation", policy::to_string(c.activation)},
            {"last_layer_scale", c.last_layer_scale},
            {"ndp_horizon", c.ndp_horizon},
            {"ndp_basis", c.ndp_basis},
            {"ndp_substeps", c.ndp_substeps},
            {"mu", c.mu},
            {"max_halvings", c.max_halvings},
            {"fit_steps", c.fit_steps},
            {"minibatch", c.minibatch},
            {"fit_lr", c.fit_lr},
            {"fit_proximal", c.fit_proximal},
            {"fit_guard", c.fit_guard},
            {"pods_target", to_string(c.pods_target)},
            {"pods_metric", to_string(c.pods_metric)},
            {"bptt_lr", c.bptt_lr},
            {"clip_norm", c.clip_norm},
            {"truncation", c.truncation},
            {"ppo_lr", c.ppo_lr},
            {"value_lr", c.value_lr},
            {"ppo_epochs", c.ppo_epochs},
            {"ppo_minibatch", c.ppo_minibatch},
            {"ppo_clip", c.ppo_clip},
            {"gamma", c.gamma},
            {"gae_lambda", c.gae_lambda},
            {"entropy_coef", c.entropy_coef},
            {"ppo_std_init", c.ppo_std_init},
            {"ppo_max_grad_norm", c.ppo_max_grad_norm},
            {"scale_rewards", c.scale_rewards}};
    if (c.is_hndp()) {
        j["hndp_regions"] = c.hndp_regions;
        j["hndp_region_samples"] = c.hndp_region_samples;
        j["hndp_local_method"] = to_string(c.hndp_local_method);
        j["hndp_success_fraction"] = c.hndp_success_fraction;
        j["hndp_pull_weight"] = c.hndp_pull_weight;
        j["hndp_bc_weight"] = c.hndp_bc_weight;
        j["hndp_local_parallel"] = c.hndp_local_parallel;
    }
    return j;
}

TrainConfig train_config_from_json(const common::JsonNode& n)
{
    n.allow_keys({"method", "head", "epochs", "batch", "seed", "test_seed", "test_episodes", "hidden", "activation",
                  "last_layer_scale", "ndp_horizon", "ndp_basis", "ndp_substeps", "mu", "max_halvings", "fit_steps",
                  "minibatch", "fit_lr", "fit_proximal", "fit_guard", "pods_target", "pods_metric", "bptt_lr", "clip_norm", "truncation", "ppo_lr",
                  "value_lr", "ppo_epochs", "ppo_minibatch", "ppo_clip", "gamma", "gae_lambda", "entropy_coef",
                  "ppo_std_init", "ppo_max_grad_norm", "scale_rewards", "hndp_regions", "hndp_region_samples", "hndp_local_method", "hndp_success_fraction",
                  "hndp_pull_weight", "hndp_bc_weight", "hndp_local_parallel"});
    TrainConfig c;
    c.method = method_from_string(n["method"].choice({"pods2", "pods1", "bptt", "ppo", "hndp"}));
    c.head = head_from_string(n["head"].choice({"mlp", "ndp"}));
    c.epochs = int(n["epochs"].integer_in(0, 1000000));
    c.batch = int(n["batch"].integer_in(1, 100000));
    c.seed = std::uint64_t(n["seed"].integer_in(0, std::int64_t(1) << 53));
    c.test_seed = std::uint64_t(n["test_seed"].integer_in(0, std::int64_t(1) << 53));
    c.test_episodes = int(n["test_episodes"].integer_in(1, 100000));
    const common::JsonNode h = n["hidden"];
    c.hidden.clear();
    for (std::size_t i = 0; i < h.size(); ++i) c.hidden.push_back(int(h[i].integer_in(1, policy::kMaxLayerWidth)));
    c.activation = policy::activation_from_string(n["activation"].choice({"tanh", "relu", "elu", "linear"}));
    c.last_layer_scale = n["last_layer_scale"].positive();
    c.ndp_horizon = int(n["ndp_horizon"].integer_in(1, policy::kMaxNdpHorizon));
    c.ndp_basis = int(n["ndp_basis"].integer_in(2, policy::kMaxDmpBasis));
    c.ndp_substeps = int(n["ndp_substeps"].integer_in(1, policy::kMaxNdpSubsteps));
    c.mu = n["mu"].non_negative();
    c.max_halvings = int(n["max_halvings"].integer_in(0, 60));
    c.fit_steps = int(n["fit_steps"].integer_in(0, 100000));
    c.minibatch = int(n["minibatch"].integer_in(1, 1000000));
    c.fit_lr = n["fit_lr"].positive();
    // added later: a config.json written before has neither (and trained without them)
    if (n.has("fit_proximal")) c.fit_proximal = n["fit_proximal"].non_negative();
    if (n.has("fit_guard")) c.fit_guard = int(n["fit_guard"].integer_in(0, 60));
    if (n.has("pods_target")) c.pods_target = pods_target_from_string(n["pods_target"].choice({"open-loop", "feedback"}));
    if (n.has("pods_metric"))
        c.pods_metric = pods_metric_from_string(n["pods_metric"].choice({"euclidean", "control-hessian"}));
    c.bptt_lr = n["bptt_lr"].positive();
    c.clip_norm = n["clip_norm"].non_negative();
    c.truncation = int(n["truncation"].integer_in(0, 1000000));
    c.ppo_lr = n["ppo_lr"].positive();
    c.value_lr = n["value_lr"].positive();
    c.ppo_epochs = int(n["ppo_epochs"].integer_in(1, 1000));
    c.ppo_minibatch = int(n["ppo_minibatch"].integer_in(1, 1000000));
    c.ppo_clip = n["ppo_clip"].positive();
    c.gamma = n["gamma"].positive();
    c.gae_lambda = n["gae_lambda"].non_negative();
    c.entropy_coef = n["entropy_coef"].non_negative();
    c.ppo_std_init = n["ppo_std_init"].positive();
    c.ppo_max_grad_norm = n["ppo_max_grad_norm"].non_negative();
    c.scale_rewards = n["scale_rewards"].boolean();
    // the H-NDP settings: required with method hndp, refused otherwise
    for (const char* key : {"hndp_regions", "hndp_region_samples", "hndp_local_method", "hndp_success_fraction",
                            "hndp_pull_weight", "hndp_bc_weight", "hndp_local_parallel"})
        if (!c.is_hndp() && n.has(key)) n[key].fail("only with method hndp");
    if (c.is_hndp()) {
        c.hndp_regions = int(n["hndp_regions"].integer_in(1, 1000));
        c.hndp_region_samples = int(n["hndp_region_samples"].integer_in(1, 1000000));
        c.hndp_local_method = method_from_string(n["hndp_local_method"].choice({"pods2", "pods1", "ppo"}));
        c.hndp_success_fraction = n["hndp_success_fraction"].non_negative();
        c.hndp_pull_weight = n["hndp_pull_weight"].non_negative();
        c.hndp_bc_weight = n["hndp_bc_weight"].non_negative();
        c.hndp_local_parallel = n["hndp_local_parallel"].choice({"regions", "trajectories"});
    }
    common::located(n, [&] { validate_train_config(c); return 0; });
    return c;
}

std::vector<std::string> config_differences(const TrainConfig& a, const TrainConfig& b)
{
    nlohmann::json ja = train_config_to_json(a), jb = train_config_to_json(b);
    for (const char* key : {"epochs", "hndp_local_parallel"}) {
        ja.erase(key);
        jb.erase(key);
    }
    std::vector<std::string> out;
    for (auto it = ja.begin(); it != ja.end(); ++it)
        if (it.value() != jb[it.key()]) out.push_back(it.key() + " " + it.value().dump() + " vs " + jb[it.key()].dump());
    return out;
}

} // namespace podsim::pods
