// Tests of pods/hndp/reinforcement.hpp through the Trainer (`--method hndp`) on the real
// simulator: a tiny run raises the global policy's test return; the iterations are the same bits
// for any thread count and either way of fitting the locals; the pull only acts where the global
// succeeds; the learner's state round-trips; the configuration is validated.
#include "common/input_error.hpp"
#include "common/json_node.hpp"
#include "pods/hndp/reinforcement.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/trainer.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>

using namespace podsim;
using podsim::test::source_path;

namespace {

pods::Scene small_scene(int horizon = 30)
{
    pods::Scene s = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    s.task.horizon = horizon;
    return s;
}

pods::TrainConfig tiny(int regions = 2)
{
    pods::TrainConfig c;
    c.method = pods::Method::kHndp;
    c.head = pods::Head::kNdp;
    c.batch = 6;
    c.test_episodes = 12;
    c.hidden = {16, 16};
    c.ndp_horizon = 5;
    c.ndp_basis = 4;
    c.fit_steps = 30;
    c.minibatch = 32;
    c.fit_lr = 3e-3;
    c.hndp_regions = regions;
    c.hndp_region_samples = 64;
    return c;
}

void check_same(const pods::EpochStats& a, const pods::EpochStats& b)
{
    CHECK(a.sim_steps == b.sim_steps);
    CHECK(a.train_return == b.train_return);
    CHECK(a.local_return == b.local_return);
    CHECK(a.global_return == b.global_return);
    CHECK(a.fit_loss == b.fit_loss);
    CHECK(a.bc_loss == b.bc_loss);
    CHECK(a.pull_loss == b.pull_loss);
    CHECK(a.pulled_regions == b.pulled_regions);
    CHECK(a.failed == b.failed);
}

} // namespace

TEST_CASE("hndp reinforcement: a tiny run raises the global policy's test return")
{
    const pods::Scene scene = small_scene();
    pods::Trainer t(scene, tiny(), 2);
    const double before = t.evaluate().return_mean;
    double bc = 0;
    for (int e = 0; e < 4; ++e) {
        const pods::EpochStats s = t.run_epoch(e);
        CHECK(s.failed == 0);
        CHECK(s.local_return < 0);
        CHECK(s.global_return < 0);
        bc = s.bc_loss;
    }
    const double after = t.evaluate().return_mean;
    MESSAGE("global test return " << before << " -> " << after);
    CHECK(after > before + 0.1 * std::abs(before));
    CHECK(bc > 0);
    // the locals learned too: they differ from their initialisation and from each other
    const auto* hndp = dynamic_cast<const pods::hndp::HndpLearner*>(&t.learner());
    REQUIRE(hndp != nullptr);
    CHECK(hndp->size() == 2);
    CHECK(hndp->local(0).parameters() != hndp->local(1).parameters());
}

TEST_CASE("hndp reinforcement: the same bits for any thread count and either way of fitting the locals")
{
    const pods::Scene scene = small_scene(20);
    for (pods::Method local : {pods::Method::kPods2, pods::Method::kPpo}) {
        INFO("locals by " << pods::to_string(local));
        pods::TrainConfig c = tiny(3);
        c.fit_steps = 10;
        c.ppo_epochs = 2;
        c.ppo_minibatch = 8;
        c.hndp_local_method = local;
        pods::TrainConfig by_trajectories = c;
        by_trajectories.hndp_local_parallel = "trajectories";
        pods::Trainer one(scene, c, 1), two(scene, c, 2), three(scene, by_trajectories, 3);
        for (int e = 0; e < 2; ++e) {
            const pods::EpochStats a = one.run_epoch(e), b = two.run_epoch(e), d = three.run_epoch(e);
            check_same(a, b);
            check_same(a, d);
        }
        CHECK(one.policy().parameters() == two.policy().parameters());
        CHECK(one.policy().parameters() == three.policy().parameters());
        CHECK(one.learner_state() == two.learner_state());
        CHECK(one.learner_state() == three.learner_state());
        CHECK(one.evaluate().return_mean == three.evaluate().return_mean);
    }
}

