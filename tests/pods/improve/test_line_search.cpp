// Projected backtracking line search on real rollouts of the 2D pendulum.
#include "pods/improve/improvement.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/improve/line_search.hpp"
#include "pods/improve/lq_model.hpp"
#include "pods/task/scene.hpp"
#include "sim/rollout.hpp"
#include "tests/fd.hpp"
#include "tests/paths.hpp"

using namespace podsim;
using podsim::test::source_path;

namespace {

double total_cost(sim::Simulator& sim, const pods::QuadraticCost& cost, const sim::State& z0, const Eigen::MatrixXd& a)
{
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(sim, z0, a, states).converged);
    return cost.total(sim.model(), states, a);
}

} // namespace

TEST_CASE("line_search: accepts only improvements and Gauss-Newton improves the cost")
{
    struct {
        pods::Scene scene;
        pods::QuadraticCost cost;
        sim::State z0;
        Eigen::MatrixXd actions;
    } f;
    f.scene = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    f.scene.model.solver.tolerance = 1e-14;
    f.cost = pods::quadratic_cost(f.scene.model, f.scene.task);
    f.z0 = pods::sample_initial_state(f.scene.model, f.scene.task, 3);
    std::mt19937_64 rng(3);
    f.actions = test::random_vector(rng, 2 * 60, -0.3, 0.3).reshaped(2, 60);
    sim::Simulator sim(f.scene.model);
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(sim, f.z0, f.actions, states).converged);
    const double c0 = f.cost.total(f.scene.model, states, f.actions);
    const Eigen::MatrixXd grad = pods::cost_gradient_adjoint(sim, f.cost, states, f.actions);

    const Eigen::MatrixXd gn = pods::gauss_newton_step(sim, f.cost, states, f.actions, 0.0);
    const pods::LineSearchResult r = pods::line_search(sim, f.scene.task, f.cost, f.z0, f.actions, c0, gn);
    CHECK(r.accepted);
    CHECK(r.cost < c0);
    CHECK(r.cost == doctest::Approx(total_cost(sim, f.cost, f.z0, r.actions)).epsilon(1e-12));
    CHECK(r.actions.cwiseAbs().maxCoeff() <= f.scene.task.action_limit);

    // an ascent direction is never accepted, and the cost returned is never worse
    const pods::LineSearchResult up = pods::line_search(sim, f.scene.task, f.cost, f.z0, f.actions, c0, grad, 1e-3, 6);
    CHECK(!up.accepted);
    CHECK(up.cost == c0);
    CHECK(up.evaluations == 7);
    CHECK(up.actions == f.actions);

    // the first-order step improves for a small enough alpha
    const pods::LineSearchResult first = pods::line_search(sim, f.scene.task, f.cost, f.z0, f.actions, c0, -grad, 1.0, 30);
    CHECK(first.accepted);
    CHECK(first.cost < c0);
}

TEST_CASE("line_search: the feedback search's trajectory follows the Riccati step's law and lowers the cost")
{
    int checked = 0;
    for (const char* file : {"pendulum_2d_stop.json", "double_pendulum_3d_stop.json", "cable_payload_2d_stop.json"}) {
        INFO(std::string(file));
        pods::Scene scene = pods::load_scene(source_path("scenes/") + file);
        const pods::QuadraticCost cost = pods::quadratic_cost(scene.model, scene.task);
        const int n = 50, na = scene.model.n_p();
        std::mt19937_64 rng(7);
        const Eigen::MatrixXd a = test::random_vector(rng, na * n, -0.3, 0.3).reshaped(na, n);
        sim::Simulator sim(scene.model);
        std::vector<sim::State> states;
        REQUIRE(sim::rollout(sim, pods::sample_initial_state(scene.model, scene.task, 5), a, states).converged);
        const double c0 = cost.total(scene.model, states, a);
        const pods::LqModel lq = pods::lq_model(sim, cost, states, a);
        const pods::BoxStepResult step = pods::box_riccati_step(lq, a, scene.task.action_limit, 1e-6,
                                                                pods::ActionMask::Constant(na, n, false));
        pods::ArcSearchOptions o;
        o.max_halvings = 12;
        o.sufficient_decrease = 1e-4;
        const pods::LineSearchResult r =
            pods::feedback_search(sim, scene.task, cost, states, a, c0, step.feedback, pods::lq_gradient(lq), o);
        REQUIRE(r.accepted);
        CHECK(r.cost < c0);
        CHECK(r.evaluations >= 1);
        // the states are the actions' rollout, and every unclamped action is the law's at its state
        std::vector<sim::State> again;
        REQUIRE(sim::rollout(sim, states[0], r.actions, again).converged);
        CHECK(cost.total(scene.model, again, r.actions) == doctest::Approx(r.cost).epsilon(1e-9));
        int unclamped = 0;
        for (int t = 0; t < n; ++t) {
            Eigen::VectorXd law = a.col(t) + r.alpha * step.feedback.feedforward.col(t);
            law += step.feedback.gain[std::size_t(t)] * (pods::stacked_state(r.states[std::size_t(t)]) - pods::stacked_state(states[std::size_t(t)]));
            for (int c = 0; c < na; ++c) {
                if (std::abs(law[c]) >= scene.task.action_limit) continue;
                CHECK(r.actions(c, t) == doctest::Approx(law[c]).epsilon(1e-12));
                ++unclamped;
            }
        }
        CHECK(unclamped > n);
        ++checked;
    }
    CHECK(checked == 3);
}
