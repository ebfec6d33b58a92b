// The BPTT learner on the real simulator: its epoch on a context built by hand equals the
// Trainer's; the test return rises over the first epochs.
#include "pods/task/scene.hpp"
#include "pods/train/bptt_learner.hpp"
#include "pods/train/policy_factory.hpp"
#include "pods/train/trainer.hpp"
#include "tests/pods/train/small_training.hpp"

#include <doctest/doctest.h>

using namespace podsim;

TEST_CASE("bptt learner: an epoch on a context made by hand equals the Trainer's epoch")
{
    const pods::Scene scene = test::small_scene(30);
    pods::TrainConfig c = test::small_config(pods::Method::kBptt);
    c.truncation = 10;
    pods::Trainer t(scene, c, 2);
    const pods::EpochStats expected = t.run_epoch(2);

    // the run's initial policy and Adam, the epoch's states; no Trainer
    std::unique_ptr<policy::Policy> p = pods::make_policy(scene.model, scene.task, c);
    policy::Adam adam(pods::BpttLearner::policy_adam(c), p->n_params());
    CHECK(adam.config().clip_norm == c.clip_norm);
    pods::Workers workers(scene.model, 2);
    const pods::ObservationMap obs = pods::observation_map(scene.model, scene.task);
    const pods::QuadraticCost cost = pods::quadratic_cost(scene.model, scene.task);
    const std::vector<std::unique_ptr<policy::PolicyWorkspace>> fit_ws;
    const std::vector<sim::State> initial = pods::training_states(scene, c, 2);
    pods::BpttLearner learner;
    const Eigen::VectorXd before = p->parameters();
    const pods::EpochStats s = learner.epoch(2, {scene, c, *p, adam, workers, obs, cost, fit_ws, initial});
    CHECK(p->parameters() != before);
    CHECK(s.gradient_norm > 0);
    CHECK(s.gradient_norm == expected.gradient_norm);
    CHECK(s.train_return == expected.train_return);
    CHECK(p->parameters() == t.policy().parameters());
    CHECK(learner.state_json().is_null());
}

TEST_CASE("bptt learner: BPTT raises the test return")
{
    const pods::Scene scene = test::small_scene();
    pods::TrainConfig c = test::small_config(pods::Method::kBptt);
    c.bptt_lr = 3e-3;
    pods::Trainer t(scene, c, 1);
    const double initial = t.evaluate().return_mean;
    for (int e = 0; e < 12; ++e) {
        const pods::EpochStats s = t.run_epoch(e);
        CHECK(s.failed == 0);
        CHECK(s.gradient_norm > 0);
    }
    CHECK(t.evaluate().return_mean > initial + 0.1 * std::abs(initial));
}
