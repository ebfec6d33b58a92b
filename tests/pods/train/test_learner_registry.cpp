// The table of training methods: every method has one entry whose name round-trips through the
// configuration's names, unknown names are refused with the choices, checkpoint keys are unique
// (PODS1 and PODS2 share one) and present exactly for the learners with state, the factories build the method's learner, the
// policy's Adam follows the method's settings and every listed setting is in config.json.
#include "pods/hndp/reinforcement.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/bptt_learner.hpp"
#include "pods/train/gps.hpp"
#include "pods/train/learner_registry.hpp"
#include "pods/train/pods_learner.hpp"
#include "pods/train/policy_factory.hpp"
#include "pods/train/ppo.hpp"
#include "pods/train/sac.hpp"
#include "pods/train/shac.hpp"
#include "pods/train/train_settings.hpp"
#include "tests/pods/train/small_training.hpp"

#include <doctest/doctest.h>

#include <set>
#include <stdexcept>

using namespace podsim;

namespace {

constexpr pods::Method kAllMethods[] = {pods::Method::kPods2, pods::Method::kPods1, pods::Method::kBptt,
                                        pods::Method::kPpo, pods::Method::kHndp, pods::Method::kSac,
                                        pods::Method::kGps, pods::Method::kShac};

pods::TrainConfig config_of(const pods::LearnerEntry& e)
{
    pods::TrainConfig c = test::small_config(e.method, e.default_head);
    c.hndp_regions = 2;
    c.hndp_region_samples = 64;
    return c;
}

} // namespace

TEST_CASE("learner registry: every method has one entry, and its name round-trips")
{
    CHECK(pods::learner_entries().size() == std::size(kAllMethods));
    std::set<std::string_view> names;
    for (pods::Method m : kAllMethods) {
        const pods::LearnerEntry& e = pods::learner_entry(m);
        INFO(e.name);
        CHECK(e.method == m);
        CHECK(e.name == pods::to_string(m));
        CHECK(pods::method_from_string(std::string(e.name)) == m);
        CHECK(&pods::learner_entry(e.name) == &e);
        CHECK_FALSE(e.summary.empty());
        names.insert(e.name);
    }
    CHECK(names.size() == std::size(kAllMethods));
    CHECK(pods::learner_names() ==
          std::vector<std::string>{"pods2", "pods1", "bptt", "ppo", "hndp", "sac", "gps", "shac"});
    CHECK(pods::learner_names_text() == "pods2, pods1, bptt, ppo, hndp, sac, gps, shac");
}

TEST_CASE("learner registry: an unknown name is refused with the list of choices")
{
    for (const char* name : {"td3", "", "PODS2", "pods2 "})
        CHECK_THROWS_WITH_AS(pods::learner_entry(name),
                             ("got \"" + std::string(name) + "\", must be one of pods2, pods1, bptt, ppo, hndp, sac, gps, shac").c_str(),
                             std::invalid_argument);
}

TEST_CASE("learner registry: checkpoint keys are unique and name exactly the learners with state")
{
    const pods::Scene scene = test::small_scene(20);
    std::set<std::string_view> keys{"epoch", "wall_s", "sim_steps", "adam"}; // policy.json's other entries
    int with_state = 0;
    for (const pods::LearnerEntry& e : pods::learner_entries()) {
        INFO(e.name);
        pods::TrainConfig c = config_of(e);
        // PODS keeps state only with a replay of earlier epochs' samples (PODS1 and PODS2 share the key)
        const bool pods = e.method == pods::Method::kPods2 || e.method == pods::Method::kPods1;
        if (pods) {
            const std::unique_ptr<policy::Policy> p = pods::make_policy(scene.model, scene.task, c);
            CHECK(e.make(scene, c, *p, 2)->state_json().is_null());
            c.fit_replay = 2;
        }
        const std::unique_ptr<policy::Policy> p = pods::make_policy(scene.model, scene.task, c);
        const std::unique_ptr<pods::Learner> learner = e.make(scene, c, *p, 2);
        REQUIRE(learner != nullptr);
        CHECK(learner->state_json().is_null() == e.checkpoint_key.empty());
        if (e.checkpoint_key.empty() || e.method == pods::Method::kPods1) continue;
        CHECK(keys.insert(e.checkpoint_key).second);
        ++with_state;
    }
    CHECK(with_state == 6);
    CHECK(pods::learner_entry(pods::Method::kPods2).checkpoint_key == "pods");
    CHECK(pods::learner_entry(pods::Method::kPods1).checkpoint_key == "pods");
    CHECK(pods::learner_entry(pods::Method::kPpo).checkpoint_key == "ppo");
    CHECK(pods::learner_entry(pods::Method::kHndp).checkpoint_key == "hndp");
    CHECK(pods::learner_entry(pods::Method::kSac).checkpoint_key == "sac");
    CHECK(pods::learner_entry(pods::Method::kGps).checkpoint_key == "gps");
    CHECK(pods::learner_entry(pods::Method::kShac).checkpoint_key == "shac");
}

