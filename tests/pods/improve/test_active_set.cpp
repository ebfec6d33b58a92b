// Active set of the action box and the projected gradient.
#include "pods/improve/active_set.hpp"
#include "tests/fd.hpp"

using namespace podsim;

TEST_CASE("active_set: holds components at a bound whose gradient points out of the box")
{
    // columns: at +L pushed out, at +L pulled in, at -L pushed out, at -L pulled in, inside,
    // within the tolerance of +L pushed out, just outside the tolerance, zero gradient at -L
    Eigen::MatrixXd a(1, 8), g(1, 8);
    const double l = 2;
    a << l, l, -l, -l, 0.3, l * (1 - 1e-10), l * (1 - 1e-8), -l;
    g << -1, 1, 1, -1, -5, -1, -1, 0;
    const pods::ActionMask held = pods::active_set(a, g, l, 1e-9);
    const bool expected[] = {true, false, true, false, false, true, false, false};
    for (int i = 0; i < 8; ++i) {
        INFO("component " << i);
        CHECK(held(0, i) == expected[i]);
    }
    CHECK(pods::count(held) == 3);
    CHECK_THROWS_AS(pods::active_set(a, Eigen::MatrixXd::Zero(2, 4), l, 1e-9), std::invalid_argument);
}

TEST_CASE("active_set: the projected gradient is zero on held components and the gradient elsewhere")
{
    std::mt19937_64 rng(5);
    const double l = 1.5;
    Eigen::MatrixXd a = test::random_vector(rng, 3 * 40, -l, l).reshaped(3, 40);
    for (Eigen::Index i = 0; i < a.size(); i += 3) a.data()[i] = (i / 3) % 2 ? l : -l;
    const Eigen::MatrixXd g = test::random_vector(rng, 3 * 40).reshaped(3, 40);
    const pods::ActionMask held = pods::active_set(a, g, l, 1e-9);
    REQUIRE(pods::count(held) > 5);
    const Eigen::MatrixXd pg = pods::projected_gradient(g, held);
    for (Eigen::Index i = 0; i < a.size(); ++i) {
        if (held.data()[i]) {
            CHECK(pg.data()[i] == 0.0);
            // held means: -g moves it out of the box
            CHECK(std::abs(a.data()[i] - g.data()[i] * 1e-3) > l);
        } else {
            CHECK(pg.data()[i] == g.data()[i]);
        }
    }
}
