// The GPS learner (MDGPS) on the real simulator: fixed conditions from the seed's own stream, an
// epoch's C-steps improve on the policy and their samples are counted, the step size follows
// MDGPS's rule across epochs, GPS raises the test return on the 2D pendulum, the same seed gives
// the same bits for 1 and 2 threads (a resumed run: test_training_run), and the NDP head, scenes
// too large for the Riccati pass and bad checkpoint states are refused.
#include "common/input_error.hpp"
#include "common/json_node.hpp"
#include "pods/improve/lq_model.hpp"
#include "pods/train/gps.hpp"
#include "pods/train/gps_controller.hpp"
#include "pods/train/trainer.hpp"
#include "tests/pods/train/small_training.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

using namespace podsim;

namespace {

pods::TrainConfig gps_config()
{
    pods::TrainConfig c = test::small_config(pods::Method::kGps);
    c.gps_conditions = 8;
    c.gps_samples = 2;
    return c;
}

const pods::GpsLearner& gps_of(const pods::Trainer& t)
{
    const auto* gps = dynamic_cast<const pods::GpsLearner*>(&t.learner());
    REQUIRE(gps != nullptr);
    return *gps;
}

std::vector<double> entries(const nlohmann::json& j) { return j.get<std::vector<double>>(); }

} // namespace

TEST_CASE("gps: the conditions are drawn once from the seed's own stream and kept")
{
    const pods::Scene scene = test::small_scene(20);
    const pods::TrainConfig c = gps_config();
    pods::Trainer t(scene, c, 1);
    const std::vector<sim::State> before = gps_of(t).conditions();
    REQUIRE(before.size() == 8);
    const std::vector<sim::State> expected = pods::gps_conditions(scene.model, scene.task, c);
    const std::vector<sim::State> epoch0 = pods::training_states(scene, c, 0);
    t.run_epoch(0);
    t.run_epoch(1);
    for (std::size_t i = 0; i < before.size(); ++i) {
        const Eigen::VectorXd z = pods::stacked_state(before[i]);
        CHECK(pods::stacked_state(gps_of(t).conditions()[i]) == z);
        CHECK(pods::stacked_state(expected[i]) == z);
        CHECK(pods::stacked_state(epoch0[i]) != z); // not the epochs' states
    }
    pods::TrainConfig other = c;
    other.seed = 2;
    CHECK(pods::stacked_state(pods::gps_conditions(scene.model, scene.task, other)[0]) != pods::stacked_state(before[0]));
}

TEST_CASE("gps: an epoch's controllers improve on the policy, and every sample is simulated and fitted")
{
    const pods::Scene scene = test::small_scene(30);
    const pods::TrainConfig c = gps_config();
    pods::Trainer t(scene, c, 1);
    const Eigen::VectorXd before = t.policy().parameters();
    const pods::EpochStats s = t.run_epoch(0);
    CHECK(s.failed == 0);
    // 8 policy rollouts and 2 controller rollouts per condition of 30 steps each
    CHECK(s.sim_steps == 8 * 30 * 3);
    CHECK(s.train_return < 0);
    CHECK(s.improved_return > s.train_return);
    CHECK(s.alpha_mean == c.gps_step); // the first epoch's step size
    CHECK(s.gradient_norm > 0);
    CHECK(s.fit_loss > 0);
    CHECK(t.policy().parameters() != before);
    CHECK(t.adam().steps() == c.fit_steps);
    const nlohmann::json state = gps_of(t).state_json();
    for (double p : entries(state["previous"])) CHECK(p == 1);
    for (double eta : entries(state["eta"])) CHECK(eta > 0);
    // the mean of the conditions' costs is the reported return
    double mean = 0;
    for (double cost : entries(state["policy_cost"])) mean -= cost / 8;
    CHECK(mean == doctest::Approx(s.train_return).epsilon(1e-12));
    mean = 0;
    for (double cost : entries(state["controller_cost"])) mean -= cost / 8;
    CHECK(mean == doctest::Approx(s.improved_return).epsilon(1e-12));
}

