// Box-aware Gauss-Newton steps: dense projected Newton vs the Riccati box-DDP pass, and both vs
// the unconstrained steps, on real rollouts of shipped scenes with actions on the box.
#include "pods/improve/box_step.hpp"
#include "pods/improve/improvement.hpp"
#include "sim/sensitivity.hpp"
#include "tests/pods/improve/box_fixture.hpp"

#include <Eigen/Cholesky>

#include <limits>
#include <vector>

using namespace podsim;

namespace {

const char* kScenes[] = {"pendulum_2d_stop.json", "cable_pendulum_2d.json", "double_pendulum_3d_stop.json"};
const double kInf = std::numeric_limits<double>::infinity();

pods::ActionMask nothing(const Eigen::MatrixXd& a) { return pods::ActionMask::Constant(a.rows(), a.cols(), false); }

} // namespace

TEST_CASE("box_step: with nothing held both steps equal the unconstrained Gauss-Newton step")
{
    int checked = 0;
    for (const char* file : kScenes) {
        INFO(std::string(file));
        const test::BoxFixture f = test::box_fixture(file, 25, 5, 0.15, 0.0);
        sim::Simulator sim(f.scene.model);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
        const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(f.scene.model, f.cost, f.states, f.actions, j);
        const pods::LqModel lq = pods::lq_model(sim, f.cost, f.states, f.actions);
        const Eigen::MatrixXd zero = Eigen::MatrixXd::Zero(f.actions.rows(), f.actions.cols());
        for (double mu : {0.0, 0.1}) {
            const Eigen::MatrixXd reference = pods::gauss_newton_step_dense(f.cost, j, grad, mu);
            CHECK(reference.norm() > 1e-3);
            test::check_close(pods::projected_newton_step_dense(f.cost, j, grad, mu, nothing(f.actions), zero), reference, 1e-8);
            const pods::BoxStepResult r = pods::box_riccati_step(lq, f.actions, kInf, mu, nothing(f.actions));
            test::check_close(r.delta, reference, 1e-8);
            test::check_close(r.delta, pods::gauss_newton_step_riccati(sim, f.cost, f.states, f.actions, mu), 1e-8);
            CHECK(r.clamped == 0);
            CHECK(!r.fixed.any());
        }
        ++checked;
    }
    CHECK(checked == 3);
}

TEST_CASE("box_step: dense projected Newton equals the Riccati step on the same active set")
{
    int checked = 0;
    for (const char* file : kScenes) {
        INFO(std::string(file));
        const test::BoxFixture f = test::box_fixture(file, 40, 7);
        sim::Simulator sim(f.scene.model);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
        const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(f.scene.model, f.cost, f.states, f.actions, j);
        const pods::ActionMask held = pods::active_set(f.actions, grad, f.limit(), 1e-9);
        REQUIRE(pods::count(held) > 5);
        REQUIRE(pods::count(held) < held.size() / 2);
        const pods::LqModel lq = pods::lq_model(sim, f.cost, f.states, f.actions);
        const Eigen::MatrixXd zero = Eigen::MatrixXd::Zero(f.actions.rows(), f.actions.cols());
        const Eigen::MatrixXd g = pods::gauss_newton_matrix(f.cost, j, int(f.actions.cols()), 0.0);
        for (double mu : {0.0, 0.1}) {
            const Eigen::MatrixXd dense = pods::projected_newton_step_dense(f.cost, j, grad, mu, held, zero);
            const pods::BoxStepResult riccati = pods::box_riccati_step(lq, f.actions, kInf, mu, held);
            test::check_close(riccati.delta, dense, 1e-8);
            CHECK(riccati.clamped == 0);
            CHECK((riccati.fixed == held).all());
            // held components do not move; on the free ones the model is stationary:
            // (G + mu I) delta + grad = 0 with G formed explicitly
            CHECK(held.select(dense.array(), 0.0).cwiseAbs().maxCoeff() == 0.0);
            const Eigen::VectorXd stationarity = g * dense.reshaped() + mu * dense.reshaped() + grad.reshaped();
            const Eigen::MatrixXd residual = held.select(0.0, stationarity.reshaped(dense.rows(), dense.cols()).array());
            CHECK(residual.cwiseAbs().maxCoeff() <= 1e-8 * grad.cwiseAbs().maxCoeff());
            // and it differs from the unconstrained step (the active set matters)
            CHECK((dense - pods::gauss_newton_step_dense(f.cost, j, grad, mu)).norm() > 1e-3 * dense.norm());
        }
        ++checked;
    }
    CHECK(checked == 3);
}

