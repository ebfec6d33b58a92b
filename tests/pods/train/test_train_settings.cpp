// The table of training settings: keys, flags and keywords are unique, every TrainConfig member
// has one row, the rules read as validate_train_config's messages, each range's ends are accepted
// and the values just outside refused, and the methods' settings lists come from the table.
#include "pods/train/learner_registry.hpp"
#include "pods/train/train_settings.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

using namespace podsim;

namespace {

pods::TrainConfig hndp_config()
{
    pods::TrainConfig c;
    c.method = pods::Method::kHndp;
    c.head = pods::Head::kNdp;
    return c;
}

} // namespace

TEST_CASE("train settings: keys, flags and keywords are unique and method comes first")
{
    std::set<std::string_view> keys, flags, keywords;
    int rows = 0;
    for (const pods::TrainSetting& s : pods::train_settings()) {
        INFO(s.key);
        CHECK(keys.insert(s.key).second);
        CHECK(keywords.insert(s.keyword).second);
        if (!s.flag.empty()) CHECK(flags.insert(s.flag).second);
        CHECK(s.flag.empty() == s.help.empty());
        ++rows;
    }
    CHECK(pods::train_settings().front().key == "method");
    // every config.json key of an H-NDP configuration is one row, and nothing else is
    const nlohmann::json j = pods::train_config_to_json(hndp_config());
    CHECK(int(j.size()) == rows);
    for (auto it = j.begin(); it != j.end(); ++it) CHECK(keys.count(it.key()) == 1);
}

TEST_CASE("train settings: the rules read as the checks' messages")
{
    CHECK(pods::setting_rule(pods::train_setting("batch")) == "must be in [1, 100000]");
    CHECK(pods::setting_rule(pods::train_setting("fit_lr")) == "must be in (0, 1]");
    CHECK(pods::setting_rule(pods::train_setting("ppo_clip")) == "must be in (0, 1)");
    CHECK(pods::setting_rule(pods::train_setting("fit_proximal")) == "must be in [0, 1e6]");
    CHECK(pods::setting_rule(pods::train_setting("ppo_std_init")) == "must be in [1e-6, 10]");
    CHECK(pods::setting_rule(pods::train_setting("mu")) == "must be finite and >= 0");
    CHECK(pods::setting_rule(pods::train_setting("hndp_success_fraction")) == "must be in [0, 100]");
    CHECK(pods::setting_rule(pods::train_setting("sac_target_entropy")) == "must be in [-20, 0.5]");
    CHECK(pods::setting_rule(pods::train_setting("sac_updates")) == "must be in (0, 100]");
    CHECK(pods::setting_rule(pods::train_setting("gps_step")) == "must be in (0, 4]");
    CHECK(pods::setting_rule(pods::train_setting("gps_conditions")) == "must be in [1, 100000]");
    CHECK(pods::setting_rule(pods::train_setting("shac_target_alpha")) == "must be in [0, 1)");
    CHECK(pods::setting_rule(pods::train_setting("shac_window")) == "must be in [1, 1000000]");
    CHECK(pods::methods_text(pods::method_bit(pods::Method::kHndp)) == "hndp");
    CHECK_THROWS_AS(pods::train_setting("colour"), std::invalid_argument);
}

TEST_CASE("train settings: each range's ends pass the checks and the values just outside fail")
{
    int checked = 0;
    for (const pods::TrainSetting& s : pods::train_settings()) {
        if (s.kind != pods::SettingKind::kInt && s.kind != pods::SettingKind::kReal) continue;
        if (s.key == "hndp_region_samples") continue; // its lower end is hndp_regions
        INFO(s.key);
        auto set = [&](pods::TrainConfig& c, double v) {
            if (s.kind == pods::SettingKind::kInt)
                c.*s.int_member = int(v);
            else
                c.*s.real_member = v;
        };
        const double step = s.kind == pods::SettingKind::kInt ? 1 : 1e-9 * std::max(1.0, std::abs(s.lo));
        const std::string message = std::string(s.keyword) + ": " + pods::setting_rule(s);
        pods::TrainConfig c = hndp_config();
        c.validation = 1; // validation_every needs validation states
        set(c, s.lo_open ? s.lo + step : s.lo);
        CHECK_NOTHROW(pods::validate_train_config(c));
        set(c, s.lo_open ? s.lo : s.lo - step);
        CHECK_THROWS_WITH_AS(pods::validate_train_config(c), message.c_str(), std::invalid_argument);
        if (std::isfinite(s.hi)) {
            const double hi_step = s.kind == pods::SettingKind::kInt ? 1 : 1e-9 * std::max(1.0, s.hi);
            set(c, s.hi_open ? s.hi - hi_step : s.hi);
            CHECK_NOTHROW(pods::validate_train_config(c));
            set(c, s.hi_open ? s.hi : s.hi + hi_step);
            CHECK_THROWS_WITH_AS(pods::validate_train_config(c), message.c_str(), std::invalid_argument);
        } else {
            set(c, std::numeric_limits<double>::infinity());
            CHECK_THROWS_WITH_AS(pods::validate_train_config(c), message.c_str(), std::invalid_argument);
        }
        ++checked;
    }
    CHECK(checked >= 30);
}