TEST_CASE("gps: the step size follows MDGPS's rule from the last epoch's promise and result")
{
    const pods::Scene scene = test::small_scene(30);
    const pods::TrainConfig c = gps_config();
    pods::Trainer t(scene, c, 1);
    t.run_epoch(0);
    const nlohmann::json s0 = gps_of(t).state_json();
    t.run_epoch(1);
    const nlohmann::json s1 = gps_of(t).state_json();
    const auto step0 = entries(s0["step"]), p0 = entries(s0["policy_cost"]), c0 = entries(s0["controller_cost"]);
    const auto step1 = entries(s1["step"]), p1 = entries(s1["policy_cost"]);
    int changed = 0;
    for (std::size_t i = 0; i < step0.size(); ++i) {
        const double expected = std::clamp(step0[i] * pods::gps_step_multiplier(p0[i] - c0[i], p0[i] - p1[i]),
                                           pods::kGpsStepMin * c.gps_step, pods::kGpsStepMax * c.gps_step);
        CHECK(step1[i] == expected);
        changed += step1[i] != step0[i];
    }
    CHECK(changed > 0);
}

TEST_CASE("gps: training raises the test return on the 2D pendulum")
{
    const pods::Scene scene = test::small_scene(40);
    pods::TrainConfig c = gps_config();
    c.gps_conditions = 16;
    c.fit_steps = 50;
    pods::Trainer t(scene, c, 2);
    const double initial = t.evaluate().return_mean;
    for (int e = 0; e < 8; ++e) CHECK(t.run_epoch(e).failed == 0);
    const double final = t.evaluate().return_mean;
    MESSAGE("test return " << initial << " -> " << final);
    CHECK(final > initial + 0.3 * std::abs(initial));
}

TEST_CASE("gps: the same seed gives bit-identical policies and learner states with 1 and 2 threads")
{
    const pods::Scene scene = test::small_scene(25);
    pods::TrainConfig c = gps_config();
    c.gps_conditions = 5;
    c.gps_samples = 3;
    c.minibatch = 150; // three chunks, one partial
    test::check_thread_determinism(scene, c, 3);
}

TEST_CASE("gps: the NDP head, scenes too large for the Riccati pass and bad checkpoint states are refused")
{
    pods::TrainConfig c = gps_config();
    c.head = pods::Head::kNdp;
    CHECK_THROWS_WITH_AS(pods::validate_train_config(c), "head: method gps trains MLP policies, must be mlp",
                         std::invalid_argument);
    const pods::Scene rope = pods::load_scene(test::source_path("scenes/rope_3d_stop.json"));
    REQUIRE(4 * rope.model.n_x() + rope.model.n_p() > 64);
    CHECK_THROWS_AS(pods::Trainer(rope, gps_config(), 1), common::InputError);

    const pods::Scene scene = test::small_scene(20);
    pods::Trainer t(scene, gps_config(), 1);
    t.run_epoch(0);
    const nlohmann::json good = t.learner_state();
    auto refused = [&](const nlohmann::json& j) {
        pods::Trainer fresh(scene, gps_config(), 1);
        CHECK_THROWS_AS(fresh.restore_learner(common::JsonNode(j, "policy.json")), common::InputError);
    };
    nlohmann::json bad = good;
    bad["step"][0] = 0;
    refused(bad);
    bad = good;
    bad["eta"].erase(0);
    refused(bad);
    bad = good;
    bad["previous"][1] = 0.5;
    refused(bad);
    bad = good;
    bad["extra"] = 1;
    refused(bad);
    // a good state restores
    pods::Trainer fresh(scene, gps_config(), 1);
    fresh.restore_learner(common::JsonNode(good, "policy.json"));
    CHECK(fresh.learner_state() == good);
}
