// Training settings, their checks and config.json (see train_config.hpp).
#include "pods/train/train_config.hpp"

#include "pods/train/train_settings.hpp"
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
    case Method::kSac: return "sac";
    case Method::kGps: return "gps";
    case Method::kShac: return "shac";
    }
    return "?";
}

std::string to_string(Head h) { return h == Head::kMlp ? "mlp" : "ndp"; }

std::string to_string(PodsTarget t)
{
    switch (t) {
    case PodsTarget::kOpenLoop: return "open-loop";
    case PodsTarget::kFeedback: return "feedback";
    case PodsTarget::kOnPolicy: return "on-policy";
    }
    return "?";
}
std::string to_string(PodsMetric m) { return m == PodsMetric::kEuclidean ? "euclidean" : "control-hessian"; }
std::string to_string(PodsDamping d) { return d == PodsDamping::kFixed ? "fixed" : "adaptive"; }

PodsTarget pods_target_from_string(const std::string& s)
{
    if (s == "open-loop") return PodsTarget::kOpenLoop;
    if (s == "feedback") return PodsTarget::kFeedback;
    if (s == "on-policy") return PodsTarget::kOnPolicy;
    throw std::invalid_argument("unknown PODS target \"" + s + "\" (choices: open-loop, feedback, on-policy)");
}

PodsMetric pods_metric_from_string(const std::string& s)
{
    if (s == "euclidean") return PodsMetric::kEuclidean;
    if (s == "control-hessian") return PodsMetric::kControlHessian;
    throw std::invalid_argument("unknown PODS metric \"" + s + "\" (choices: euclidean, control-hessian)");
}

PodsDamping pods_damping_from_string(const std::string& s)
{
    if (s == "fixed") return PodsDamping::kFixed;
    if (s == "adaptive") return PodsDamping::kAdaptive;
    throw std::invalid_argument("unknown PODS damping \"" + s + "\" (choices: fixed, adaptive)");
}

Method method_from_string(const std::string& s)
{
    if (s == "pods2") return Method::kPods2;
    if (s == "pods1") return Method::kPods1;
    if (s == "bptt") return Method::kBptt;
    if (s == "ppo") return Method::kPpo;
    if (s == "hndp") return Method::kHndp;
    if (s == "sac") return Method::kSac;
    if (s == "gps") return Method::kGps;
    if (s == "shac") return Method::kShac;
    throw std::invalid_argument("got \"" + s + "\", must be one of pods2, pods1, bptt, ppo, hndp, sac, gps, shac");
}

Head head_from_string(const std::string& s)
{
    if (s == "mlp") return Head::kMlp;
    if (s == "ndp") return Head::kNdp;
    throw std::invalid_argument("got \"" + s + "\", must be one of mlp, ndp");
}

void validate_train_config(const TrainConfig& c)
{
    // the table's ranges and choices, with the rules that involve more than one setting in place
    for (const TrainSetting& s : train_settings()) {
        if (s.list_member == &TrainConfig::hidden) {
            require(!c.hidden.empty() && c.hidden.size() <= std::size_t(policy::kMaxHiddenLayers),
                    "hidden: must have 1 to " + std::to_string(policy::kMaxHiddenLayers) + " layers");
            for (int w : c.hidden)
                require(w >= s.lo && w <= s.hi, "hidden: widths must be in [1, " + std::to_string(policy::kMaxLayerWidth) + "]");
        } else if (s.int_member == &TrainConfig::hndp_region_samples) {
            require(c.hndp_region_samples >= c.hndp_regions && c.hndp_region_samples <= s.hi,
                    "region_samples: must be in [regions, 1000000]");
        } else {
            check_setting(s, c);
        }
    }
    require(!c.is_hndp() || c.head == Head::kNdp, "head: method hndp trains NDP policies, must be ndp");
    require(c.method != Method::kSac || c.head == Head::kMlp, "head: method sac trains MLP policies, must be mlp");
    require(c.method != Method::kGps || c.head == Head::kMlp, "head: method gps trains MLP policies, must be mlp");
    require(c.method != Method::kShac || c.head == Head::kMlp, "head: method shac trains MLP policies, must be mlp");
    require(c.validation_every == 1 || c.validation > 0, "validation_every: needs validation states (validation > 0)");
}

nlohmann::json train_config_to_json(const TrainConfig& c)
{
    nlohmann::json j = nlohmann::json::object();
    for (const TrainSetting& s : train_settings())
        if (setting_in_json(s, c.method)) j[std::string(s.key)] = setting_to_json(s, c);
    return j;
}

TrainConfig train_config_from_json(const common::JsonNode& n)
{
    std::vector<std::string_view> keys;
    for (const TrainSetting& s : train_settings()) keys.push_back(s.key);
    n.allow_keys(keys);
    // `method` is the table's first row: the rows after it know which method reads them
    TrainConfig c;
    // a config.json without pods_target was written before it existed, when PODS used the paper's
    // open-loop targets (the default of a new run is feedback)
    c.pods_target = PodsTarget::kOpenLoop;
    for (const TrainSetting& s : train_settings()) {
        if (!setting_in_json(s, c.method)) {
            if (n.has(s.key)) n[s.key].fail("only with method " + methods_text(s.methods));
            continue;
        }
        // a config.json written before an optional setting existed trained with its default (the
        // paper's targets for pods_target, above)
        if (s.json == JsonPresence::kOptional && !n.has(s.key)) continue;
        setting_from_json(s, n[s.key], c);
    }
    common::located(n, [&] { validate_train_config(c); return 0; });
    return c;
}

std::vector<std::string> config_differences(const TrainConfig& a, const TrainConfig& b)
{
    nlohmann::json ja = train_config_to_json(a), jb = train_config_to_json(b);
    for (const TrainSetting& s : train_settings())
        if (!s.must_match_on_resume) {
            ja.erase(std::string(s.key));
            jb.erase(std::string(s.key));
        }
    std::vector<std::string> out;
    for (auto it = ja.begin(); it != ja.end(); ++it)
        if (it.value() != jb[it.key()]) out.push_back(it.key() + " " + it.value().dump() + " vs " + jb[it.key()].dump());
    return out;
}

} // namespace podsim::pods