TEST_CASE("box_step: the box-DDP step equals the dense step with its bound components fixed")
{
    int checked = 0;
    for (const char* file : kScenes) {
        INFO(std::string(file));
        const test::BoxFixture f = test::box_fixture(file, 30, 3, 0.9, 0.2);
        sim::Simulator sim(f.scene.model);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
        const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(f.scene.model, f.cost, f.states, f.actions, j);
        const pods::ActionMask held = pods::active_set(f.actions, grad, f.limit(), 1e-9);
        const pods::LqModel lq = pods::lq_model(sim, f.cost, f.states, f.actions);
        const double mu = 1e-3;
        const pods::BoxStepResult ddp = pods::box_riccati_step(lq, f.actions, f.limit(), mu, held);
        REQUIRE(ddp.clamped > 0); // the per-step box QPs put free components on a bound
        CHECK(ddp.clamped == pods::count(ddp.fixed) - pods::count(held));
        CHECK((held <= ddp.fixed).all());
        // bound components sit exactly on the box, held ones do not move
        const Eigen::ArrayXXd moved = f.actions.array() + ddp.delta.array();
        CHECK(held.select(ddp.delta.array(), 0.0).cwiseAbs().maxCoeff() == 0.0);
        CHECK(ddp.fixed.select(moved.abs() - f.limit(), 0.0).cwiseAbs().maxCoeff() <= 1e-14);
        // the reduced dense problem with the same components fixed at the same values
        const Eigen::MatrixXd dense = pods::projected_newton_step_dense(f.cost, j, grad, mu, ddp.fixed, ddp.delta);
        test::check_close(ddp.delta, dense, 1e-8);
        ++checked;
    }
    CHECK(checked == 3);
}

TEST_CASE("box_step: the dense box passes fix the components the step takes out of the box")
{
    int checked = 0;
    for (const char* file : kScenes) {
        INFO(std::string(file));
        const test::BoxFixture f = test::box_fixture(file, 30, 3, 0.9, 0.2);
        sim::Simulator sim(f.scene.model);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
        const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(f.scene.model, f.cost, f.states, f.actions, j);
        const pods::ActionMask held = pods::active_set(f.actions, grad, f.limit(), 1e-9);
        const Eigen::MatrixXd zero = Eigen::MatrixXd::Zero(f.actions.rows(), f.actions.cols());
        const double mu = 1e-3;
        // no pass: the projected Newton step, which leaves the box here
        const pods::BoxStepResult none = pods::box_newton_step_dense(f.cost, j, grad, f.actions, f.limit(), mu, held, 0);
        test::check_close(none.delta, pods::projected_newton_step_dense(f.cost, j, grad, mu, held, zero), 1e-12);
        CHECK(none.clamped == 0);
        const Eigen::ArrayXXd moved0 = f.actions.array() + none.delta.array();
        REQUIRE((moved0.abs() > f.limit()).any());
        // with passes: held components still fixed at zero, the clamped ones exactly on the bound,
        // and the step is the reduced solve with them fixed there
        const pods::BoxStepResult boxed = pods::box_newton_step_dense(f.cost, j, grad, f.actions, f.limit(), mu, held, 3);
        REQUIRE(boxed.clamped > 0);
        CHECK(boxed.clamped == pods::count(boxed.fixed) - pods::count(held));
        CHECK((held <= boxed.fixed).all());
        CHECK(held.select(boxed.delta.array(), 0.0).cwiseAbs().maxCoeff() == 0.0);
        const Eigen::ArrayXXd moved = f.actions.array() + boxed.delta.array();
        CHECK((boxed.fixed && !held).select(moved.abs() - f.limit(), 0.0).cwiseAbs().maxCoeff() <= 1e-14);
        test::check_close(boxed.delta, pods::projected_newton_step_dense(f.cost, j, grad, mu, boxed.fixed, boxed.delta), 1e-9);
        // fewer components leave the box than without the passes
        CHECK(((!boxed.fixed) && moved.abs() > f.limit()).count() < (moved0.abs() > f.limit()).count());
        ++checked;
    }
    CHECK(checked == 3);
}

