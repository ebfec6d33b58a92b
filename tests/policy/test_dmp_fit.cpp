// Tests of policy/dmp_fit.hpp: exact recovery of generated weights, reproduction of the shipped
// demonstration, generalisation to a new goal, goal == start handling, resampling.
#include "policy/dmp_fit.hpp"

#include "tests/fd.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>

using namespace podsim::policy;
using podsim::test::source_path;

namespace {

Demonstration shipped_demo()
{
    return read_demo_csv(source_path("scenes/demos/digit_two.csv"));
}

Demonstration demo_from(const Eigen::MatrixXd& y, double t0, double dt)
{
    Demonstration d;
    d.y = y;
    d.time.resize(y.cols());
    for (int n = 0; n < y.cols(); ++n) d.time[n] = t0 + n * dt;
    for (int i = 0; i < y.rows(); ++i) d.names.push_back("d" + std::to_string(i));
    return d;
}

} // namespace

TEST_CASE("policy: dmp fit recovers the weights of a DMP-generated euler trajectory")
{
    std::mt19937_64 rng(8);
    DmpModel truth;
    truth.config.basis = 10;
    truth.config.steps = 200;
    truth.config.tau = 2.0;
    truth.params.weights.resize(2, 10);
    for (int d = 0; d < 2; ++d) truth.params.weights.row(d) = podsim::test::random_vector(rng, 10, -200, 200).transpose();
    truth.params.goal = Eigen::Vector2d(1.0, -0.5);
    truth.params.y0 = Eigen::Vector2d(0.2, 0.3);
    truth.params.yd0 = Eigen::Vector2d(0.4, -0.1);
    const DmpTrajectory t = rollout(truth);

    DmpFitOptions o;
    o.config.basis = 10;
    o.ridge = 0;
    o.goal = truth.params.goal; // the generated trajectory has not reached its goal at t = tau
    const DmpFitResult r = fit_dmp(demo_from(t.y, 3.0, truth.config.tau / truth.config.steps), o);
    CHECK(r.dmp.config.tau == doctest::Approx(2.0));
    CHECK(r.dmp.config.steps == 200);
    podsim::test::check_close(r.dmp.params.weights, truth.params.weights, 1e-6);
    podsim::test::check_close(r.dmp.params.yd0, truth.params.yd0, 1e-9);
    CHECK(r.max_error < 1e-9);
}

TEST_CASE("policy: dmp fit reproduces the shipped digit stroke within 1e-2 (both integrators, all scalings)")
{
    const Demonstration demo = shipped_demo();
    REQUIRE(demo.y.rows() == 2);
    int checks = 0;
    for (Integrator integ : {Integrator::EULER, Integrator::RK4})
        for (Scaling sc : {Scaling::GOAL, Scaling::NONE, Scaling::AMPLITUDE}) {
            DmpFitOptions o;
            o.config.basis = 30;
            o.config.integrator = integ;
            o.config.scaling = sc;
            const DmpFitResult r = fit_dmp(demo, o);
            CAPTURE(to_string(integ));
            CAPTURE(to_string(sc));
            // compare with the raw samples (the grid coincides with the sample times)
            REQUIRE(r.dmp.config.steps == demo.time.size() - 1);
            const DmpTrajectory t = rollout(r.dmp);
            const double err = (t.y - demo.y).cwiseAbs().maxCoeff();
            CHECK(err < 1e-2);
            CHECK(r.max_error == doctest::Approx(err).epsilon(1e-6));
            ++checks;
        }
    CHECK(checks == 6);
}

TEST_CASE("policy: a fitted dmp generalises to a new goal")
{
    const Demonstration demo = shipped_demo();
    DmpFitOptions o;
    o.config.basis = 30;
    DmpModel m = fit_dmp(demo, o).dmp;
    const DmpTrajectory base = rollout(m);
    const Eigen::Vector2d new_goal = m.params.goal + Eigen::Vector2d(0.15, -0.1);
    m.params.goal = new_goal;
    const DmpTrajectory moved = rollout(m);
    const int t = m.config.steps;
    CHECK((moved.y.col(t) - new_goal).cwiseAbs().maxCoeff() < 2e-2);
    // goal scaling: the stroke stretches per dimension, (y' - y0) = k (y - y0) up to the tiny yd0 term
    for (int d = 0; d < 2; ++d) {
        const double k = (new_goal[d] - m.params.y0[d]) / (demo.y(d, t) - m.params.y0[d]);
        const Eigen::VectorXd expected = (base.y.row(d).array() - m.params.y0[d]) * k + m.params.y0[d];
        CHECK((moved.y.row(d).transpose() - expected).cwiseAbs().maxCoeff() < 2e-2);
    }
    // the velocity is back to (near) zero at the end: the stroke ends at rest (0.0066 measured;
    // 0.2 only fails a stroke still moving at its end)
    CHECK(moved.yd.col(t).norm() < 0.2);
}

TEST_CASE("policy: dmp fit refuses goal == start with goal scaling and handles it with amplitude")
{
    // a closed loop: goal == start in both dimensions
    const int n = 101;
    Eigen::MatrixXd y(2, n);
    for (int k = 0; k < n; ++k) {
        const double u = double(k) / (n - 1), s = u * u * u * (10 - 15 * u + 6 * u * u);
        y(0, k) = 0.3 * std::sin(2 * M_PI * s);
        y(1, k) = 0.3 * (1 - std::cos(2 * M_PI * s));
    }
    const Demonstration demo = demo_from(y, 0, 0.01);
    DmpFitOptions o;
    o.config.basis = 30;
    CHECK_THROWS_AS(fit_dmp(demo, o), std::invalid_argument);
    o.config.scaling = Scaling::AMPLITUDE;
    const DmpFitResult r = fit_dmp(demo, o);
    CHECK(r.max_error < 1e-2);
    CHECK(r.dmp.params.amplitude.size() == 2);
    CHECK(dmp_warnings(r.dmp).empty());
}

TEST_CASE("policy: dmp fit refuses a duration the DMP JSON could not hold")
{
    Eigen::MatrixXd y(1, 4);
    y << 0, 1, 2, 3;
    DmpFitOptions o;
    o.config.basis = 3;
    for (double dt : {1e-300, 1e300}) {
        CAPTURE(dt);
        CHECK_THROWS_WITH_AS(fit_dmp(demo_from(y, 0, dt), o), doctest::Contains("duration (last - first time) = "),
                             std::invalid_argument);
    }
    CHECK_NOTHROW(fit_dmp(demo_from(y, 0, 1), o));
}

TEST_CASE("policy: demo resampling is exact at the samples and for quadratics")
{
    Demonstration d;
    d.time = Eigen::Vector4d(0.0, 0.3, 0.5, 1.0);
    d.y.resize(1, 4);
    for (int i = 0; i < 4; ++i) d.y(0, i) = 2 * d.time[i] * d.time[i] - d.time[i] + 0.5;
    const Eigen::MatrixXd r = resample_demo(d, 20);
    for (int n = 0; n <= 20; ++n) {
        const double t = n / 20.0;
        CHECK(r(0, n) == doctest::Approx(2 * t * t - t + 0.5).epsilon(1e-12));
    }
}
