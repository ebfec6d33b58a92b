// PPO epochs on the real simulator: decision rewards add up to the rollout's return, the
// exploration noise is what the stored log-probabilities say, and PPO raises the test return on
// the 2D pendulum with both heads.
#include "pods/task/initial_state.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/policy_factory.hpp"
#include "pods/train/ppo.hpp"
#include "pods/train/trainer.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>

using namespace podsim;
using podsim::test::source_path;

namespace {

pods::Scene small_scene(int horizon)
{
    pods::Scene s = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    s.task.horizon = horizon;
    return s;
}

} // namespace

TEST_CASE("ppo: the decision rewards of a rollout add up to minus its cost (MLP and NDP heads)")
{
    const pods::Scene scene = small_scene(23);
    const pods::QuadraticCost cost = pods::quadratic_cost(scene.model, scene.task);
    const pods::ObservationMap obs = pods::observation_map(scene.model, scene.task);
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
        pods::TrainConfig c;
        c.head = head;
        c.ndp_horizon = 5; // 23 steps: the last decision covers 3
        c.last_layer_scale = 1;
        const auto p = pods::make_policy(scene.model, scene.task, c);
        sim::Simulator sim(scene.model);
        pods::ClosedLoopWorkspace ws;
        pods::ClosedLoopRollout r;
        pods::closed_loop_rollout(sim, *p, obs, scene.task, cost, pods::sample_initial_state(scene.model, scene.task, 4), false, ws, r);
        REQUIRE(r.ok);
        const Eigen::VectorXd rewards = pods::decision_rewards(scene.model, scene.task, r, p->horizon());
        CHECK(rewards.size() == (head == pods::Head::kMlp ? 23 : 5));
        CHECK(rewards.sum() == doctest::Approx(-r.cost).epsilon(1e-12));
    }
}

TEST_CASE("ppo: noisy rollouts request the policy's action plus the noise, clamped only when applied")
{
    const pods::Scene scene = small_scene(10);
    const pods::QuadraticCost cost = pods::quadratic_cost(scene.model, scene.task);
    const pods::ObservationMap obs = pods::observation_map(scene.model, scene.task);
    pods::TrainConfig c;
    const auto p = pods::make_policy(scene.model, scene.task, c);
    sim::Simulator sim(scene.model);
    sim::Simulator* sims[] = {&sim};
    pods::ClosedLoopWorkspace ws;
    pods::ClosedLoopRollout plain, noisy;
    const sim::State z0[] = {pods::sample_initial_state(scene.model, scene.task, 4)};
    Eigen::MatrixXd noise = Eigen::MatrixXd::Zero(scene.model.n_p(), 10);
    noise(0, 0) = 5.0; // far past the 2 m/s limit
    const Eigen::MatrixXd noises[] = {noise};
    pods::closed_loop_rollouts(sims, *p, obs, scene.task, cost, z0, false, ws, std::span(&plain, 1));
    pods::closed_loop_rollouts(sims, *p, obs, scene.task, cost, z0, false, ws, std::span(&noisy, 1), noises);
    REQUIRE(noisy.ok);
    CHECK(noisy.requested(0, 0) == plain.requested(0, 0) + 5.0);
    CHECK(noisy.actions(0, 0) == scene.task.action_limit);
    CHECK(noisy.requested.col(0).tail(scene.model.n_p() - 1) == plain.requested.col(0).tail(scene.model.n_p() - 1));
    const Eigen::MatrixXd wrong[] = {Eigen::MatrixXd::Zero(1, 3)};
    CHECK_THROWS_AS(pods::closed_loop_rollouts(sims, *p, obs, scene.task, cost, z0, false, ws, std::span(&noisy, 1), wrong),
                    std::invalid_argument);
}

TEST_CASE("ppo: training raises the test return on the 2D pendulum (MLP and NDP heads)")
{
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
        INFO(pods::to_string(head));
        // an NDP decision covers 5 steps: 5x fewer PPO samples per epoch, and PPO learns the head
        // more slowly (docs/RESULTS.md): the whole horizon, more epochs, the default learning rate
        const bool mlp = head == pods::Head::kMlp;
        const pods::Scene scene = small_scene(mlp ? 40 : 100);
        pods::TrainConfig c;
        c.method = pods::Method::kPpo;
        c.head = head;
        c.batch = 16;
        c.test_episodes = 16;
        c.hidden = {32, 32};
        c.ppo_minibatch = 64;
        if (mlp) c.ppo_lr = 1e-3;
        pods::Trainer t(scene, c, 2);
        const double initial = t.evaluate().return_mean;
        const auto* ppo = dynamic_cast<const pods::PpoLearner*>(&t.learner());
        REQUIRE(ppo != nullptr);
        const double std0 = ppo->log_std().array().exp().mean();
        pods::EpochStats s;
        for (int e = 0; e < (mlp ? 15 : 30); ++e) {
            s = t.run_epoch(e);
            CHECK(s.failed == 0);
            CHECK(s.sim_steps == 16 * scene.task.horizon);
        }
        CHECK(s.gradient_norm > 0);
        CHECK(s.value_loss > 0);
        CHECK(s.policy_std > 0);
        CHECK(s.policy_std != std0);
        const double final = t.evaluate().return_mean;
        MESSAGE(pods::to_string(head) << ": test return " << initial << " -> " << final);
        CHECK(final > initial + 0.15 * std::abs(initial));
    }
}