TEST_CASE("box_step: a singular reduced Gauss-Newton system is reported, not solved")
{
    test::BoxFixture f = test::box_fixture("pendulum_2d_stop.json", 100, 3, 0.15, 0.0);
    f.cost.action_weight = 0;
    sim::Simulator sim(f.scene.model);
    const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
    const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(f.scene.model, f.cost, f.states, f.actions, j);
    const Eigen::MatrixXd zero = Eigen::MatrixXd::Zero(f.actions.rows(), f.actions.cols());
    // w_a = mu = 0: J^T Q J alone is (nearly) singular, with or without fixed components
    pods::ActionMask some = nothing(f.actions);
    some.leftCols(10).setConstant(true);
    for (const pods::ActionMask& fixed : {nothing(f.actions), some}) {
        CHECK_THROWS_AS(pods::projected_newton_step_dense(f.cost, j, grad, 0.0, fixed, zero), common::RuntimeFailure);
        CHECK(pods::projected_newton_step_dense(f.cost, j, grad, 1e-3, fixed, zero).allFinite());
    }
}

TEST_CASE("box_step: an ill-conditioned but positive definite reduced system gets a damping shift, not a refusal")
{
    test::BoxFixture f = test::box_fixture("pendulum_2d_stop.json", 100, 3, 0.15, 0.0);
    f.cost.action_weight = 0;
    const double mu = 1e-14; // floor 2 w_a + mu > 0, but far below the scale of J^T Q J
    sim::Simulator sim(f.scene.model);
    const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
    const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(f.scene.model, f.cost, f.states, f.actions, j);
    const Eigen::MatrixXd g = pods::gauss_newton_matrix(f.cost, j, int(f.actions.cols()), mu);
    const Eigen::LLT<Eigen::MatrixXd> unshifted(g);
    REQUIRE(!(unshifted.info() == Eigen::Success && unshifted.rcond() >= pods::kMinReciprocalCondition));
    pods::ActionMask held = nothing(f.actions);
    held.leftCols(10).setConstant(true);
    const pods::BoxStepResult r = pods::box_newton_step_dense(f.cost, j, grad, f.actions, kInf, mu, held, 0);
    CHECK(r.shift > 0);
    CHECK(r.shift < 1e-5 * g.diagonal().maxCoeff());
    // the step solves the shifted free block exactly: (G_FF + shift I) d_F = -grad_F, d = 0 held
    std::vector<Eigen::Index> free;
    for (Eigen::Index i = 0; i < held.size(); ++i)
        if (!held.reshaped()[i]) free.push_back(i);
    const Eigen::VectorXd d = r.delta.reshaped();
    Eigen::VectorXd residual(Eigen::Index(free.size()));
    for (std::size_t a = 0; a < free.size(); ++a) {
        double sum = grad.reshaped()[free[a]] + r.shift * d[free[a]];
        for (Eigen::Index b : free) sum += g(free[a], b) * d[b];
        residual[Eigen::Index(a)] = sum;
    }
    CHECK(residual.norm() <= 1e-9 * g.norm() * d.norm());
    for (Eigen::Index i = 0; i < held.size(); ++i)
        if (held.reshaped()[i]) CHECK(d[i] == 0);
    CHECK(grad.reshaped().dot(d) < 0); // a descent direction
    // a well-conditioned system is solved unshifted
    CHECK(pods::box_newton_step_dense(f.cost, j, grad, f.actions, kInf, 1e-3, held, 0).shift == 0);
}

