// Tests of policy/adam.hpp: the first step, clipping, convergence on a quadratic, state restore.
#include "policy/adam.hpp"

#include "tests/fd.hpp"

#include <doctest/doctest.h>

using namespace podsim::policy;

TEST_CASE("policy: adam first step moves every parameter by lr against the gradient sign")
{
    AdamConfig c;
    c.lr = 0.1;
    Adam adam(c, 3);
    Eigen::VectorXd p(3), g(3);
    p << 1, 2, 3;
    g << 0.5, -2, 1e-3;
    const double norm = adam.step(p, g);
    CHECK(norm == doctest::Approx(g.norm()));
    CHECK(p[0] == doctest::Approx(1 - 0.1));
    CHECK(p[1] == doctest::Approx(2 + 0.1));
    CHECK(p[2] == doctest::Approx(3 - 0.1).epsilon(1e-4));
    CHECK(adam.steps() == 1);
}

TEST_CASE("policy: adam global-norm clipping rescales the gradient")
{
    AdamConfig c;
    c.clip_norm = 1.0;
    Adam adam(c, 2);
    Eigen::VectorXd p = Eigen::VectorXd::Zero(2), g(2);
    g << 3, 4;
    CHECK(adam.step(p, g) == doctest::Approx(5));
    CHECK(adam.first_moment()[0] == doctest::Approx((1 - c.beta1) * 3.0 / 5.0));
    CHECK(adam.first_moment()[1] == doctest::Approx((1 - c.beta1) * 4.0 / 5.0));
    // below the threshold nothing is rescaled
    Adam small(c, 2);
    g << 0.3, 0.4;
    small.step(p, g);
    CHECK(small.first_moment()[0] == doctest::Approx((1 - c.beta1) * 0.3));
}

TEST_CASE("policy: adam minimises an ill-conditioned quadratic")
{
    AdamConfig c;
    c.lr = 0.05;
    Adam adam(c, 2);
    Eigen::VectorXd p(2);
    p << 3, -2;
    const Eigen::Vector2d d(100, 1);
    for (int i = 0; i < 2000; ++i) {
        const Eigen::VectorXd g = d.asDiagonal() * p;
        adam.step(p, g);
    }
    CHECK(p.norm() < 1e-2);
}

TEST_CASE("policy: adam state restore continues identically")
{
    AdamConfig c;
    c.lr = 0.01;
    std::mt19937_64 rng(4);
    Adam a(c, 4);
    Eigen::VectorXd pa = podsim::test::random_vector(rng, 4);
    for (int i = 0; i < 5; ++i) a.step(pa, podsim::test::random_vector(rng, 4));
    Adam b(c, 4);
    b.set_state(a.steps(), a.first_moment(), a.second_moment());
    Eigen::VectorXd pb = pa;
    const Eigen::VectorXd g = podsim::test::random_vector(rng, 4);
    a.step(pa, g);
    b.step(pb, g);
    CHECK(pa == pb);
    CHECK_THROWS_AS(b.set_state(1, Eigen::VectorXd::Zero(3), Eigen::VectorXd::Zero(4)), std::invalid_argument);
    AdamConfig bad;
    bad.lr = -1;
    CHECK_THROWS_AS(Adam(bad, 2), std::invalid_argument);
}