TEST_CASE("hndp reinforcement: the pull acts only where the global succeeds")
{
    const pods::Scene scene = small_scene(20);
    // success fraction 0 and the locals far ahead after a few iterations without pull: a
    // fraction of 100 (every region a success) pulls all of them
    pods::TrainConfig c = tiny(2);
    c.fit_steps = 10;
    c.hndp_success_fraction = 100;
    pods::Trainer all(scene, c, 2);
    const pods::EpochStats s = all.run_epoch(0);
    CHECK(s.pulled_regions == 2);
    CHECK(s.pull_loss > 0);
    c.hndp_pull_weight = 0; // alpha_i = 0 everywhere: no pull
    pods::Trainer none(scene, c, 2);
    const pods::EpochStats z = none.run_epoch(0);
    CHECK(z.pulled_regions == 0);
    CHECK(z.pull_loss == 0);
    // the pull changes the locals, not the rollouts before it
    CHECK(s.local_return == z.local_return);
    CHECK(all.learner_state() != none.learner_state());
}

TEST_CASE("hndp reinforcement: the learner's state restores into a fresh trainer")
{
    const pods::Scene scene = small_scene(20);
    pods::TrainConfig c = tiny(2);
    c.fit_steps = 5;
    pods::Trainer a(scene, c, 1), b(scene, c, 1);
    a.run_epoch(0);
    const nlohmann::json state = a.learner_state();
    CHECK(state["locals"].size() == 2);
    b.restore(a.policy().clone(), a.adam());
    b.restore_learner(common::JsonNode(state, "policy.json"));
    CHECK(b.learner_state() == state);
    check_same(a.run_epoch(1), b.run_epoch(1));
    CHECK(a.policy().parameters() == b.policy().parameters());
    // a state with another number of regions is refused
    pods::TrainConfig three = c;
    three.hndp_regions = 3;
    pods::Trainer t3(scene, three, 1);
    CHECK_THROWS_AS(t3.restore_learner(common::JsonNode(state, "policy.json")), common::InputError);
}

TEST_CASE("hndp reinforcement: the configuration is validated")
{
    const pods::Scene scene = small_scene(20);
    auto rule = [&](pods::TrainConfig c) {
        try {
            pods::validate_train_config(c);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    pods::TrainConfig c = tiny();
    CHECK(rule(c).empty());
    c.head = pods::Head::kMlp;
    CHECK(rule(c) == "head: method hndp trains NDP policies, must be ndp");
    c = tiny();
    c.hndp_regions = 0;
    CHECK(rule(c).rfind("regions:", 0) == 0);
    c = tiny();
    c.hndp_region_samples = 1;
    CHECK(rule(c).rfind("region_samples:", 0) == 0);
    c = tiny();
    c.hndp_local_method = pods::Method::kBptt;
    CHECK(rule(c).rfind("local_method:", 0) == 0);
    c = tiny();
    c.hndp_local_parallel = "ranks";
    CHECK(rule(c).rfind("local_parallel:", 0) == 0);
    // config.json round trip, hndp keys only for hndp
    const pods::TrainConfig back = pods::train_config_from_json(
        common::JsonNode(pods::train_config_to_json(tiny()), "config.json"));
    CHECK(pods::config_differences(back, tiny()).empty());
    CHECK(back.hndp_regions == 2);
    pods::TrainConfig pods2 = tiny();
    pods2.method = pods::Method::kPods2;
    CHECK_FALSE(pods::train_config_to_json(pods2).contains("hndp_regions"));
    CHECK(pods::hndp::trajectory_weight(1, 4, 5, 0.5) == doctest::Approx(1.0 / (2 * 4 * 6 * 0.25)));
}
