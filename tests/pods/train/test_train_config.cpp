// Training settings and config.json: the checks' messages, a JSON round trip for every method, a
// config.json of an older podsim without the optional settings, H-NDP's settings only with method
// hndp, unknown keys refused, and config_differences telling a resumed run's changes.
#include "pods/train/train_config.hpp"

#include "common/input_error.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

using namespace podsim;

namespace {

pods::TrainConfig read(const nlohmann::json& j)
{
    return pods::train_config_from_json(common::JsonNode(j, "config.json", "settings"));
}

std::string read_error(const nlohmann::json& j)
{
    try {
        read(j);
    } catch (const common::InputError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("train config: the checks name the setting and its rule")
{
    pods::TrainConfig c;
    CHECK_NOTHROW(pods::validate_train_config(c));
    c.batch = 0;
    CHECK_THROWS_WITH_AS(pods::validate_train_config(c), "batch: must be in [1, 100000]", std::invalid_argument);
    c = {};
    c.hidden = {64, 5000};
    CHECK_THROWS_WITH_AS(pods::validate_train_config(c), "hidden: widths must be in [1, 4096]", std::invalid_argument);
    c = {};
    c.hidden.clear();
    CHECK_THROWS_WITH_AS(pods::validate_train_config(c), "hidden: must have 1 to 16 layers", std::invalid_argument);
    c = {};
    c.hndp_regions = 8;
    c.hndp_region_samples = 4;
    CHECK_THROWS_WITH_AS(pods::validate_train_config(c), "region_samples: must be in [regions, 1000000]",
                         std::invalid_argument);
    c = {};
    c.hndp_local_method = pods::Method::kBptt;
    CHECK_THROWS_WITH_AS(pods::validate_train_config(c), "local_method: must be one of pods2, pods1, ppo",
                         std::invalid_argument);
    c = {};
    c.hndp_local_parallel = "ranks";
    CHECK_THROWS_WITH_AS(pods::validate_train_config(c), "local_parallel: must be one of regions, trajectories",
                         std::invalid_argument);
    c = {};
    c.method = pods::Method::kHndp;
    CHECK_THROWS_WITH_AS(pods::validate_train_config(c), "head: method hndp trains NDP policies, must be ndp",
                         std::invalid_argument);
    c = {};
    c.method = pods::Method::kSac;
    c.head = pods::Head::kNdp;
    CHECK_THROWS_WITH_AS(pods::validate_train_config(c), "head: method sac trains MLP policies, must be mlp",
                         std::invalid_argument);
    c.method = pods::Method::kGps;
    CHECK_THROWS_WITH_AS(pods::validate_train_config(c), "head: method gps trains MLP policies, must be mlp",
                         std::invalid_argument);
    c.method = pods::Method::kShac;
    CHECK_THROWS_WITH_AS(pods::validate_train_config(c), "head: method shac trains MLP policies, must be mlp",
                         std::invalid_argument);
}

TEST_CASE("train config: config.json round-trips every method's settings")
{
    for (pods::Method m : {pods::Method::kPods2, pods::Method::kPods1, pods::Method::kBptt, pods::Method::kPpo,
                           pods::Method::kHndp, pods::Method::kSac, pods::Method::kGps, pods::Method::kShac}) {
        pods::TrainConfig c;
        c.method = m;
        c.head = m == pods::Method::kHndp ? pods::Head::kNdp : pods::Head::kMlp;
        c.hidden = {16, 8, 4};
        c.activation = policy::Activation::ELU;
        c.seed = (std::uint64_t(1) << 53) - 3;
        c.fit_proximal = 0.25;
        c.fit_guard = 3;
        c.pods_target = pods::PodsTarget::kOpenLoop;
        c.pods_metric = pods::PodsMetric::kControlHessian;
        c.scale_rewards = false;
        c.hndp_local_method = pods::Method::kPpo;
        c.hndp_local_parallel = "trajectories";
        c.sac_target_entropy = -0.75; // a negative value reads back
        c.sac_buffer = 777;
        c.gps_conditions = 7;
        c.gps_step = 0.125;
        c.shac_window = 9;
        c.shac_target_alpha = 0.375;
        const nlohmann::json j = pods::train_config_to_json(c);
        INFO(j.dump());
        CHECK(j.contains("hndp_regions") == (m == pods::Method::kHndp));
        const pods::TrainConfig back = read(j);
        CHECK(pods::train_config_to_json(back) == j);
        CHECK(pods::config_differences(back, c).empty());
    }
}

TEST_CASE("train config: a config.json without the optional settings reads the values its run trained with")
{
    nlohmann::json j = pods::train_config_to_json(pods::TrainConfig{});
    for (const char* key : {"fit_proximal", "fit_guard", "fit_replay", "fit_replay_follow", "pods_target", "pods_metric", "pods_damping", "sac_lr", "sac_critic_lr",
                            "sac_alpha_lr", "sac_tau", "sac_buffer", "sac_minibatch", "sac_updates", "sac_alpha_init",
                            "sac_target_entropy", "gps_conditions", "gps_samples", "gps_step", "gps_noise", "shac_window",
                            "shac_lr", "shac_lambda", "shac_critic_iters", "shac_critic_minibatches", "shac_critic_lr",
                            "shac_target_alpha", "shac_noise"})
        j.erase(key);
    const pods::TrainConfig c = read(j);
    // the defaults, but the paper's targets: such a file was written when PODS had no other (and
    // a fixed damping: pods2's config.json names it since the adaptive one exists)
    pods::TrainConfig then;
    then.pods_target = pods::PodsTarget::kOpenLoop;
    CHECK(pods::config_differences(c, then).empty());
    CHECK(pods::TrainConfig{}.pods_target == pods::PodsTarget::kFeedback);
    // the others are required
    j.erase("batch");
    CHECK(read_error(j).find("batch") != std::string::npos);
}

TEST_CASE("train config: unknown keys, H-NDP keys without hndp and bad values are refused")
{
    nlohmann::json j = pods::train_config_to_json(pods::TrainConfig{});
    j["fit_guards"] = 1;
    CHECK(read_error(j).find("unknown key \"fit_guards\" (did you mean \"fit_guard\"?)") != std::string::npos);
    j.erase("fit_guards");
    j["hndp_regions"] = 4;
    CHECK(read_error(j).find("settings.hndp_regions: only with method hndp") != std::string::npos);
    j.erase("hndp_regions");
    j["gamma"] = 1.5;
    CHECK(read_error(j).find("gamma: must be in (0, 1]") != std::string::npos);
    j["gamma"] = 0.9;
    j["pods_target"] = "closed-loop";
    CHECK(read_error(j).find("must be one of \"open-loop\", \"feedback\"") != std::string::npos);
    j["pods_target"] = "feedback";
    j["hidden"] = {64, 0};
    CHECK(read_error(j).find("settings.hidden[1]") != std::string::npos);
    j["hidden"] = {64, 64};
    j["sac_target_entropy"] = -30;
    CHECK(read_error(j).find("settings: sac_target_entropy: must be in [-20, 0.5]") != std::string::npos);
}

TEST_CASE("train config: config_differences refuses a resume with other settings, not with more epochs")
{
    pods::TrainConfig a;
    a.fit_lr = 0.002;
    pods::TrainConfig b = a;
    b.epochs = a.epochs + 10;
    CHECK(pods::config_differences(a, b).empty());
    b.fit_lr = 0.5;
    b.pods_target = pods::PodsTarget::kOpenLoop;
    const std::vector<std::string> d = pods::config_differences(a, b);
    REQUIRE(d.size() == 2);
    CHECK(d[0] == "fit_lr 0.002 vs 0.5");
    CHECK(d[1] == "pods_target \"feedback\" vs \"open-loop\"");
    pods::TrainConfig h = a, h2 = a;
    h.method = h2.method = pods::Method::kHndp;
    h.head = h2.head = pods::Head::kNdp;
    h2.hndp_local_parallel = "trajectories";
    CHECK(pods::config_differences(h, h2).empty());
}
