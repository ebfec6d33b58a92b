// Closed-loop rollouts and their adjoint: the rollout replays open loop, clamping and failures
// are reported, and the BPTT parameter gradient matches central finite differences of the
// closed-loop cost for both heads (with clamped components, the NDP head's velocity input, and
// several decisions per rollout), and the windowed loss's weights and checks (its finite-difference test
// with the critic: test_shac.cpp).
#include "pods/task/initial_state.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/closed_loop.hpp"
#include "pods/train/policy_factory.hpp"
#include "sim/rollout.hpp"
#include "tests/fd.hpp"
#include "tests/paths.hpp"

using namespace podsim;
using podsim::test::source_path;

namespace {

struct Fixture {
    pods::Scene scene;
    pods::QuadraticCost cost;
    pods::ObservationMap obs;
    std::unique_ptr<policy::Policy> policy;
};

// a small policy with a large last layer, so actions are far from zero and clamping happens
Fixture fixture(const char* file, pods::Head head, int horizon, double last_layer_scale, double action_limit)
{
    Fixture f;
    f.scene = pods::load_scene(source_path("scenes/") + file);
    f.scene.model.solver.tolerance = 1e-14;
    f.scene.task.horizon = horizon;
    f.scene.task.action_limit = action_limit;
    f.cost = pods::quadratic_cost(f.scene.model, f.scene.task);
    f.obs = pods::observation_map(f.scene.model, f.scene.task);
    pods::TrainConfig c;
    c.head = head;
    c.hidden = {8, 8};
    c.last_layer_scale = last_layer_scale;
    c.ndp_horizon = 4;
    c.ndp_basis = 4;
    c.seed = 3;
    f.policy = pods::make_policy(f.scene.model, f.scene.task, c);
    return f;
}

double closed_loop_cost(Fixture& f, sim::Simulator& sim, const sim::State& z0, const Eigen::VectorXd& theta)
{
    std::unique_ptr<policy::Policy> p = f.policy->clone();
    p->set_parameters(theta);
    pods::ClosedLoopWorkspace ws;
    pods::ClosedLoopRollout r;
    pods::closed_loop_rollout(sim, *p, f.obs, f.scene.task, f.cost, z0, false, ws, r);
    REQUIRE(r.ok);
    return r.cost;
}

} // namespace

TEST_CASE("closed_loop: the rollout replays open loop and respects the action limit")
{
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
        Fixture f = fixture("pendulum_2d_stop.json", head, 30, 1.0, 0.5);
        sim::Simulator sim(f.scene.model);
        const sim::State z0 = pods::sample_initial_state(f.scene.model, f.scene.task, 4);
        pods::ClosedLoopWorkspace ws;
        pods::ClosedLoopRollout r;
        pods::closed_loop_rollout(sim, *f.policy, f.obs, f.scene.task, f.cost, z0, false, ws, r);
        REQUIRE(r.ok);
        CHECK(r.states.size() == 31);
        CHECK(r.actions.cwiseAbs().maxCoeff() <= 0.5);
        CHECK(r.actions.cwiseAbs().maxCoeff() > 0.1);
        CHECK(r.obs.cols() == pods::ClosedLoopRollout::decisions(30, f.policy->horizon()));
        // the same actions open loop give the same states and cost
        std::vector<sim::State> replay;
        REQUIRE(sim::rollout(sim, z0, r.actions, replay).converged);
        for (std::size_t t = 0; t < replay.size(); ++t) CHECK(replay[t].x == r.states[t].x);
        CHECK(f.cost.total(f.scene.model, replay, r.actions) == r.cost);
    }
}

TEST_CASE("closed_loop: the NDP head clamps some requested actions, the MLP head never needs to")
{
    Fixture ndp = fixture("pendulum_2d_stop.json", pods::Head::kNdp, 40, 2.0, 0.3);
    sim::Simulator sim(ndp.scene.model);
    const sim::State z0 = pods::sample_initial_state(ndp.scene.model, ndp.scene.task, 2);
    pods::ClosedLoopWorkspace ws;
    pods::ClosedLoopRollout r;
    pods::closed_loop_rollout(sim, *ndp.policy, ndp.obs, ndp.scene.task, ndp.cost, z0, false, ws, r);
    REQUIRE(r.ok);
    const int clamped = int((r.requested.array() != r.actions.array()).count());
    CHECK(clamped > 0);
    CHECK(clamped < r.actions.size());
}

TEST_CASE("closed_loop: a Newton failure is a status naming the step, not an exception")
{
    Fixture f = fixture("pendulum_2d_stop.json", pods::Head::kMlp, 10, 1.0, 2.0);
    f.scene.model.solver.max_iterations = 1;
    f.scene.model.solver.tolerance = 1e-300;
    sim::Simulator sim(f.scene.model);
    pods::ClosedLoopWorkspace ws;
    pods::ClosedLoopRollout r;
    const sim::State z0 = pods::sample_initial_state(f.scene.model, f.scene.task, 1);
    CHECK_NOTHROW(pods::closed_loop_rollout(sim, *f.policy, f.obs, f.scene.task, f.cost, z0, false, ws, r));
    CHECK_FALSE(r.ok);
    CHECK(r.failed_step == 0);
    CHECK(r.failure.find("step 0") != std::string::npos);
}

