// improve_actions: one box-aware improvement on real rollouts of shipped scenes.
#include "pods/improve/active_set.hpp"
#include "pods/improve/improve_step.hpp"
#include "sim/sensitivity.hpp"
#include "tests/pods/improve/box_fixture.hpp"

#include <thread>

using namespace podsim;

namespace {

struct Variant {
    const char* name;
    pods::StepOrder order;
    pods::GaussNewtonMethod method;
    bool box_qp;
    pods::FirstOrderScale scale;
};

const Variant kVariants[] = {
    {"second order, Riccati box-DDP", pods::StepOrder::kSecond, pods::GaussNewtonMethod::kRiccati, true, pods::FirstOrderScale::kCauchy},
    {"second order, Riccati active set only", pods::StepOrder::kSecond, pods::GaussNewtonMethod::kRiccati, false, pods::FirstOrderScale::kCauchy},
    {"second order, dense with box passes", pods::StepOrder::kSecond, pods::GaussNewtonMethod::kDense, true, pods::FirstOrderScale::kCauchy},
    {"second order, dense projected Newton", pods::StepOrder::kSecond, pods::GaussNewtonMethod::kDense, false, pods::FirstOrderScale::kCauchy},
    {"second order, matrix-free with box passes", pods::StepOrder::kSecond, pods::GaussNewtonMethod::kMatrixFree, true, pods::FirstOrderScale::kCauchy},
    {"second order, matrix-free projected Newton", pods::StepOrder::kSecond, pods::GaussNewtonMethod::kMatrixFree, false, pods::FirstOrderScale::kCauchy},
    {"first order, Cauchy", pods::StepOrder::kFirst, pods::GaussNewtonMethod::kAuto, true, pods::FirstOrderScale::kCauchy},
    {"first order, fraction", pods::StepOrder::kFirst, pods::GaussNewtonMethod::kAuto, true, pods::FirstOrderScale::kFraction},
};

pods::ImproveOptions options_of(const Variant& v)
{
    pods::ImproveOptions o;
    o.order = v.order;
    o.method = v.method;
    o.box_qp = v.box_qp;
    o.first_order_scale = v.scale;
    return o;
}

const char* kScenes[] = {"pendulum_2d_stop.json", "double_pendulum_3d_stop.json"};

} // namespace

TEST_CASE("improve_actions: never increases the cost, stays in the box, returns a fresh rollout of its actions")
{
    int accepted = 0, runs = 0;
    for (const char* file : kScenes)
        for (std::uint64_t seed : {1, 2, 3})
            for (const Variant& v : kVariants) {
                INFO(std::string(file) << ", seed " << seed << ", " << v.name);
                const test::BoxFixture f = test::box_fixture(file, 40, seed);
                sim::Simulator sim(f.scene.model);
                const pods::ImproveResult r =
                    pods::improve_actions(sim, f.scene.task, f.cost, f.states, f.actions, f.cost_value, options_of(v));
                ++runs;
                CHECK(r.cost_before == f.cost_value);
                CHECK(r.cost_after <= r.cost_before);
                CHECK(r.actions.cwiseAbs().maxCoeff() <= f.limit());
                CHECK(r.evaluations >= 1);
                CHECK(r.gradient_norm > 0);
                // the states are a rollout of the returned actions, bit for bit
                std::vector<sim::State> fresh;
                REQUIRE(sim::rollout(sim, f.z0, r.actions, fresh).converged);
                REQUIRE(fresh.size() == r.states.size());
                for (std::size_t t = 0; t < fresh.size(); ++t) {
                    CHECK(fresh[t].x == r.states[t].x);
                    CHECK(fresh[t].v == r.states[t].v);
                    CHECK(fresh[t].p == r.states[t].p);
                }
                CHECK(r.cost_after == f.cost.total(f.scene.model, fresh, r.actions));
                if (r.accepted) {
                    ++accepted;
                    CHECK(r.cost_after < r.cost_before);
                    CHECK(r.alpha > 0);
                } else {
                    CHECK(r.actions == f.actions);
                    CHECK(r.alpha == 0);
                }
            }
    CHECK(runs == 48);
    CHECK(accepted == runs); // from these random actions every variant finds a decrease
}

