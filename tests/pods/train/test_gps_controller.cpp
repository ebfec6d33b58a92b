// GPS's C-step on real rollouts of shipped scenes: the eta search hits its step size (and its law
// is the Riccati pass at that eta), a larger step needs a smaller eta, the controller's rollout
// follows its law and its noise, and MDGPS's step-size rule.
#include "pods/improve/lq_model.hpp"
#include "pods/train/gps_controller.hpp"
#include "tests/pods/improve/box_fixture.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace podsim;

namespace {

const char* kScenes[] = {"pendulum_2d_stop.json", "double_pendulum_3d_stop.json", "cable_payload_2d_stop.json"};

} // namespace

TEST_CASE("gps controller: mean_squared_step is the mean squared change inside the box over L^2")
{
    Eigen::MatrixXd a(2, 2), d(2, 2);
    a << 0.5, -1, 0, 0.25;
    d << 1, -1, 0.5, 0; // the first change is clamped to 0.5, the second to 0
    CHECK(pods::mean_squared_step(a, d, 1.0) == doctest::Approx((0.25 + 0 + 0.25 + 0) / 4));
    CHECK(pods::mean_squared_step(a, d, 2.0) == doctest::Approx((1 + 1 + 0.25) / (4 * 4.0)));
    CHECK(pods::mean_squared_step(Eigen::MatrixXd(2, 0), Eigen::MatrixXd(2, 0), 1.0) == 0);
}

TEST_CASE("gps controller: the eta search hits its step size, with the Riccati law of that eta")
{
    int checked = 0;
    for (const char* file : kScenes) {
        INFO(std::string(file));
        const test::BoxFixture f = test::box_fixture(file, 30, 3, 0.3, 0.0);
        sim::Simulator sim(f.scene.model);
        const pods::LqModel lq = pods::lq_model(sim, f.cost, f.states, f.actions);
        const Eigen::MatrixXd grad = pods::lq_gradient(lq);
        const pods::ActionMask held = pods::active_set(f.actions, grad, f.limit(), 1e-9);
        // the undamped step's size bounds the reachable steps
        const double largest =
            pods::mean_squared_step(f.actions, pods::box_riccati_step(lq, f.actions, f.limit(), 1e-6, held).delta, f.limit());
        REQUIRE(largest > 1e-4);
        double last_eta = std::numeric_limits<double>::infinity();
        for (double fraction : {1e-3, 1e-2, 0.1, 0.5}) {
            const double eps = fraction * largest;
            INFO("epsilon " << eps);
            for (double start : {1e-3, 1.0, 1e3}) {
                const pods::LocalController c = pods::trust_region_controller(lq, f.actions, f.limit(), held, eps, start);
                CHECK(c.passes <= 16);
                CHECK(c.step <= eps * 1.25);
                CHECK(c.step >= eps / 1.25);
                CHECK(c.eta > 0);
                // the law is the Riccati pass's at that eta, and so is its step
                const pods::BoxStepResult r = pods::box_riccati_step(lq, f.actions, f.limit(), c.eta, held);
                CHECK(pods::mean_squared_step(f.actions, r.delta, f.limit()) == c.step);
                CHECK(r.feedback.feedforward == c.law.feedforward);
                CHECK(r.feedback.gain[5] == c.law.gain[5]);
                if (start == 1.0) {
                    // a larger step size needs less damping
                    CHECK(c.eta < last_eta);
                    last_eta = c.eta;
                }
                ++checked;
            }
        }
        // a step size beyond the undamped step's takes the smallest eta
        const pods::LocalController wide = pods::trust_region_controller(lq, f.actions, f.limit(), held, 10 * largest, 1.0);
        CHECK(wide.eta == doctest::Approx(1e-6));
        CHECK(wide.step <= 10 * largest);
    }
    CHECK(checked == 3 * 4 * 3);
}

