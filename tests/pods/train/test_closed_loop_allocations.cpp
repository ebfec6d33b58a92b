// The BPTT reverse pass allocates nothing per step once its workspace is sized: malloc is
// interposed (Eigen allocates through malloc), so this suite is its own executable.
#include "pods/task/initial_state.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/closed_loop.hpp"
#include "pods/train/policy_factory.hpp"

#include "tests/malloc_counter.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>

using namespace podsim;
using podsim::test::g_mallocs;
using podsim::test::source_path;

TEST_CASE("closed_loop: the gradient's reverse pass allocates nothing per step once sized")
{
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
        long made[2] = {0, 0};
        for (int i = 0; i < 2; ++i) {
            pods::Scene scene = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
            scene.task.horizon = i == 0 ? 20 : 80;
            const pods::QuadraticCost cost = pods::quadratic_cost(scene.model, scene.task);
            const pods::ObservationMap obs = pods::observation_map(scene.model, scene.task);
            pods::TrainConfig c;
            c.head = head;
            const std::unique_ptr<policy::Policy> p = pods::make_policy(scene.model, scene.task, c);
            sim::Simulator sim(scene.model);
            pods::ClosedLoopWorkspace ws;
            pods::ClosedLoopRollout r;
            const sim::State z0 = pods::sample_initial_state(scene.model, scene.task, 3);
            pods::closed_loop_rollout(sim, *p, obs, scene.task, cost, z0, true, ws, r);
            Eigen::VectorXd g;
            std::string failure;
            bool ok = pods::closed_loop_gradient(sim, *p, obs, scene.task, cost, r, 0, ws, g, failure); // sizes ws
            const long before = g_mallocs;
            ok = ok && pods::closed_loop_gradient(sim, *p, obs, scene.task, cost, r, 0, ws, g, failure);
            made[i] = g_mallocs - before;
            REQUIRE(ok);
        }
        INFO("head " << pods::to_string(head) << ": " << made[0] << " allocations at N = 20, " << made[1] << " at N = 80");
        CHECK(made[1] == made[0]); // nothing per step
        CHECK(made[1] <= 2);       // the call's own bookkeeping (trajectories used, failure list)
    }
}