TEST_CASE("improve_actions: held components do not move and the projected gradient is zero on them")
{
    for (const Variant& v : kVariants) {
        INFO(v.name);
        const test::BoxFixture f = test::box_fixture("pendulum_2d_stop.json", 50, 8);
        sim::Simulator sim(f.scene.model);
        const pods::ImproveResult r =
            pods::improve_actions(sim, f.scene.task, f.cost, f.states, f.actions, f.cost_value, options_of(v));
        const Eigen::MatrixXd grad = pods::cost_gradient_adjoint(sim, f.cost, f.states, f.actions);
        const pods::ActionMask held = pods::active_set(f.actions, grad, f.limit(), 1e-9);
        REQUIRE(pods::count(held) > 5);
        CHECK(r.active == pods::count(held));
        const Eigen::MatrixXd pg = pods::projected_gradient(grad, held);
        CHECK(r.gradient_norm == doctest::Approx(pg.norm()).epsilon(1e-9));
        CHECK(pg.norm() < grad.norm());
        REQUIRE(r.accepted);
        CHECK(held.select(r.step.array(), 0.0).cwiseAbs().maxCoeff() == 0.0);
        CHECK(held.select((r.actions - f.actions).array(), 0.0).cwiseAbs().maxCoeff() == 0.0);
        CHECK((r.actions - f.actions).norm() > 0);
        // the step is a descent direction of the projected problem
        CHECK(grad.reshaped().dot((r.actions - f.actions).reshaped()) < 0);
    }
}

TEST_CASE("improve_actions: with no active bounds the second-order step is the unconstrained Gauss-Newton step")
{
    for (const char* file : kScenes)
        for (pods::GaussNewtonMethod method :
             {pods::GaussNewtonMethod::kDense, pods::GaussNewtonMethod::kRiccati, pods::GaussNewtonMethod::kMatrixFree}) {
            INFO(std::string(file) << ", " << pods::to_string(method));
            const test::BoxFixture f = test::box_fixture(file, 20, 4, 0.05, 0.0);
            sim::Simulator sim(f.scene.model);
            pods::ImproveOptions o; // default mu
            o.method = method;
            const pods::ImproveResult r = pods::improve_actions(sim, f.scene.task, f.cost, f.states, f.actions, f.cost_value, o);
            REQUIRE(r.active == 0);
            REQUIRE(r.clamped == 0);
            const Eigen::MatrixXd reference = pods::gauss_newton_step(sim, f.cost, f.states, f.actions, o.mu, method);
            CHECK(reference.norm() > 1e-3);
            test::check_close(r.step, reference, 1e-8);
            CHECK(r.accepted);
        }
}

TEST_CASE("improve_actions: repeated first-order steps decrease the cost from zero actions")
{
    for (const char* file : kScenes)
        for (pods::FirstOrderScale scale : {pods::FirstOrderScale::kCauchy, pods::FirstOrderScale::kFraction}) {
            test::BoxFixture f = test::box_fixture(file, 60, 2, 0.0, 0.0); // zero actions
            sim::Simulator sim(f.scene.model);
            pods::ImproveOptions o;
            o.order = pods::StepOrder::kFirst;
            o.first_order_scale = scale;
            double c = f.cost_value;
            for (int k = 0; k < 5; ++k) {
                const pods::ImproveResult r = pods::improve_actions(sim, f.scene.task, f.cost, f.states, f.actions, c, o);
                REQUIRE(r.accepted);
                CHECK(r.cost_after < c);
                CHECK(r.actions.cwiseAbs().maxCoeff() <= f.limit());
                c = r.cost_after;
                f.actions = r.actions;
                f.states = r.states;
            }
            // five steps reach 0.29 (Cauchy) and 0.63 (fraction) of the zero actions' cost on the
            // pendulum, 0.55 and 0.62 on the double pendulum: 0.9 asks for real progress by either scale
            CHECK(c < 0.9 * f.cost_value);
        }
}