TEST_CASE("train settings: every choice of a choice setting round-trips through its text")
{
    for (const pods::TrainSetting& s : pods::train_settings()) {
        if (s.kind != pods::SettingKind::kChoice) continue;
        INFO(s.key);
        REQUIRE(s.choices.size() >= 2);
        for (std::string_view v : s.choices) {
            pods::TrainConfig c = hndp_config();
            s.set_text(c, std::string(v));
            CHECK(s.get_text(c) == v);
        }
    }
}

TEST_CASE("train settings: the registry's settings lists are the table's methods")
{
    for (const pods::LearnerEntry& e : pods::learner_entries()) {
        INFO(e.name);
        CHECK(e.settings == pods::method_settings(e.method));
    }
    const auto pods2 = pods::method_settings(pods::Method::kPods2);
    CHECK(std::find(pods2.begin(), pods2.end(), "fit_guard") != pods2.end());
    CHECK(std::find(pods2.begin(), pods2.end(), "batch") == pods2.end()); // common to every method
    const auto hndp = pods::method_settings(pods::Method::kHndp);
    CHECK(std::find(hndp.begin(), hndp.end(), "hndp_regions") != hndp.end());
    CHECK(std::find(hndp.begin(), hndp.end(), "ppo_lr") != hndp.end());
    CHECK(std::find(hndp.begin(), hndp.end(), "bptt_lr") == hndp.end());
    const auto sac = pods::method_settings(pods::Method::kSac);
    CHECK(std::find(sac.begin(), sac.end(), "sac_buffer") != sac.end());
    CHECK(std::find(sac.begin(), sac.end(), "gamma") != sac.end());
    CHECK(std::find(sac.begin(), sac.end(), "ppo_lr") == sac.end());
    const auto gps = pods::method_settings(pods::Method::kGps);
    for (const char* key : {"gps_conditions", "gps_samples", "gps_step", "gps_noise", "fit_steps", "minibatch", "fit_lr"})
        CHECK(std::find(gps.begin(), gps.end(), key) != gps.end());
    CHECK(std::find(gps.begin(), gps.end(), "mu") == gps.end());
    const auto shac = pods::method_settings(pods::Method::kShac);
    for (const char* key : {"shac_window", "shac_lr", "shac_lambda", "shac_critic_iters", "shac_critic_minibatches",
                            "shac_critic_lr", "shac_target_alpha", "shac_noise", "gamma", "clip_norm", "scale_rewards"})
        CHECK(std::find(shac.begin(), shac.end(), key) != shac.end());
    CHECK(std::find(shac.begin(), shac.end(), "bptt_lr") == shac.end());
    CHECK(std::find(shac.begin(), shac.end(), "truncation") == shac.end());
}

TEST_CASE("train settings: copy_setting copies each setting's value and nothing else")
{
    pods::TrainConfig changed = hndp_config();
    changed.batch = 7;
    changed.seed = 11;
    changed.fit_lr = 0.25;
    changed.scale_rewards = !changed.scale_rewards;
    changed.pods_target = pods::PodsTarget::kOpenLoop;
    changed.hidden = {5, 6, 7};
    for (const char* key : {"batch", "seed", "fit_lr", "scale_rewards", "pods_target", "hidden"}) {
        INFO(key);
        const pods::TrainSetting& s = pods::train_setting(key);
        pods::TrainConfig to = hndp_config();
        const nlohmann::json before = pods::setting_to_json(s, to);
        pods::copy_setting(s, changed, to);
        CHECK(pods::setting_to_json(s, to) == pods::setting_to_json(s, changed));
        CHECK(pods::setting_to_json(s, to) != before);
        // the other settings are untouched
        for (const pods::TrainSetting& other : pods::train_settings())
            if (&other != &s) CHECK(pods::setting_to_json(other, to) == pods::setting_to_json(other, hndp_config()));
    }
}

TEST_CASE("train settings: validation_every needs validation states")
{
    pods::TrainConfig c;
    c.validation_every = 2;
    CHECK_THROWS_WITH_AS(pods::validate_train_config(c), "validation_every: needs validation states (validation > 0)",
                         std::invalid_argument);
    c.validation = 8;
    CHECK_NOTHROW(pods::validate_train_config(c));
}

