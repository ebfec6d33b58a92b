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
    const pods::Scene s = test::shipped_scene("double_pendulum_3d_stop.json", 6);
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

TEST_CASE("diagnose transition: the map over one decision of a multi-step plan matches central differences, a cut-short last decision too")
{
    pods::Scene s = test::shipped_scene("pendulum_2d_stop.json", 10);
    const sim::Model& m = s.model;
    const auto pol = test::test_policy(s, pods::Head::kNdp, 2.0);
    s.task.action_limit = 0.7; // below the head's output limit: some components clamped
    const int k = pol->horizon(), na = m.n_p(), nz = pods::bdf_state_size(m);
    const pods::ObservationMap obs = pods::observation_map(m, s.task);
    const Eigen::MatrixXd o = pods::observation_matrix(m, obs);
    sim::Simulator sim(m);
    pods::ClosedLoopWorkspace ws;
    pods::ClosedLoopRollout r;
    pods::closed_loop_rollout(sim, *pol, obs, s.task, pods::quadratic_cost(m, s.task), pods::sample_initial_state(m, s.task, 2),
                              false, ws, r);
    REQUIRE(r.ok);
    CHECK((r.requested.array() != r.actions.array()).any());
    const auto policy_ws = pol->make_workspace();
    int checks = 0;
    for (int t : {4, 8}) { // a full decision and the last one, cut to 2 steps by the horizon
        const int len = std::min(k, 10 - t);
        // skip components too close to the limit for a central difference
        const Eigen::ArrayXXd margin = (r.requested.middleCols(t, len).array().abs() - s.task.action_limit).abs();
        REQUIRE(margin.minCoeff() > 1e-4);
        std::vector<pods::StepJacobians> steps;
        std::vector<Eigen::VectorXd> masks;
        for (int i = 0; i < len; ++i) {
            steps.push_back(pods::step_jacobians(sim, r.states[std::size_t(t + i)], r.states[std::size_t(t + i) + 1]));
            Eigen::VectorXd mask(na);
            for (int c = 0; c < na; ++c) mask[c] = r.requested(c, t + i) == r.actions(c, t + i) ? 1 : 0;
            masks.push_back(mask);
        }
        const pods::PolicyInputJacobian pj = pods::policy_input_jacobian(*pol, r.obs.col(t / k), r.handle_velocity.col(t / k));
        const Eigen::MatrixXd map = pods::closed_loop_plan_transition(steps, masks, pj, o);
        REQUIRE(map.rows() == nz + na);
        // (z_t, a_prev) -> (z_{t+len}, a_{t+len-1}) by re-simulating the decision
        const sim::State& zt = r.states[std::size_t(t)];
        Eigen::VectorXd zeta(nz + na);
        zeta << stacked(zt), r.handle_velocity.col(t / k);
        const Eigen::MatrixXd fd = test::fd_jacobian(
            [&](const Eigen::VectorXd& x) {
                sim::State z = unstacked(zt, x.head(nz)), next;
                Eigen::VectorXd ob(obs.size(m));
                obs.observe(m, z, ob);
                Eigen::MatrixXd plan;
                pol->act(ob, x.tail(na), plan, *policy_ws);
                Eigen::VectorXd a;
                for (int i = 0; i < len; ++i) {
                    a = s.task.clamp(plan.col(0).segment(i * na, na));
                    REQUIRE(sim.step(z, a, next).converged);
                    z = next;
                }
                Eigen::VectorXd out(nz + na);
                out << stacked(z), a;
                return out;
            },
            zeta, 1e-6);
        test::check_close(map, fd, 1e-5);
        CHECK(map.rightCols(na).norm() > 1e-3); // the plan starts from a_prev
        ++checks;
    }
    CHECK(checks == 2);
}

TEST_CASE("diagnose transition: the observation matrix reproduces the observation map")
{
    const pods::Scene s = test::shipped_scene("double_pendulum_3d_stop.json", 3);
    const sim::Model& m = s.model;
    const pods::ObservationMap obs = pods::observation_map(m, s.task);
    const sim::State z = pods::sample_initial_state(m, s.task, 9);
    Eigen::VectorXd expected(obs.size(m));
    obs.observe(m, z, expected);
    const Eigen::MatrixXd o = pods::observation_matrix(m, obs);
    test::check_close(Eigen::VectorXd(o * stacked(z) - obs.offset), expected, 1e-15);
}
