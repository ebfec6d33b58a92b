// The diagonal Gaussian of PPO: log-density and entropy against independent closed forms and
// quadrature, their derivatives against central differences, the masked components left out.
#include "policy/gaussian.hpp"
#include "tests/fd.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

using namespace podsim;
using podsim::test::vec;

TEST_CASE("gaussian: log-density is the log of the product of 1D normal densities, masked components left out")
{
    const Eigen::VectorXd u = vec({0.3, -1.2, 2.0}), m = vec({0.1, -0.5, 7.0}), ls = vec({-0.7, 0.4, 0.0});
    const Eigen::VectorXd w = vec({1, 1, 0});
    double expected = 0;
    for (int c = 0; c < 2; ++c) {
        const double s = std::exp(ls[c]);
        expected += std::log(std::exp(-(u[c] - m[c]) * (u[c] - m[c]) / (2 * s * s)) / (s * std::sqrt(2 * std::numbers::pi)));
    }
    CHECK(policy::gaussian_log_prob(u, m, ls, w) == doctest::Approx(expected).epsilon(1e-13));
}

TEST_CASE("gaussian: entropy equals -integral p log p (quadrature), per unmasked component")
{
    const Eigen::VectorXd ls = vec({-1.5, 0.2, 1.1}), w = vec({1, 0, 1});
    double integral = 0;
    for (int c : {0, 2}) {
        const double s = std::exp(ls[c]), h = s * 1e-3;
        for (double x = -12 * s; x <= 12 * s; x += h) {
            const double lp = policy::gaussian_log_prob(vec({x}), vec({0}), vec({ls[c]}), vec({1}));
            integral -= std::exp(lp) * lp * h;
        }
    }
    CHECK(policy::gaussian_entropy(ls, w) == doctest::Approx(integral).epsilon(1e-8));
}

TEST_CASE("gaussian: log-density gradients with respect to mean and log-std match central differences")
{
    std::mt19937_64 rng(7);
    const Eigen::VectorXd u = podsim::test::random_vector(rng, 5, -2, 2), m = podsim::test::random_vector(rng, 5, -1, 1),
                          ls = podsim::test::random_vector(rng, 5, -1, 0.5), w = vec({1, 1, 0, 1, 1});
    Eigen::VectorXd dm = Eigen::VectorXd::Zero(5), dls = Eigen::VectorXd::Zero(5);
    policy::add_gaussian_log_prob_gradient(u, m, ls, w, 1.7, dm, dls);
    podsim::test::check_close(dm, 1.7 * podsim::test::fd_gradient([&](const Eigen::VectorXd& x) {
        return policy::gaussian_log_prob(u, x, ls, w); }, m), 1e-8);
    podsim::test::check_close(dls, 1.7 * podsim::test::fd_gradient([&](const Eigen::VectorXd& x) {
        return policy::gaussian_log_prob(u, m, x, w); }, ls), 1e-8);
    CHECK(dm[2] == 0);
    CHECK(dls[2] == 0);
}

TEST_CASE("gaussian: standard_normal has mean 0, variance 1 and the normal tail mass, reproducibly")
{
    std::mt19937_64 rng(3), again(3);
    const int n = 200000;
    double sum = 0, sq = 0;
    int beyond2 = 0, non_finite = 0;
    for (int i = 0; i < n; ++i) {
        const double z = policy::standard_normal(rng);
        non_finite += !std::isfinite(z);
        sum += z;
        sq += z * z;
        beyond2 += std::abs(z) > 2;
        if (i < 10) CHECK(z == policy::standard_normal(again));
    }
    CHECK(non_finite == 0);
    CHECK(std::abs(sum / n) < 0.01);
    CHECK(std::abs(sq / n - 1) < 0.01);
    CHECK(std::abs(double(beyond2) / n - 0.0455) < 0.002);
}