TEST_CASE("improve_actions: the result does not depend on the thread (one Simulator each)")
{
    const test::BoxFixture f = test::box_fixture("double_pendulum_3d_stop.json", 40, 5);
    const pods::ImproveOptions o;
    sim::Simulator sim(f.scene.model);
    const pods::ImproveResult reference = pods::improve_actions(sim, f.scene.task, f.cost, f.states, f.actions, f.cost_value, o);
    REQUIRE(reference.accepted);
    pods::ImproveResult results[2];
    std::thread threads[2];
    for (int i = 0; i < 2; ++i)
        threads[i] = std::thread([&, i] {
            sim::Simulator own(f.scene.model);
            for (int k = 0; k < 3; ++k) results[i] = pods::improve_actions(own, f.scene.task, f.cost, f.states, f.actions, f.cost_value, o);
        });
    for (std::thread& t : threads) t.join();
    for (const pods::ImproveResult& r : results) {
        CHECK(r.actions == reference.actions);
        CHECK(r.cost_after == reference.cost_after);
    }
}

TEST_CASE("improve_actions: refuses mismatched shapes and rollouts that do not start at t = 0")
{
    test::BoxFixture f = test::box_fixture("pendulum_2d_stop.json", 10, 1);
    sim::Simulator sim(f.scene.model);
    const pods::ImproveOptions o;
    CHECK_THROWS_AS(pods::improve_actions(sim, f.scene.task, f.cost, f.states, f.actions.leftCols(9), f.cost_value, o),
                    std::invalid_argument);
    f.states[0].t = 3;
    CHECK_THROWS_AS(pods::improve_actions(sim, f.scene.task, f.cost, f.states, f.actions, f.cost_value, o),
                    std::invalid_argument);
}

TEST_CASE("improve_actions: matrix-free steps on the 20-segment rope equal the dense ones and lower the cost")
{
    // a PODS-like start: small random actions, some on the box, the improvement's default mu
    const test::BoxFixture f = test::box_fixture("rope_3d_stop.json", 40, 2, 0.3, 0.1);
    sim::Simulator sim(f.scene.model);
    pods::ImproveOptions mf;
    mf.method = pods::GaussNewtonMethod::kMatrixFree;
    mf.cg_tolerance = 1e-11;
    mf.cg_max_iterations = 2000;
    pods::ImproveOptions dense = mf;
    dense.method = pods::GaussNewtonMethod::kDense;
    const pods::BoxAwareStep a = pods::box_aware_step(sim, f.scene.task, f.cost, f.states, f.actions, mf);
    const pods::BoxAwareStep b = pods::box_aware_step(sim, f.scene.task, f.cost, f.states, f.actions, dense);
    CHECK(a.method == pods::GaussNewtonMethod::kMatrixFree);
    CHECK(b.method == pods::GaussNewtonMethod::kDense);
    CHECK(a.cg_converged);
    CHECK(a.cg_iterations > 0);
    CHECK((a.held == b.held).all());
    REQUIRE(pods::count(a.held) > 0);
    test::check_close(a.gradient, b.gradient, 1e-10);
    test::check_close(a.delta, b.delta, 1e-7);
    // three improvements in a row, each accepted and lowering the cost (default CG tolerance)
    pods::ImproveOptions o;
    o.method = pods::GaussNewtonMethod::kMatrixFree;
    std::vector<sim::State> states = f.states;
    Eigen::MatrixXd actions = f.actions;
    double cost = f.cost_value;
    for (int k = 0; k < 3; ++k) {
        const pods::ImproveResult r = pods::improve_actions(sim, f.scene.task, f.cost, states, actions, cost, o);
        INFO("improvement " << k);
        CHECK(r.accepted);
        CHECK(r.cg_iterations > 0);
        CHECK(r.cost_after < r.cost_before);
        CHECK(r.actions.cwiseAbs().maxCoeff() <= f.limit());
        CHECK(test::close(r.cost_after, test::rollout_cost(sim, f, r.actions), 1e-12));
        actions = r.actions;
        states = r.states;
        cost = r.cost_after;
    }
    // the three steps reach 0.71 of the initial cost (as the dense steps do); 0.8 asks that the
    // CG solves at the default tolerance still give full Gauss-Newton progress
    CHECK(cost < 0.8 * f.cost_value);
}