TEST_CASE("box_step: the matrix-free step equals the dense one, with the held set and with box passes")
{
    int checked = 0, held_total = 0, clamped_total = 0;
    const char* files[] = {"pendulum_2d_stop.json", "cable_pendulum_2d.json", "double_pendulum_3d_stop.json", "rope_3d_stop.json"};
    for (const char* file : files) {
        INFO(std::string(file));
        const bool rope = std::string(file) == "rope_3d_stop.json";
        const test::BoxFixture f = rope ? test::box_fixture(file, 25, 2, 0.3, 0.1) : test::box_fixture(file, 30, 3, 0.9, 0.2);
        sim::Simulator sim(f.scene.model);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
        const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(f.scene.model, f.cost, f.states, f.actions, j);
        const pods::ActionMask held = pods::active_set(f.actions, grad, f.limit(), 1e-9);
        held_total += pods::count(held);
        sim::TrajectoryLinearization lin(sim, f.states);
        pods::CgOptions cg;
        cg.tolerance = 1e-12;
        cg.max_iterations = 10 * int(f.actions.size());
        for (double mu : {1e-2, 1.0})
            for (int passes : {0, 3}) {
                INFO("mu " << mu << ", passes " << passes);
                pods::GaussNewtonOperator g(lin, f.cost, mu);
                const pods::BoxStepResult dense = pods::box_newton_step_dense(f.cost, j, grad, f.actions, f.limit(), mu, held, passes);
                const pods::BoxStepResult free = pods::box_newton_step_matrix_free(g, grad, f.actions, f.limit(), held, passes, cg);
                CHECK(free.cg_converged);
                CHECK(free.cg_iterations > 0);
                CHECK(g.products() > free.cg_iterations); // plus one initial residual per solve
                CHECK((free.fixed == dense.fixed).all());
                CHECK(free.clamped == dense.clamped);
                CHECK(dense.delta.norm() > 1e-3);
                test::check_close(free.delta, dense.delta, 1e-7);
                CHECK(held.select(free.delta.array(), 0.0).cwiseAbs().maxCoeff() == 0.0);
                clamped_total += free.clamped;
            }
        ++checked;
    }
    CHECK(checked == 4);
    CHECK(held_total > 0);    // the held set was not empty everywhere
    CHECK(clamped_total > 0); // and the passes really fixed components
}

TEST_CASE("box_step: the box passes' recycled preconditioner cuts their CG iterations on the rope, same step")
{
    int passes_seen = 0, plain_total = 0, recycled_total = 0;
    for (std::uint64_t seed : {2, 3, 4, 5, 6}) {
        INFO("seed " << seed);
        const test::BoxFixture f = test::box_fixture("rope_3d_stop.json", 40, seed, 0.3, 0.1);
        sim::Simulator sim(f.scene.model);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
        const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(f.scene.model, f.cost, f.states, f.actions, j);
        const pods::ActionMask held = pods::active_set(f.actions, grad, f.limit(), 1e-9);
        sim::TrajectoryLinearization lin(sim, f.states);
        const double mu = 1e-2;
        pods::GaussNewtonOperator g(lin, f.cost, mu);
        pods::CgOptions cg;
        cg.tolerance = 1e-12;
        cg.max_iterations = 10 * int(f.actions.size());
        cg.coarse_spacing = 0; // plain CG (deflated passes do not recycle)
        const pods::BoxStepResult first = pods::box_newton_step_matrix_free(g, grad, f.actions, f.limit(), held, 0, cg);
        cg.recycled_directions = 0;
        const pods::BoxStepResult plain = pods::box_newton_step_matrix_free(g, grad, f.actions, f.limit(), held, 3, cg);
        cg.recycled_directions = 10;
        const pods::BoxStepResult recycled = pods::box_newton_step_matrix_free(g, grad, f.actions, f.limit(), held, 3, cg);
        const pods::BoxStepResult dense = pods::box_newton_step_dense(f.cost, j, grad, f.actions, f.limit(), mu, held, 3);
        if (plain.clamped == 0) continue; // no pass re-solved: nothing to precondition (counted below)
        CHECK(plain.cg_converged);
        CHECK(recycled.cg_converged);
        CHECK((recycled.fixed == dense.fixed).all());
        test::check_close(recycled.delta, dense.delta, 1e-7);
        test::check_close(plain.delta, dense.delta, 1e-7);
        // the passes' iterations (after the identical first solve) drop
        const int plain_passes = plain.cg_iterations - first.cg_iterations;
        const int recycled_passes = recycled.cg_iterations - first.cg_iterations;
        INFO("pass iterations plain " << plain_passes << ", recycled " << recycled_passes);
        CHECK(plain_passes > 0);
        CHECK(recycled_passes < plain_passes);
        plain_total += plain_passes;
        recycled_total += recycled_passes;
        ++passes_seen;
    }
    CHECK(passes_seen >= 2);
    // by a quarter at least over the seeds
    CHECK(4 * recycled_total < 3 * plain_total);
}