TEST_CASE("learner registry: the factories build each method's learner")
{
    const pods::Scene scene = test::small_scene(20);
    auto made = [&](pods::Method m) {
        const pods::LearnerEntry& e = pods::learner_entry(m);
        const pods::TrainConfig c = config_of(e);
        return e.make(scene, c, *pods::make_policy(scene.model, scene.task, c), 1);
    };
    CHECK(dynamic_cast<pods::PodsLearner*>(made(pods::Method::kPods2).get()) != nullptr);
    CHECK(dynamic_cast<pods::PodsLearner*>(made(pods::Method::kPods1).get()) != nullptr);
    CHECK(dynamic_cast<pods::BpttLearner*>(made(pods::Method::kBptt).get()) != nullptr);
    CHECK(dynamic_cast<pods::PpoLearner*>(made(pods::Method::kPpo).get()) != nullptr);
    CHECK(dynamic_cast<pods::hndp::HndpLearner*>(made(pods::Method::kHndp).get()) != nullptr);
    CHECK(dynamic_cast<pods::SacLearner*>(made(pods::Method::kSac).get()) != nullptr);
    CHECK(dynamic_cast<pods::GpsLearner*>(made(pods::Method::kGps).get()) != nullptr);
    CHECK(dynamic_cast<pods::ShacLearner*>(made(pods::Method::kShac).get()) != nullptr);
}

TEST_CASE("learner registry: the policy's Adam follows the method's settings")
{
    pods::TrainConfig c;
    c.fit_lr = 0.011;
    c.bptt_lr = 0.022;
    c.clip_norm = 3.5;
    c.ppo_lr = 0.033;
    c.sac_lr = 0.044;
    c.shac_lr = 0.055;
    const double expected_lr[] = {0.011, 0.011, 0.022, 0.033, 0.011, 0.044, 0.011, 0.055};
    const double expected_clip[] = {0, 0, 3.5, 0, 0, 0, 0, 3.5};
    for (std::size_t i = 0; i < std::size(kAllMethods); ++i) {
        const pods::LearnerEntry& e = pods::learner_entry(kAllMethods[i]);
        INFO(e.name);
        const policy::AdamConfig a = e.policy_adam(c);
        CHECK(a.lr == expected_lr[i]);
        CHECK(a.clip_norm == expected_clip[i]);
    }
}

TEST_CASE("learner registry: the default head is valid and every listed setting is a config.json key")
{
    for (const pods::LearnerEntry& e : pods::learner_entries()) {
        INFO(e.name);
        const pods::TrainConfig c = config_of(e);
        CHECK_NOTHROW(pods::validate_train_config(c));
        const nlohmann::json j = pods::train_config_to_json(c);
        CHECK_FALSE(e.settings.empty());
        for (std::string_view key : e.settings) {
            INFO(key);
            CHECK(j.contains(std::string(key)));
        }
    }
    CHECK(pods::learner_entry(pods::Method::kHndp).default_head == pods::Head::kNdp);
    CHECK(pods::learner_entry(pods::Method::kPods2).default_head == pods::Head::kMlp);
    CHECK(pods::learner_entry(pods::Method::kSac).default_head == pods::Head::kMlp);
    CHECK(pods::learner_entry(pods::Method::kGps).default_head == pods::Head::kMlp);
    CHECK(pods::learner_entry(pods::Method::kShac).default_head == pods::Head::kMlp);
}

TEST_CASE("learner registry: a method's defaults are TrainConfig's but for its head, the PODS target and pods2's replay and damping")
{
    const pods::TrainConfig plain;
    for (const pods::LearnerEntry& e : pods::learner_entries()) {
        INFO(e.name);
        const pods::TrainConfig c = pods::method_defaults(e.method);
        CHECK(c.method == e.method);
        CHECK(c.head == e.default_head);
        CHECK_NOTHROW(pods::validate_train_config(c));
        for (const pods::TrainSetting& s : pods::train_settings()) {
            INFO(s.key);
            if (s.key != "method" && s.key != "head" && s.key != "fit_replay" && s.key != "pods_target" &&
                s.key != "pods_damping")
                CHECK(pods::setting_to_json(s, c) == pods::setting_to_json(s, plain));
        }
        const bool pods2 = e.method == pods::Method::kPods2;
        CHECK(c.fit_replay == (pods2 ? 3 : 0));
        CHECK(c.pods_damping == (pods2 ? pods::PodsDamping::kAdaptive : pods::PodsDamping::kFixed));
        const bool pods = pods2 || e.method == pods::Method::kPods1;
        CHECK(c.pods_target == (pods ? pods::PodsTarget::kOnPolicy : pods::PodsTarget::kFeedback));
    }
}