TEST_CASE("closed_loop: the BPTT parameter gradient matches central differences of the closed-loop cost")
{
    struct Case {
        const char* scene;
        pods::Head head;
        int horizon;
        double limit;
    };
    int checks = 0;
    for (const Case& c : {Case{"pendulum_2d_stop.json", pods::Head::kMlp, 25, 2.0},
                          Case{"pendulum_2d_stop.json", pods::Head::kNdp, 22, 0.8},
                          Case{"double_pendulum_3d_stop.json", pods::Head::kMlp, 15, 2.0},
                          Case{"double_pendulum_3d_stop.json", pods::Head::kNdp, 14, 2.0}}) {
        INFO(std::string(c.scene) << " head " << pods::to_string(c.head));
        Fixture f = fixture(c.scene, c.head, c.horizon, 0.5, c.limit);
        sim::Simulator sim(f.scene.model);
        const sim::State z0 = pods::sample_initial_state(f.scene.model, f.scene.task, 7);
        pods::ClosedLoopWorkspace ws;
        pods::ClosedLoopRollout r;
        pods::closed_loop_rollout(sim, *f.policy, f.obs, f.scene.task, f.cost, z0, true, ws, r);
        REQUIRE(r.ok);
        Eigen::VectorXd g;
        std::string failure;
        REQUIRE(pods::closed_loop_gradient(sim, *f.policy, f.obs, f.scene.task, f.cost, r, 0, ws, g, failure));
        REQUIRE(g.norm() > 1e-6);
        const Eigen::VectorXd theta = f.policy->parameters();
        // directional checks along random unit directions, and a few single parameters
        std::mt19937_64 rng(11);
        for (int k = 0; k < 3; ++k) {
            const Eigen::VectorXd u = test::random_direction(rng, theta.size());
            const double eps = 1e-4;
            const double fd = (closed_loop_cost(f, sim, z0, theta + eps * u) - closed_loop_cost(f, sim, z0, theta - eps * u)) / (2 * eps);
            INFO("g.u " << g.dot(u) << " fd " << fd);
            CHECK(test::close(g.dot(u), fd, 1e-6));
            ++checks;
        }
        for (Eigen::Index i : {Eigen::Index(0), theta.size() / 2, theta.size() - 1}) {
            Eigen::VectorXd e = Eigen::VectorXd::Zero(theta.size());
            e[i] = 1;
            const double eps = 1e-4;
            const double fd = (closed_loop_cost(f, sim, z0, theta + eps * e) - closed_loop_cost(f, sim, z0, theta - eps * e)) / (2 * eps);
            INFO("g_i " << g[i] << " fd " << fd);
            CHECK(test::close(g[i], fd, 1e-6));
            ++checks;
        }
        // the gradient call leaves the policy unchanged
        CHECK(f.policy->parameters() == theta);
    }
    CHECK(checks == 24);
}

TEST_CASE("closed_loop: truncated BPTT with a window covering the horizon equals full BPTT, a short one differs")
{
    Fixture f = fixture("pendulum_2d_stop.json", pods::Head::kMlp, 20, 0.5, 2.0);
    sim::Simulator sim(f.scene.model);
    const sim::State z0 = pods::sample_initial_state(f.scene.model, f.scene.task, 3);
    pods::ClosedLoopWorkspace ws;
    pods::ClosedLoopRollout r;
    pods::closed_loop_rollout(sim, *f.policy, f.obs, f.scene.task, f.cost, z0, true, ws, r);
    REQUIRE(r.ok);
    Eigen::VectorXd full, wide, narrow;
    std::string failure;
    REQUIRE(pods::closed_loop_gradient(sim, *f.policy, f.obs, f.scene.task, f.cost, r, 0, ws, full, failure));
    REQUIRE(pods::closed_loop_gradient(sim, *f.policy, f.obs, f.scene.task, f.cost, r, 21, ws, wide, failure));
    REQUIRE(pods::closed_loop_gradient(sim, *f.policy, f.obs, f.scene.task, f.cost, r, 5, ws, narrow, failure));
    CHECK(wide == full);
    CHECK((narrow - full).norm() > 1e-6 * full.norm());
}

