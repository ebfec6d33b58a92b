// Tests of pods/hndp/regions.hpp: k-means is deterministic for a seed and finds separated
// clusters; a task's regions are the same for a seed, every state sampled for a region lies in it.
#include "pods/hndp/regions.hpp"
#include "pods/task/random.hpp"
#include "pods/task/scene.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>

using namespace podsim;
using namespace podsim::pods::hndp;
using podsim::test::source_path;

namespace {

const double* centre_of(int blob)
{
    static const double centre[3][2] = {{0, 0}, {10, 0}, {0, 10}};
    return centre[blob];
}

// three blobs of 40 points around (0, 0), (10, 0), (0, 10), spread 0.5, in a fixed order
Eigen::MatrixXd blobs(std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    Eigen::MatrixXd p(2, 120);
    for (int j = 0; j < 120; ++j)
        for (int d = 0; d < 2; ++d) p(d, j) = centre_of(j % 3)[d] + pods::uniform(rng, -0.5, 0.5);
    return p;
}

} // namespace

TEST_CASE("hndp regions: k-means is deterministic for a seed and finds three separated blobs")
{
    const Eigen::MatrixXd p = blobs(7);
    int checked = 0;
    for (std::uint64_t seed : {1u, 2u, 3u}) {
        const Eigen::MatrixXd a = kmeans(p, 3, seed), b = kmeans(p, 3, seed);
        CHECK(a == b);
        // every centre near one blob's mean, each blob found once
        std::set<int> found;
        for (int c = 0; c < 3; ++c) {
            const int blob = a(0, c) > 5 ? 1 : (a(1, c) > 5 ? 2 : 0);
            found.insert(blob);
            const Eigen::Vector2d want = blob == 1 ? Eigen::Vector2d(10, 0) : (blob == 2 ? Eigen::Vector2d(0, 10) : Eigen::Vector2d(0, 0));
            CHECK((a.col(c) - want).norm() < 0.3);
            ++checked;
        }
        CHECK(found.size() == 3);
        // each point's nearest centre is its blob's
        for (int j = 0; j < 120; ++j) {
            const Eigen::Vector2d blob(centre_of(j % 3)[0], centre_of(j % 3)[1]);
            CHECK((a.col(nearest_centre(a, p.col(j))) - blob).norm() < 0.3);
        }
    }
    CHECK(checked == 9);
    CHECK_THROWS_AS(kmeans(p, 0, 1), std::invalid_argument);
    CHECK_THROWS_AS(kmeans(p, 121, 1), std::invalid_argument);
    // one cluster: the mean
    CHECK((kmeans(p, 1, 5).col(0) - p.rowwise().mean()).norm() < 1e-12);
}

TEST_CASE("hndp regions: a task's regions are the same for a seed, sampled states lie in their region")
{
    const pods::Scene scene = pods::load_scene(source_path("scenes/double_pendulum_3d_stop_origin.json"));
    const Regions a(scene.model, scene.task, 4, 256, 11), b(scene.model, scene.task, 4, 256, 11);
    const Regions other(scene.model, scene.task, 4, 256, 12);
    CHECK(a.size() == 4);
    CHECK(a.centres() == b.centres());
    CHECK(a.centres() != other.centres());
    // distinct centres
    for (int i = 0; i < 4; ++i)
        for (int j = i + 1; j < 4; ++j) CHECK((a.centres().col(i) - a.centres().col(j)).norm() > 1e-3);
    const auto sa = a.sample(5, 99), sb = b.sample(5, 99);
    REQUIRE(sa.size() == 4);
    int states = 0;
    for (int i = 0; i < 4; ++i) {
        REQUIRE(sa[std::size_t(i)].size() == 5);
        for (std::size_t j = 0; j < 5; ++j) {
            CHECK(a.region_of(sa[std::size_t(i)][j]) == i);
            CHECK(sa[std::size_t(i)][j].x == sb[std::size_t(i)][j].x);
            CHECK(sa[std::size_t(i)][j].v == sb[std::size_t(i)][j].v);
            ++states;
        }
    }
    CHECK(states == 20);
}