TEST_CASE("box_step: a matrix-free step cut short by the iteration cap is still a descent direction")
{
    const test::BoxFixture f = test::box_fixture("rope_3d_stop.json", 30, 2, 0.3, 0.1);
    sim::Simulator sim(f.scene.model);
    sim::TrajectoryLinearization lin(sim, f.states);
    const Eigen::MatrixXd grad = pods::cost_gradient_linearized(lin, f.cost, f.states, f.actions);
    const pods::ActionMask held = pods::active_set(f.actions, grad, f.limit(), 1e-9);
    pods::GaussNewtonOperator g(lin, f.cost, 1e-3);
    pods::CgOptions cg;
    cg.tolerance = 1e-14;
    cg.max_iterations = 3;
    const pods::BoxStepResult r = pods::box_newton_step_matrix_free(g, grad, f.actions, f.limit(), held, 0, cg);
    CHECK(!r.cg_converged);
    CHECK(r.cg_iterations == 3);
    // the model m(d) = g . d + 1/2 d^T G d decreases along the truncated step
    Eigen::VectorXd gd(grad.size());
    g.apply(r.delta.reshaped(), gd);
    CHECK(grad.reshaped().dot(r.delta.reshaped()) + 0.5 * r.delta.reshaped().dot(gd) < 0);
    CHECK(held.select(r.delta.array(), 0.0).cwiseAbs().maxCoeff() == 0.0);
}

TEST_CASE("box_step: the Riccati step's feedback law is the dense tail problem's: H_uu,t its Schur complement, K_t B_{t-1} its response to a_{t-1}")
{
    int checked = 0;
    for (const char* file : kScenes) {
        INFO(std::string(file));
        const test::BoxFixture f = test::box_fixture(file, 12, 3, 0.15, 0.0);
        sim::Simulator sim(f.scene.model);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
        const pods::LqModel lq = pods::lq_model(sim, f.cost, f.states, f.actions);
        const int n = int(f.actions.cols()), na = int(f.actions.rows());
        const double mu = 0.05;
        const pods::BoxStepResult r = pods::box_riccati_step(lq, f.actions, kInf, mu, nothing(f.actions));
        REQUIRE(int(r.feedback.gain.size()) == n);
        REQUIRE(int(r.feedback.control_hessian.size()) == n);
        // the dense Gauss-Newton matrix over all actions, blocks of n_a
        const Eigen::MatrixXd g = pods::gauss_newton_matrix(f.cost, j, n, mu);
        for (int t : {1, n / 2, n - 2}) {
            INFO("step " << t);
            // with a_0..a_{t-1} fixed and a_{t+1}.. minimised: the Schur complement on a_t
            const int tail = (n - t) * na, rest = tail - na;
            const Eigen::MatrixXd gt = g.block(t * na, t * na, tail, tail);
            const Eigen::MatrixXd schur = gt.topLeftCorner(na, na) - gt.block(0, na, na, rest) *
                                                                         gt.bottomRightCorner(rest, rest).llt().solve(gt.block(na, 0, rest, na));
            test::check_close(r.feedback.control_hessian[std::size_t(t)], schur, 1e-8);
            // the minimiser's a_t responds to a change of a_{t-1} by -(G_tail^-1 G_tail,t-1)_t = K_t B_{t-1}
            const Eigen::MatrixXd response = -gt.llt().solve(g.block(t * na, (t - 1) * na, tail, na)).topRows(na);
            const Eigen::MatrixXd law = r.feedback.gain[std::size_t(t)] * lq.b[std::size_t(t - 1)];
            REQUIRE(law.norm() > 1e-6);
            test::check_close(law, response, 1e-7);
        }
        ++checked;
    }
    CHECK(checked == 3);
}