TEST_CASE("closed_loop: window values with one window and unit weights give full BPTT, weights scale it, bad sizes "
          "are refused")
{
    Fixture f = fixture("pendulum_2d_stop.json", pods::Head::kMlp, 20, 0.5, 2.0);
    sim::Simulator sim(f.scene.model);
    sim::Simulator* const sims[1] = {&sim};
    const sim::State z0 = pods::sample_initial_state(f.scene.model, f.scene.task, 3);
    pods::ClosedLoopWorkspace ws;
    pods::ClosedLoopRollout r;
    pods::closed_loop_rollout(sim, *f.policy, f.obs, f.scene.task, f.cost, z0, true, ws, r);
    REQUIRE(r.ok);
    Eigen::VectorXd full, windowed;
    std::string failure;
    REQUIRE(pods::closed_loop_gradient(sim, *f.policy, f.obs, f.scene.task, f.cost, r, 0, ws, full, failure));
    REQUIRE(full.norm() > 1e-6);
    const std::span<const pods::ClosedLoopRollout> one(&r, 1);
    const Eigen::MatrixXd none_obs(f.obs.size(f.scene.model), 0), none_hv(f.scene.model.n_p(), 0);
    std::vector<std::string> failures;
    // a window longer than the horizon has no ends: the weighted cost's gradient
    pods::WindowValues values{Eigen::VectorXd::Ones(21), &f.obs, std::span(&none_obs, 1), std::span(&none_hv, 1)};
    REQUIRE(pods::closed_loop_gradient(sims, *f.policy, f.obs, f.scene.task, f.cost, one, 25, ws, windowed, failures,
                                       &values) == 1);
    CHECK(windowed == full);
    values.weight.setConstant(0.5);
    REQUIRE(pods::closed_loop_gradient(sims, *f.policy, f.obs, f.scene.task, f.cost, one, 25, ws, windowed, failures,
                                       &values) == 1);
    test::check_close(windowed, 0.5 * full, 1e-14);
    // three ends need three value cotangents; N + 1 weights; a window
    CHECK_THROWS_AS(pods::closed_loop_gradient(sims, *f.policy, f.obs, f.scene.task, f.cost, one, 5, ws, windowed,
                                               failures, &values),
                    std::invalid_argument);
    values.weight.resize(20);
    CHECK_THROWS_AS(pods::closed_loop_gradient(sims, *f.policy, f.obs, f.scene.task, f.cost, one, 25, ws, windowed,
                                               failures, &values),
                    std::invalid_argument);
    values.weight.setOnes(21);
    CHECK_THROWS_AS(pods::closed_loop_gradient(sims, *f.policy, f.obs, f.scene.task, f.cost, one, 0, ws, windowed,
                                               failures, &values),
                    std::invalid_argument);
    // and a map for the value cotangents
    values.map = nullptr;
    CHECK_THROWS_AS(pods::closed_loop_gradient(sims, *f.policy, f.obs, f.scene.task, f.cost, one, 25, ws, windowed,
                                               failures, &values),
                    std::invalid_argument);
}

TEST_CASE("closed_loop: the whole-state observation holds every free node centred on its nominal position, and its "
          "transpose scatters to every node")
{
    const pods::Scene scene = pods::load_scene(test::source_path("scenes/rope_3d_stop.json"));
    const sim::Model& m = scene.model;
    const pods::ObservationMap full = pods::state_observation_map(m, scene.task);
    const int d = m.dim, np = m.n_p(), n = m.n_free;
    REQUIRE(n == 20);
    REQUIRE(full.size(m) == np + 2 * d * n);
    CHECK(pods::observation_map(m, scene.task).size(m) == np + 2 * d); // the policy sees the rope's end
    const sim::State z = pods::sample_initial_state(m, scene.task, 4);
    Eigen::VectorXd o(full.size(m));
    full.observe(m, z, o);
    const Eigen::VectorXd q = m.nominal_positions();
    CHECK(o.head(np) == z.p - scene.task.handle_target.reshaped());
    CHECK(o.segment(np, d * n) == z.x - q.head(d * n));
    CHECK(o.tail(d * n) == z.v);
    // <O dz, w> = <dz, O^T w> for a random tangent and cotangent
    std::mt19937_64 rng(2);
    sim::StateTangent dz = sim::StateTangent::zero(m, 1), bar = sim::StateTangent::zero(m, 1);
    dz.x = test::random_vector(rng, m.n_x(), -1, 1);
    dz.v = test::random_vector(rng, m.n_x(), -1, 1);
    dz.p = test::random_vector(rng, np, -1, 1);
    const Eigen::VectorXd w = test::random_vector(rng, full.size(m), -1, 1);
    full.add_transpose(m, w, bar);
    const Eigen::MatrixXd odz = full.selection.extract(m, dz);
    CHECK(test::close(w.dot(odz.col(0)), bar.x.col(0).dot(dz.x.col(0)) + bar.v.col(0).dot(dz.v.col(0)) +
                                            bar.p.col(0).dot(dz.p.col(0)), 1e-13));
    // the input factors: observation_scale's length and speed for every node
    const Eigen::VectorXd s = pods::state_observation_scale(m, scene.task), ps = pods::observation_scale(m, scene.task);
    REQUIRE(s.size() == full.size(m));
    CHECK(s.head(np) == ps.head(np));
    CHECK((s.segment(np, d * n).array() == ps[np]).all());
    CHECK((s.tail(d * n).array() == ps[np + d]).all());
}
