// optimize_actions: open-loop optimisation to a KKT point of the action box.
#include "pods/improve/active_set.hpp"
#include "pods/improve/optimize.hpp"
#include "sim/sensitivity.hpp"
#include "tests/pods/improve/box_fixture.hpp"

using namespace podsim;

namespace {

// KKT of min C(a) s.t. |a_i| <= L at a: every component either has a negligible gradient or sits
// on a bound with the gradient pointing out of the box
void check_kkt(const pods::OptimizeResult& r, const Eigen::MatrixXd& grad, double limit, double tol)
{
    int outward = 0;
    for (Eigen::Index i = 0; i < grad.size(); ++i) {
        const double a = r.actions.data()[i], g = grad.data()[i];
        const bool small = std::abs(g) <= tol;
        const bool pushed_out = (a >= limit && g < 0) || (a <= -limit && g > 0);
        if (pushed_out && !small) ++outward;
        INFO("component " << i << ": a = " << a << ", dC/da = " << g);
        CHECK((small || pushed_out));
    }
    CHECK(outward > 0); // the bounds matter at this optimum
}

} // namespace

TEST_CASE("optimize_actions: reaches a KKT point where the projected Gauss-Newton step vanishes")
{
    for (const char* file : {"pendulum_2d_stop.json", "double_pendulum_3d_stop.json"}) {
        INFO(std::string(file));
        const test::BoxFixture f = test::box_fixture(file, 50, 2, 0.0, 0.0);
        sim::Simulator sim(f.scene.model);
        pods::OptimizeOptions o;
        o.max_iterations = 300;
        o.relative_tolerance = 0; // run until the projected gradient vanishes or no step decreases
        o.gradient_tolerance = 1e-9;
        const pods::OptimizeResult r = pods::optimize_actions(sim, f.scene.task, f.cost, f.z0, f.actions, o);
        CHECK(r.reason != pods::StopReason::kIterationCap);
        REQUIRE(r.costs.size() == std::size_t(r.iterations) + 1);
        for (std::size_t k = 1; k < r.costs.size(); ++k) CHECK(r.costs[k] < r.costs[k - 1]);
        // the optimum costs 0.18 of the zero actions' on the pendulum (60 iterations), 0.58 on the
        // double pendulum (29): 0.7 checks that the KKT point is not the start
        CHECK(r.costs.back() < 0.7 * r.costs.front());
        CHECK(r.actions.cwiseAbs().maxCoeff() <= f.limit());
        CHECK(r.costs.back() == doctest::Approx(test::rollout_cost(sim, f, r.actions)).epsilon(1e-12));

        const Eigen::MatrixXd grad0 = pods::cost_gradient_adjoint(sim, f.cost, f.states, f.actions);
        const Eigen::MatrixXd grad = pods::cost_gradient_adjoint(sim, f.cost, r.states, r.actions);
        check_kkt(r, grad, f.limit(), 1e-5 * grad0.cwiseAbs().maxCoeff());
        const pods::ActionMask held = pods::active_set(r.actions, grad, f.limit(), o.improve.bound_tolerance);
        CHECK(r.active == pods::count(held));
        CHECK(r.gradient_norm == doctest::Approx(pods::projected_gradient(grad, held).norm()).epsilon(1e-6));

        // one more step changes (almost) nothing
        const pods::ImproveResult more =
            pods::improve_actions(sim, f.scene.task, f.cost, r.states, r.actions, r.costs.back(), o.improve);
        CHECK(more.step.cwiseAbs().maxCoeff() <= 1e-5 * f.limit());
        CHECK(more.cost_after >= r.costs.back() * (1 - 1e-9));
    }
}

TEST_CASE("optimize_actions: first order decreases the cost at every iteration")
{
    const test::BoxFixture f = test::box_fixture("pendulum_2d_stop.json", 50, 3, 0.0, 0.0);
    sim::Simulator sim(f.scene.model);
    pods::OptimizeOptions o;
    o.improve.order = pods::StepOrder::kFirst;
    o.max_iterations = 30;
    const pods::OptimizeResult r = pods::optimize_actions(sim, f.scene.task, f.cost, f.z0, f.actions, o);
    // it runs to the cap of 30 iterations and ends at 0.30 of the initial cost: at least 10
    // iterations and 0.7 check that the first-order search neither stops early nor stalls
    CHECK(r.iterations >= 10);
    for (std::size_t k = 1; k < r.costs.size(); ++k) CHECK(r.costs[k] < r.costs[k - 1]);
    CHECK(r.costs.back() < 0.7 * r.costs.front());
    CHECK(r.actions.cwiseAbs().maxCoeff() <= f.limit());
}

TEST_CASE("optimize_actions: clamps the initial actions, stops at the cap and reports the reason")
{
    test::BoxFixture f = test::box_fixture("pendulum_2d_stop.json", 30, 4, 0.5, 0.0);
    f.actions *= 10; // far outside the box
    sim::Simulator sim(f.scene.model);
    pods::OptimizeOptions o;
    o.max_iterations = 2;
    const pods::OptimizeResult r = pods::optimize_actions(sim, f.scene.task, f.cost, f.z0, f.actions, o);
    CHECK(r.reason == pods::StopReason::kIterationCap);
    CHECK(r.iterations == 2);
    CHECK(r.costs.front() == test::rollout_cost(sim, f, f.scene.task.clamp(f.actions)));
    CHECK(r.actions.cwiseAbs().maxCoeff() <= f.limit());
    CHECK(std::string(pods::to_string(r.reason)) == "iteration_cap");
    o.max_iterations = 0;
    const pods::OptimizeResult none = pods::optimize_actions(sim, f.scene.task, f.cost, f.z0, f.actions, o);
    CHECK(none.iterations == 0);
    CHECK(none.actions == f.scene.task.clamp(f.actions));
    CHECK(none.gradient_norm > 0);
}