TEST_CASE("gps controller: a rollout follows the law around the linearised rollout, and its noise")
{
    const test::BoxFixture f = test::box_fixture("pendulum_2d_stop.json", 30, 5, 0.3, 0.0);
    sim::Simulator sim(f.scene.model);
    const pods::LqModel lq = pods::lq_model(sim, f.cost, f.states, f.actions);
    const pods::ActionMask held = pods::active_set(f.actions, pods::lq_gradient(lq), f.limit(), 1e-9);
    const int na = int(f.actions.rows()), n = int(f.actions.cols());

    // a law of zeros reproduces the rollout
    pods::FeedbackLaw zero;
    zero.feedforward.setZero(na, n);
    zero.gain.assign(std::size_t(n), Eigen::MatrixXd::Zero(na, lq.state_size()));
    pods::ControllerRollout r;
    pods::controller_rollout(sim, f.scene.task, f.cost, f.states, f.actions, zero, Eigen::MatrixXd(), r);
    REQUIRE(r.ok);
    CHECK(r.steps == n);
    CHECK(r.actions == f.actions);
    CHECK(r.mean == f.actions);
    CHECK(r.cost == doctest::Approx(f.cost_value).epsilon(1e-12));

    // the law of a moderate eta: the noise-free rollout applies a + k + K (z' - z), the noisy one
    // clamp(mean + noise) with the mean the law's action at its own states
    const pods::LocalController c = pods::trust_region_controller(lq, f.actions, f.limit(), held, 0.01, 1.0);
    pods::controller_rollout(sim, f.scene.task, f.cost, f.states, f.actions, c.law, Eigen::MatrixXd(), r);
    REQUIRE(r.ok);
    CHECK(r.actions == r.mean);
    CHECK(r.cost < f.cost_value); // the C-step improves the rollout
    for (int t : {0, 7, 29}) {
        Eigen::VectorXd expected = f.actions.col(t) + c.law.feedforward.col(t) +
                                   c.law.gain[std::size_t(t)] * (pods::stacked_state(r.states[std::size_t(t)]) -
                                                                 pods::stacked_state(f.states[std::size_t(t)]));
        expected = expected.cwiseMax(-f.limit()).cwiseMin(f.limit());
        CHECK((r.mean.col(t) - expected).cwiseAbs().maxCoeff() <= 1e-12);
    }
    std::mt19937_64 rng(9);
    const Eigen::MatrixXd noise = test::random_vector(rng, na * n, -0.3, 0.3).reshaped(na, n);
    pods::ControllerRollout noisy;
    pods::controller_rollout(sim, f.scene.task, f.cost, f.states, f.actions, c.law, noise, noisy);
    REQUIRE(noisy.ok);
    CHECK(noisy.actions == (noisy.mean + noise).cwiseMax(-f.limit()).cwiseMin(f.limit()));
    CHECK(noisy.mean.col(0) == r.mean.col(0)); // the same initial state
    CHECK(noisy.mean.col(10) != r.mean.col(10)); // the noise moved the states
    CHECK(noisy.cost == f.cost.total(f.scene.model, noisy.states, noisy.actions));
}

TEST_CASE("gps controller: MDGPS's step-size rule grows the step when the policy realised the promise")
{
    CHECK(pods::gps_step_multiplier(1.0, 1.0) == 5);          // all of it
    CHECK(pods::gps_step_multiplier(2.0, 1.0) == 1);          // half of it
    CHECK(pods::gps_step_multiplier(2.0, 0.0) == 0.5);        // none
    CHECK(pods::gps_step_multiplier(2.0, 1.5) == doctest::Approx(2));
    CHECK(pods::gps_step_multiplier(1.0, -20.0) == 0.1);      // much worse
    CHECK(pods::gps_step_multiplier(0.0, 1.0) == 0.1);        // no promise
    CHECK(pods::gps_step_multiplier(-1.0, 0.5) == 0.1);
    CHECK(pods::gps_step_multiplier(1.0, 2.0) == 5);          // more than promised
}
