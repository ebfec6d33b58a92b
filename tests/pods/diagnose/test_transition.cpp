// Transition Jacobians of one step: open loop (A, B) and closed through a policy, against central
// differences of re-simulated steps; the observation matrix.
#include "pods/diagnose/transition.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/train/closed_loop.hpp"
#include "sim/rollout.hpp"
#include "tests/fd.hpp"
#include "tests/pods/diagnose/diagnose_fixture.hpp"

using namespace podsim;
using test::stacked;
using test::unstacked;

namespace {

// z_{t+1} of one step from a stacked z_t
Eigen::VectorXd step_from(sim::Simulator& sim, const sim::State& like, const Eigen::VectorXd& z, const Eigen::VectorXd& a)
{
    sim::State next;
    REQUIRE(sim.step(unstacked(like, z), a, next).converged);
    return stacked(next);
}

} // namespace

TEST_CASE("diagnose transition: A and B of a step match central differences at t = 0 and t > 0")
{
    const pods::Scene s = test::shipped_scene("double_pendulum_3d.json", 6);
    const sim::Model& m = s.model;
    std::mt19937_64 rng(7);
    const Eigen::MatrixXd actions = test::random_vector(rng, m.n_p() * 6, -1, 1).reshaped(m.n_p(), 6);
    sim::Simulator sim(m);
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(sim, pods::sample_initial_state(m, s.task, 2), actions, states).converged);
    int checks = 0;
    for (int t : {0, 4}) {
        const pods::StepJacobians j = pods::step_jacobians(sim, states[std::size_t(t)], states[std::size_t(t) + 1]);
        const int nz = pods::bdf_state_size(m);
        REQUIRE(j.a.rows() == nz);
        REQUIRE(j.a.cols() == nz);
        REQUIRE(j.b.cols() == m.n_p());
        CHECK(j.a.norm() > 1);
        const sim::State& z = states[std::size_t(t)];
        const Eigen::VectorXd a = actions.col(t);
        const Eigen::MatrixXd fd_a = test::fd_jacobian([&](const Eigen::VectorXd& v) { return step_from(sim, z, v, a); },
                                                       stacked(z), 1e-6);
        const Eigen::MatrixXd fd_b = test::fd_jacobian([&](const Eigen::VectorXd& u) { return step_from(sim, z, stacked(z), u); },
                                                       a, 1e-6);
        test::check_close(j.a, fd_a, 1e-5);
        test::check_close(j.b, fd_b, 1e-5);
        // the first (BDF1) step does not read the previous-step slots
        if (t == 0) CHECK(j.a.middleCols(2 * m.n_x(), 2 * m.n_x()).norm() == 0);
        else CHECK(j.a.middleCols(2 * m.n_x(), 2 * m.n_x()).norm() > 0);
        ++checks;
    }
    CHECK(checks == 2);
}

TEST_CASE("diagnose transition: the closed-loop transition A + B mask P O matches central differences, clamped components included")
{
    pods::Scene s = test::shipped_scene("pendulum_2d_stop.json", 20);
    const sim::Model& m = s.model;
    const auto pol = test::test_policy(s, pods::Head::kMlp, 3.0);
    s.task.action_limit = 0.6; // below the policy's output limit: some components are clamped
    const pods::QuadraticCost cost = pods::quadratic_cost(m, s.task);
    const pods::ObservationMap obs = pods::observation_map(m, s.task);
    sim::Simulator sim(m);
    pods::ClosedLoopWorkspace ws;
    pods::ClosedLoopRollout r;
    pods::closed_loop_rollout(sim, *pol, obs, s.task, cost, pods::sample_initial_state(m, s.task, 3), false, ws, r);
    REQUIRE(r.ok);
    const Eigen::MatrixXd o = pods::observation_matrix(m, obs);
    const auto ws_policy = pol->make_workspace();
    int checks = 0, clamped_steps = 0, responsive_steps = 0;
    for (int t = 1; t < s.task.horizon; ++t) {
        const sim::State& z = r.states[std::size_t(t)];
        // skip steps where a component sits too close to the limit for a central difference
        const Eigen::ArrayXd margin = (r.requested.col(t).array().abs() - s.task.action_limit).abs();
        if (margin.minCoeff() < 1e-3) continue;
        if (checks == 4) break;
        Eigen::VectorXd mask(m.n_p());
        for (int i = 0; i < m.n_p(); ++i) mask[i] = r.requested(i, t) == r.actions(i, t) ? 1 : 0;
        // P = dpi/dobs by central differences of act(), so this test does not lean on the vjp
        Eigen::VectorXd ob(obs.size(m));
        obs.observe(m, z, ob);
        const Eigen::MatrixXd p = test::fd_jacobian(
            [&](const Eigen::VectorXd& x) {
                Eigen::MatrixXd plan;
                pol->act(x, Eigen::MatrixXd::Zero(m.n_p(), 1), plan, *ws_policy);
                return Eigen::VectorXd(plan.col(0));
            },
            ob, 1e-7);
        const Eigen::MatrixXd closed =
            pods::closed_loop_transition(pods::step_jacobians(sim, z, r.states[std::size_t(t) + 1]), mask, p, o);
        const Eigen::MatrixXd fd = test::fd_jacobian(
            [&](const Eigen::VectorXd& v) {
                const sim::State zp = unstacked(z, v);
                Eigen::VectorXd obs_p(obs.size(m));
                obs.observe(m, zp, obs_p);
                Eigen::MatrixXd plan;
                pol->act(obs_p, Eigen::MatrixXd::Zero(m.n_p(), 1), plan, *ws_policy);
                return step_from(sim, z, v, s.task.clamp(plan.col(0)));
            },
            stacked(z), 1e-6);
        test::check_close(closed, fd, 1e-5);
        // the policy's feedback is visible in the handle rows of the components it controls
        const Eigen::MatrixXd feedback = closed.bottomRows(m.n_p()).leftCols(4 * m.n_x());
        for (int i = 0; i < m.n_p(); ++i) {
            if (mask[i] == 0) CHECK(feedback.row(i).norm() == 0);
            else CHECK(feedback.row(i).norm() > 1e-3);
        }
        clamped_steps += mask.minCoeff() == 0;
        responsive_steps += mask.maxCoeff() == 1;
        ++checks;
    }
    CHECK(checks == 4);
    CHECK(clamped_steps >= 1);
    CHECK(responsive_steps >= 1);
}

TEST_CASE("diagnose transition: the observation matrix reproduces the observation map")
{
    const pods::Scene s = test::shipped_scene("double_pendulum_3d.json", 3);
    const sim::Model& m = s.model;
    const pods::ObservationMap obs = pods::observation_map(m, s.task);
    const sim::State z = pods::sample_initial_state(m, s.task, 9);
    Eigen::VectorXd expected(obs.size(m));
    obs.observe(m, z, expected);
    const Eigen::MatrixXd o = pods::observation_matrix(m, obs);
    test::check_close(Eigen::VectorXd(o * stacked(z) - obs.offset), expected, 1e-15);
}
