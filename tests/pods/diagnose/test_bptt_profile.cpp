// Per-step BPTT contributions: they sum to closed_loop_gradient's parameter gradient (both
// heads), the shares sum to one, and the closed-loop action gradient equals the recursion through
// the explicitly built closed-loop transitions.
#include "pods/diagnose/bptt_profile.hpp"
#include "pods/diagnose/policy_jacobian.hpp"
#include "pods/diagnose/transition.hpp"
#include "pods/task/initial_state.hpp"
#include "tests/fd.hpp"
#include "tests/pods/diagnose/diagnose_fixture.hpp"

using namespace podsim;

TEST_CASE("diagnose bptt_profile: contributions sum to the BPTT gradient, shares to one, for the MLP and NDP heads")
{
    int checks = 0;
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
        pods::Scene s = test::shipped_scene("pendulum_2d_stop.json", 22);
        s.task.action_limit = 0.8;
        const sim::Model& m = s.model;
        const auto pol = test::test_policy(s, head, 2.0);
        const pods::QuadraticCost cost = pods::quadratic_cost(m, s.task);
        const pods::ObservationMap obs = pods::observation_map(m, s.task);
        sim::Simulator sim(m);
        pods::ClosedLoopWorkspace ws;
        pods::ClosedLoopRollout r;
        pods::closed_loop_rollout(sim, *pol, obs, s.task, cost, pods::sample_initial_state(m, s.task, 6), true, ws, r);
        REQUIRE(r.ok);
        Eigen::VectorXd reference;
        std::string failure;
        REQUIRE(pods::closed_loop_gradient(sim, *pol, obs, s.task, cost, r, 0, ws, reference, failure));
        const pods::BpttProfile p = pods::bptt_profile(sim, *pol, obs, s.task, cost, r, ws);
        REQUIRE(p.norm.size() == 22);
        CHECK(reference.norm() > 1e-6);
        test::check_close(p.total, reference, 1e-12);
        CHECK(p.share.sum() == doctest::Approx(1).epsilon(1e-10));
        CHECK(p.norm.minCoeff() >= 0);
        // only decision steps contribute
        const int k = pol->horizon();
        for (int t = 0; t < 22; ++t)
            if (t % k != 0) CHECK(p.norm[t] == 0);
            else CHECK(p.norm[t] > 0);
        ++checks;
    }
    CHECK(checks == 2);
}

TEST_CASE("diagnose bptt_profile: the closed-loop action gradient equals the adjoint recursion through A + B mask P O")
{
    pods::Scene s = test::shipped_scene("pendulum_2d_stop.json", 15);
    const sim::Model& m = s.model;
    const auto pol = test::test_policy(s, pods::Head::kMlp, 3.0);
    s.task.action_limit = 0.6; // below the policy's output limit: some components are clamped
    const pods::QuadraticCost cost = pods::quadratic_cost(m, s.task);
    const pods::ObservationMap obs = pods::observation_map(m, s.task);
    sim::Simulator sim(m);
    pods::ClosedLoopWorkspace ws;
    pods::ClosedLoopRollout r;
    pods::closed_loop_rollout(sim, *pol, obs, s.task, cost, pods::sample_initial_state(m, s.task, 3), true, ws, r);
    REQUIRE(r.ok);
    const int clamped = int((r.requested.array() != r.actions.array()).count());
    CHECK(clamped > 0);
    const pods::BpttProfile p = pods::bptt_profile(sim, *pol, obs, s.task, cost, r, ws);

    // lambda_t = S^T dc/ds_t + A_t^T lambda_{t+1} + O^T P_t^T mask_t (dc/da_t + B_t^T lambda_{t+1})
    Eigen::VectorXd d_s;
    Eigen::MatrixXd d_a;
    cost.gradient(m, r.states, r.actions, d_s, d_a);
    const int n = s.task.horizon, ns = cost.selection.size(m), nz = pods::bdf_state_size(m);
    sim::StateTangent unit = sim::StateTangent::zero(m, nz);
    unit.x.leftCols(m.n_x()).setIdentity();
    unit.v.middleCols(m.n_x(), m.n_x()).setIdentity();
    unit.x_prev.middleCols(2 * m.n_x(), m.n_x()).setIdentity();
    unit.v_prev.middleCols(3 * m.n_x(), m.n_x()).setIdentity();
    unit.p.middleCols(4 * m.n_x(), m.n_p()).setIdentity();
    const Eigen::MatrixXd sel = cost.selection.extract(m, unit), o = pods::observation_matrix(m, obs);
    Eigen::VectorXd lambda = sel.transpose() * d_s.segment(Eigen::Index(n) * ns, ns);
    Eigen::MatrixXd expected(m.n_p(), n);
    for (int t = n - 1; t >= 0; --t) {
        const pods::StepJacobians j = pods::step_jacobians(sim, r.states[std::size_t(t)], r.states[std::size_t(t) + 1]);
        const Eigen::MatrixXd pj = pods::policy_input_jacobian(*pol, r.obs.col(t), r.handle_velocity.col(t)).obs;
        expected.col(t) = d_a.col(t) + j.b.transpose() * lambda;
        Eigen::VectorXd masked = expected.col(t);
        for (int i = 0; i < m.n_p(); ++i)
            if (r.requested(i, t) != r.actions(i, t)) masked[i] = 0;
        lambda = sel.transpose() * d_s.segment(Eigen::Index(t) * ns, ns) + j.a.transpose() * lambda +
                 o.transpose() * (pj.transpose() * masked);
    }
    CHECK(expected.norm() > 1e-3);
    test::check_close(p.action_gradient, expected, 1e-10);
}
