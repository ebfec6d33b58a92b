// The DMP layer and the NDP head make no heap allocation once their workspaces are sized: malloc
// is interposed (Eigen allocates through malloc, not operator new), so this suite is its own
// executable.
#include "policy/dmp.hpp"
#include "policy/ndp.hpp"

#include "tests/fd.hpp"
#include "tests/malloc_counter.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>

using podsim::test::g_mallocs;

using namespace podsim::policy;

TEST_CASE("policy: the allocation counter counts Eigen allocations")
{
    const long before = g_mallocs;
    Eigen::MatrixXd m(50, 50);
    m.setZero();
    const long made = g_mallocs - before;
    MESSAGE("allocations counted by " << std::string(podsim::test::kMallocCounter));
    REQUIRE(podsim::test::malloc_counter_active());
    CHECK(made == 1);
}

TEST_CASE("policy: dmp forward and vjp allocate nothing once the workspace is sized")
{
    std::mt19937_64 rng(1);
    for (Integrator integ : {Integrator::EULER, Integrator::RK4})
        for (bool per_row : {false, true}) {
            DmpConfig c;
            c.basis = 12;
            c.steps = 80;
            c.integrator = integ;
            const DmpLayer layer(c);
            DmpParams p;
            p.weights.resize(30, 12);
            for (int r = 0; r < 30; ++r) p.weights.row(r) = podsim::test::random_vector(rng, 12, -50, 50).transpose();
            p.goal = podsim::test::random_vector(rng, 30);
            p.y0 = podsim::test::random_vector(rng, 30);
            p.yd0 = podsim::test::random_vector(rng, 30);
            if (per_row) p.alpha = podsim::test::random_vector(rng, 30, 10, 25);
            Eigen::MatrixXd cot(30, 81);
            for (int n = 0; n <= 80; ++n) cot.col(n) = podsim::test::random_vector(rng, 30);
            DmpTrajectory t;
            DmpWorkspace ws;
            DmpGradient g;
            layer.forward(p, t, ws, true);
            layer.vjp(p, ws, cot, g);
            const long before = g_mallocs;
            for (int rep = 0; rep < 3; ++rep) {
                layer.forward(p, t, ws, true);
                layer.vjp(p, ws, cot, g);
            }
            const long made = g_mallocs - before; // read before any doctest macro allocates
            CAPTURE(to_string(integ));
            CAPTURE(per_row);
            CHECK(made == 0);
        }
}

TEST_CASE("policy: ndp act and vjp allocate nothing once the workspace is sized")
{
    NdpConfig c;
    c.n_obs = 6;
    c.n_act = 2;
    c.learn_alpha = true;
    c.network.hidden = {16, 16};
    const NdpPolicy pi(c, 2);
    std::mt19937_64 rng(2);
    Eigen::MatrixXd obs(6, 8), hv(2, 8), cot(10, 8);
    for (int j = 0; j < 8; ++j) {
        obs.col(j) = podsim::test::random_vector(rng, 6);
        hv.col(j) = podsim::test::random_vector(rng, 2);
        cot.col(j) = podsim::test::random_vector(rng, 10);
    }
    auto ws = pi.make_workspace();
    Eigen::MatrixXd a, d_obs, d_hv;
    Eigen::VectorXd dp;
    pi.act(obs, hv, a, *ws);
    pi.vjp(*ws, cot, dp, &d_obs, &d_hv);
    const long before = g_mallocs;
    pi.act(obs, hv, a, *ws);
    pi.vjp(*ws, cot, dp, &d_obs, &d_hv);
    const long made = g_mallocs - before;
    CHECK(made == 0);
}
