// SHAC: the windowed actor gradient with the critic's value terms (the critic on the whole state,
// the policy on its observation) matches central differences of the windowed loss (each window
// from its start state on the nominal rollout), the step weights
// and TD(lambda) targets match hand-computed cases, SHAC raises the test return of the short 2D
// pendulum, and the same seed gives the same bits for 1 and 2 threads (a resumed run:
// test_training_run).
#include "pods/task/initial_state.hpp"
#include "pods/train/policy_factory.hpp"
#include "pods/train/ppo.hpp"
#include "pods/train/shac.hpp"
#include "pods/train/trainer.hpp"
#include "tests/fd.hpp"
#include "tests/paths.hpp"
#include "tests/pods/train/small_training.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <random>

using namespace podsim;

namespace {

struct Fixture {
    pods::Scene scene;
    pods::QuadraticCost cost;
    pods::ObservationMap obs, critic_obs; // the policy observes the payload, the critic every node
    std::unique_ptr<policy::Policy> policy;
    policy::Mlp critic;
};

// the 3D double pendulum whose payload is its lower node only, so the critic's whole-state input
// differs from the policy's observation
Fixture fixture(int horizon)
{
    Fixture f;
    f.scene = pods::load_scene(test::source_path("scenes/double_pendulum_3d_stop.json"));
    f.scene.task.horizon = horizon;
    f.scene.task.payload = {f.scene.task.payload.back()};
    f.scene.task.target = f.scene.task.target.rightCols(1).eval();
    f.scene.model.solver.tolerance = 1e-14;
    f.cost = pods::quadratic_cost(f.scene.model, f.scene.task);
    f.obs = pods::observation_map(f.scene.model, f.scene.task);
    f.critic_obs = pods::state_observation_map(f.scene.model, f.scene.task);
    REQUIRE(f.critic_obs.size(f.scene.model) > f.obs.size(f.scene.model));
    pods::TrainConfig c;
    c.hidden = {8, 8};
    c.last_layer_scale = 0.5;
    c.seed = 3;
    f.policy = pods::make_policy(f.scene.model, f.scene.task, c);
    policy::MlpConfig critic = pods::shac_critic_config(f.scene.model, f.scene.task, c);
    critic.last_layer_scale = 1; // values and gradients of order 1
    f.critic = policy::Mlp(critic, 5);
    return f;
}

// the windowed loss of one trajectory at parameters theta: each window rolled out again from its
// start state on `nominal`, its weighted costs, and the critic's value at its end (the terminal
// cost in the last window)
double windowed_loss(const Fixture& f, sim::Simulator& sim, const pods::ClosedLoopRollout& nominal,
                     const Eigen::VectorXd& weight, double end_weight, int window, const Eigen::VectorXd& theta)
{
    std::unique_ptr<policy::Policy> p = f.policy->clone();
    p->set_parameters(theta);
    const sim::Model& m = f.scene.model;
    const int n = f.scene.task.horizon;
    double loss = 0;
    for (int t0 = 0; t0 < n; t0 += window) {
        pods::Task part = f.scene.task;
        part.horizon = std::min(window, n - t0);
        pods::ClosedLoopWorkspace ws;
        pods::ClosedLoopRollout r;
        pods::closed_loop_rollout(sim, *p, f.obs, part, f.cost, nominal.states[std::size_t(t0)], false, ws, r);
        REQUIRE(r.ok);
        for (int j = 0; j < part.horizon; ++j) {
            const Eigen::VectorXd a = r.actions.col(j);
            loss += weight[t0 + j] * pods::step_cost(m, f.scene.task, r.states[std::size_t(j)], a).total();
        }
        const int te = t0 + part.horizon;
        if (te == n) {
            loss += weight[n] * pods::terminal_cost(m, f.scene.task, r.states.back()).total();
            continue;
        }
        Eigen::VectorXd o(f.critic_obs.size(m)), x(f.critic.n_in());
        f.critic_obs.observe(m, r.states.back(), o);
        pods::value_input(o, r.actions.col(part.horizon - 1), te, n, x);
        Eigen::MatrixXd v;
        policy::MlpWorkspace vws;
        f.critic.forward(x, v, vws);
        loss += end_weight * v(0, 0);
    }
    return loss;
}

} // namespace

TEST_CASE("shac: the step weights restart the discount in every window and weigh c_N as c_{N-1}")
{
    const Eigen::VectorXd w = pods::shac_step_weights(7, 3, 0.5, 2);
    test::check_close(w, test::vec({2, 1, 0.5, 2, 1, 0.5, 2, 2}), 0);
    // one window over the horizon: the discounted costs
    const Eigen::VectorXd whole = pods::shac_step_weights(3, 10, 0.9, 1);
    test::check_close(whole, test::vec({1, 0.9, 0.81, 0.81}), 1e-15);
}

