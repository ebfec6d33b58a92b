// GAE against the direct double sum and its lambda = 0 / 1 limits; running moments exact for any
// split of the stream; the reward scale from directly computed discounted returns, and its JSON.
#include "common/input_error.hpp"
#include "pods/train/advantage.hpp"
#include "tests/fd.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace podsim;

TEST_CASE("advantage: GAE equals the direct sum of discounted TD residuals, and its lambda limits")
{
    std::mt19937_64 rng(11);
    const Eigen::VectorXd r = test::random_vector(rng, 7, -3, 1), v = test::random_vector(rng, 7, -2, 2);
    const double gamma = 0.97;
    for (double lambda : {0.0, 0.6, 0.95, 1.0}) {
        INFO("lambda " << lambda);
        Eigen::VectorXd adv, ret;
        pods::generalized_advantages(r, v, gamma, lambda, adv, ret);
        for (int j = 0; j < 7; ++j) {
            double direct = 0;
            for (int l = 0; j + l < 7; ++l) {
                const double next = j + l + 1 < 7 ? v[j + l + 1] : 0.0;
                direct += std::pow(gamma * lambda, l) * (r[j + l] + gamma * next - v[j + l]);
            }
            CHECK(adv[j] == doctest::Approx(direct).epsilon(1e-12));
            CHECK(ret[j] == doctest::Approx(adv[j] + v[j]).epsilon(1e-14));
            if (lambda == 1.0) { // Monte Carlo: discounted reward-to-go minus the value
                double to_go = 0;
                for (int l = 0; j + l < 7; ++l) to_go += std::pow(gamma, l) * r[j + l];
                CHECK(ret[j] == doctest::Approx(to_go).epsilon(1e-12));
            }
            if (lambda == 0.0) CHECK(adv[j] == doctest::Approx(r[j] + gamma * (j + 1 < 7 ? v[j + 1] : 0.0) - v[j]));
        }
    }
}

TEST_CASE("advantage: running moments equal the direct mean and variance, for any split into batches")
{
    std::mt19937_64 rng(5);
    const Eigen::VectorXd x = test::random_vector(rng, 50, -4, 9);
    pods::RunningMoments all, first, second;
    for (int i = 0; i < 50; ++i) {
        all.add(x[i]);
        (i < 17 ? first : second).add(x[i]);
    }
    first.merge(second);
    const double mean = x.mean(), var = (x.array() - mean).square().mean();
    for (const pods::RunningMoments* m : {&all, &first}) {
        CHECK(m->count == 50);
        CHECK(m->mean == doctest::Approx(mean).epsilon(1e-13));
        CHECK(m->variance() == doctest::Approx(var).epsilon(1e-12));
    }
}

TEST_CASE("advantage: the reward scale is 1/std of the discounted returns of every episode, and round-trips JSON")
{
    const Eigen::VectorXd a = test::vec({-1, -2, -0.5}), b = test::vec({-4, 0.25});
    const double gamma = 0.9;
    pods::RewardScaler s;
    CHECK(s.scale() == 1);
    s.observe(a, gamma);
    s.observe(b, gamma);
    const Eigen::VectorXd g = test::vec({-1, -1 * 0.9 - 2, (-1 * 0.9 - 2) * 0.9 - 0.5, -4, -4 * 0.9 + 0.25});
    const double var = (g.array() - g.mean()).square().mean();
    CHECK(s.scale() == doctest::Approx(1 / std::sqrt(var + 1e-8)).epsilon(1e-12));

    const nlohmann::json j = s.to_json();
    const pods::RewardScaler back = pods::RewardScaler::from_json(common::JsonNode(j, "policy.json"));
    CHECK(back.scale() == s.scale());
    nlohmann::json bad = j;
    bad["m2"] = -1;
    CHECK_THROWS_AS(pods::RewardScaler::from_json(common::JsonNode(bad, "policy.json")), common::InputError);
}