TEST_CASE("shac: TD(lambda) targets match hand-computed lambda-returns")
{
    const Eigen::VectorXd costs = test::vec({1, 2, 3}), values = test::vec({0.5, -1, 2});
    Eigen::VectorXd y = Eigen::VectorXd::Constant(3, -99);
    // y_2 = 3, y_1 = 2 + 0.9 (0.2 * 2 + 0.8 * 3) = 4.52, y_0 = 1 + 0.9 (0.2 * -1 + 0.8 * 4.52) = 4.0744
    pods::td_lambda_targets(costs, values, 0.9, 0.8, y);
    test::check_close(y, test::vec({4.0744, 4.52, 3}), 1e-14);
    // lambda 1: the discounted costs to go; lambda 0: one-step TD targets
    pods::td_lambda_targets(costs, values, 0.9, 1, y);
    test::check_close(y, test::vec({1 + 0.9 * 2 + 0.81 * 3, 2 + 0.9 * 3, 3}), 1e-14);
    pods::td_lambda_targets(costs, values, 0.9, 0, y);
    test::check_close(y, test::vec({1 + 0.9 * -1, 2 + 0.9 * 2, 3}), 1e-14);
}

TEST_CASE("shac: the windowed actor gradient with the critic's values matches central differences")
{
    const int n = 17, window = 5; // window ends at 5, 10, 15; the last window is 2 steps
    Fixture f = fixture(n);
    const sim::Model& m = f.scene.model;
    const Eigen::VectorXd weight = pods::shac_step_weights(n, window, 0.9, 0.7);
    const double end_weight = std::pow(0.9, window);
    sim::Simulator sim_a(m), sim_b(m);
    sim::Simulator* const sims[2] = {&sim_a, &sim_b};
    const sim::State z0[2] = {pods::sample_initial_state(m, f.scene.task, 7), pods::sample_initial_state(m, f.scene.task, 8)};
    pods::ClosedLoopWorkspace ws;
    pods::ClosedLoopRollout r[2];
    pods::closed_loop_rollouts(sims, *f.policy, f.obs, f.scene.task, f.cost, z0, true, ws, r);
    REQUIRE(r[0].ok);
    REQUIRE(r[1].ok);
    policy::MlpWorkspace vws;
    Eigen::VectorXd g, g_costs_only;
    double loss[2] = {-1, -1};
    std::vector<std::string> failures;
    const Eigen::VectorXd theta = f.policy->parameters();
    REQUIRE(pods::shac_actor_gradient(sims, *f.policy, f.obs, f.critic_obs, f.scene.task, f.cost, f.critic, weight, end_weight, window,
                                      r, ws, vws, g, loss, failures) == 2);
    CHECK(f.policy->parameters() == theta);
    REQUIRE(g.norm() > 1e-6);
    // the critic's terms change the gradient
    REQUIRE(pods::shac_actor_gradient(sims, *f.policy, f.obs, f.critic_obs, f.scene.task, f.cost, f.critic, weight, 0, window, r, ws,
                                      vws, g_costs_only, loss, failures) == 2);
    CHECK((g - g_costs_only).norm() > 1e-3 * g.norm());
    REQUIRE(pods::shac_actor_gradient(sims, *f.policy, f.obs, f.critic_obs, f.scene.task, f.cost, f.critic, weight, end_weight, window,
                                      r, ws, vws, g, loss, failures) == 2);
    // the reported losses are the windowed losses at theta
    for (int b = 0; b < 2; ++b) CHECK(test::close(loss[b], windowed_loss(f, sim_a, r[b], weight, end_weight, window, theta), 1e-12));

    const auto total = [&](const Eigen::VectorXd& th) {
        return windowed_loss(f, sim_a, r[0], weight, end_weight, window, th) +
               windowed_loss(f, sim_a, r[1], weight, end_weight, window, th);
    };
    std::mt19937_64 rng(21);
    int checks = 0;
    for (int k = 0; k < 3; ++k) {
        const Eigen::VectorXd u = test::random_direction(rng, theta.size());
        const double eps = 1e-4;
        const double fd = (total(theta + eps * u) - total(theta - eps * u)) / (2 * eps);
        INFO("g.u " << g.dot(u) << " fd " << fd);
        CHECK(test::close(g.dot(u), fd, 1e-6));
        ++checks;
    }
    CHECK(checks == 3);
}

TEST_CASE("shac: training raises the test return on the short 2D pendulum")
{
    // the 60-step pendulum from the initial policy (-180.8) to -76.6 in 60 epochs with windows of 20
    // steps (the critic closes two of the three), under 1 s on one thread
    const pods::Scene scene = test::small_scene(60);
    pods::TrainConfig c = test::small_config(pods::Method::kShac);
    c.batch = 32;
    c.hidden = {32, 32};
    c.shac_window = 20;
    pods::Trainer t(scene, c, 1);
    const double initial = t.evaluate().return_mean;
    pods::EpochStats s;
    for (int e = 0; e < 60; ++e) {
        s = t.run_epoch(e);
        CHECK(s.failed == 0);
    }
    CHECK(s.gradient_norm > 0);
    CHECK(s.value_loss > 0);
    CHECK(s.fit_loss > 0);
    const double final = t.evaluate().return_mean;
    MESSAGE("test return " << initial << " -> " << final);
    CHECK(final > initial + 0.4 * std::abs(initial));
}

TEST_CASE("shac: the same seed gives bit-identical policies and learner states with 1 and 2 threads")
{
    const pods::Scene scene = test::small_scene(30);
    pods::TrainConfig c = test::small_config(pods::Method::kShac);
    c.batch = 40; // two lockstep batches
    c.shac_window = 8;
    c.shac_critic_iters = 2;
    c.shac_critic_minibatches = 3; // 400 samples per minibatch: chunks of 64 and a partial one
    CHECK(test::check_thread_determinism(scene, c, 2)["critic_adam"]["steps"] == 12);
}
