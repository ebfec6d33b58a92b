// Gradient-health diagnostics of whole trajectories: the gradient norms are sensitivity's rows,
// the growth factors equal dense SVDs of explicitly built (and finite-difference checked)
// accumulated Jacobians, open and closed loop, the Gauss-Newton condition number a dense SVD's;
// a passive damped system contracts, an undamped chaotic double pendulum grows.
#include "pods/diagnose/diagnostics.hpp"
#include "pods/diagnose/energy_norm.hpp"
#include "pods/diagnose/transition.hpp"
#include "pods/improve/improvement.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/train/closed_loop.hpp"
#include "sim/rollout.hpp"
#include "tests/fd.hpp"
#include "tests/pods/diagnose/diagnose_fixture.hpp"

#include <Eigen/SVD>

#include <cmath>

using namespace podsim;
using test::stacked;
using test::unstacked;

namespace {

double jacobi_sigma(const Eigen::MatrixXd& m) { return Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues()[0]; }

// dq_N/dq_t of an open-loop rollout by propagating identity tangents of q = (x, v, x_prev, v_prev)
// (handles and actions unperturbed) with sim::step_tangent: nq x nq, unscaled
Eigen::MatrixXd explicit_accumulated(sim::Simulator& sim, const std::vector<sim::State>& states, int t)
{
    const sim::Model& m = sim.model();
    const int nx = m.n_x(), nq = 4 * nx, n = int(states.size()) - 1;
    sim::StateTangent dz = sim::StateTangent::zero(m, nq), next;
    dz.x.leftCols(nx).setIdentity();
    dz.v.middleCols(nx, nx).setIdentity();
    dz.x_prev.middleCols(2 * nx, nx).setIdentity();
    dz.v_prev.middleCols(3 * nx, nx).setIdentity();
    const Eigen::MatrixXd da = Eigen::MatrixXd::Zero(m.n_p(), nq);
    for (int s = t; s < n; ++s) {
        sim::step_tangent(sim, states[std::size_t(s)], states[std::size_t(s) + 1], dz, da, next);
        std::swap(dz, next);
    }
    return stacked(dz).topRows(nq);
}

} // namespace

TEST_CASE("diagnose diagnostics: per-step gradient norms are the norms of sensitivity's gradient rows")
{
    const pods::Scene s = test::shipped_scene("double_pendulum_3d_stop.json", 25);
    const sim::Model& m = s.model;
    std::mt19937_64 rng(3);
    const Eigen::MatrixXd actions = test::random_vector(rng, m.n_p() * 25, -1, 1).reshaped(m.n_p(), 25);
    const sim::State z0 = pods::sample_initial_state(m, s.task, 8);
    sim::Simulator sim(m);
    const pods::Diagnostics d = pods::diagnose_actions(sim, s.task, z0, actions);
    // the reference: what `podsim sensitivity` writes, dV/da = -dC/da by the adjoint
    sim::Simulator fresh(m);
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(fresh, z0, actions, states).converged);
    const pods::QuadraticCost cost = pods::quadratic_cost(m, s.task);
    const Eigen::MatrixXd grad = -pods::cost_gradient_adjoint(fresh, cost, states, actions);
    REQUIRE(d.gradient_norm.size() == 25);
    for (int t = 0; t < 25; ++t) CHECK(d.gradient_norm[t] == grad.col(t).norm());
    CHECK(d.gradient_norm.maxCoeff() > 0);
    CHECK(d.cost == cost.total(m, states, actions));
    CHECK(!d.has_policy);
}

TEST_CASE("diagnose diagnostics: open-loop singular values equal dense SVDs of explicitly built Jacobians, which match finite differences")
{
    const pods::Scene s = test::shipped_scene("pendulum_2d_stop.json", 12);
    const sim::Model& m = s.model;
    std::mt19937_64 rng(4);
    const Eigen::MatrixXd actions = test::random_vector(rng, m.n_p() * 12, -1, 1).reshaped(m.n_p(), 12);
    const sim::State z0 = pods::sample_initial_state(m, s.task, 5);
    sim::Simulator sim(m);
    const pods::Diagnostics d = pods::diagnose_actions(sim, s.task, z0, actions);
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(sim, z0, actions, states).converged);
    const int nq = 4 * m.n_x();
    const std::vector<pods::StateWeights> w = pods::trajectory_weights(m, s.task, states);
    int checks = 0;
    for (int t = 0; t < 12; ++t) {
        const Eigen::MatrixXd phi = explicit_accumulated(sim, states, t);
        CHECK(std::exp(d.open_loop.accumulated_log_sigma[t]) ==
              doctest::Approx(jacobi_sigma(test::dense_weighted(phi, w[12], w[std::size_t(t)]))).epsilon(1e-10));
        CHECK(d.open_loop.ftle[t] == doctest::Approx(d.open_loop.accumulated_log_sigma[t] / ((12 - t) * m.dt)).epsilon(1e-14));
        const Eigen::MatrixXd one = explicit_accumulated(sim, {states.begin() + t, states.begin() + t + 2}, 0);
        CHECK(d.open_loop.transition_sigma[t] ==
              doctest::Approx(jacobi_sigma(test::dense_weighted(one, w[std::size_t(t) + 1], w[std::size_t(t)]))).epsilon(1e-10));
        ++checks;
    }
    CHECK(checks == 12);
    // the explicit dq_N/dq_t against central differences of re-simulated rollouts from z_t
    const int t = 4;
    const Eigen::MatrixXd phi = explicit_accumulated(sim, states, t);
    const Eigen::MatrixXd rest = actions.rightCols(12 - t);
    const Eigen::VectorXd p_t = states[t].p;
    const Eigen::MatrixXd fd = test::fd_jacobian(
        [&](const Eigen::VectorXd& q) {
            Eigen::VectorXd z(nq + m.n_p());
            z << q, p_t;
            std::vector<sim::State> again;
            REQUIRE(sim::rollout(sim, unstacked(states[t], z), rest, again).converged);
            return Eigen::VectorXd(stacked(again.back()).head(nq));
        },
        stacked(states[t]).head(nq), 1e-6);
    test::check_close(phi, fd, 1e-5);
}

TEST_CASE("diagnose diagnostics: the Gauss-Newton condition number equals a dense SVD's")
{
    const pods::Scene s = test::shipped_scene("pendulum_2d_stop.json", 15);
    const sim::Model& m = s.model;
    const sim::State z0 = pods::sample_initial_state(m, s.task, 2);
    const Eigen::MatrixXd actions = Eigen::MatrixXd::Constant(m.n_p(), 15, 0.3);
    sim::Simulator sim(m);
    const pods::Diagnostics d = pods::diagnose_actions(sim, s.task, z0, actions);
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(sim, z0, actions, states).converged);
    const pods::QuadraticCost cost = pods::quadratic_cost(m, s.task);
    const Eigen::MatrixXd g = pods::gauss_newton_matrix(cost, sim::trajectory_jacobian(sim, states, cost.selection), 15, 0);
    const Eigen::VectorXd sv = Eigen::JacobiSVD<Eigen::MatrixXd>(g).singularValues();
    REQUIRE(d.gauss_newton.computed);
    CHECK(d.gauss_newton.order == 15 * m.n_p());
    CHECK(d.gauss_newton.eigenvalue_max == doctest::Approx(sv[0]).epsilon(1e-10));
    CHECK(d.gauss_newton.eigenvalue_min == doctest::Approx(sv[sv.size() - 1]).epsilon(1e-8));
    CHECK(d.gauss_newton.condition == doctest::Approx(sv[0] / sv[sv.size() - 1]).epsilon(1e-8));
    CHECK(d.gauss_newton.eigenvalue_min >= d.gauss_newton.action_term * (1 - 1e-9));
    CHECK(d.gauss_newton.condition > 10);
}

TEST_CASE("diagnose diagnostics: a passive damped pendulum contracts, an undamped chaotic double pendulum grows")
{
    {
        const pods::Scene s = test::damped_pendulum(100);
        sim::Simulator sim(s.model);
        const pods::Diagnostics d =
            pods::diagnose_actions(sim, s.task, sim::nominal_state(s.model), Eigen::MatrixXd::Zero(s.model.n_p(), 100));
        MESSAGE("damped: log10 growth " << d.open_loop.accumulated_log_sigma[0] / std::log(10.0) << ", ftle " << d.open_loop.ftle[0]);
        CHECK(d.open_loop.accumulated_log_sigma[0] < std::log(1e-2));
        CHECK(d.open_loop.ftle[0] < -0.1);
        // longer spans contract more
        CHECK(d.open_loop.accumulated_log_sigma[0] < d.open_loop.accumulated_log_sigma[50]);
    }
    {
        const pods::Scene s = test::chaotic_double_pendulum(600);
        sim::Simulator sim(s.model);
        const pods::Diagnostics d =
            pods::diagnose_actions(sim, s.task, sim::nominal_state(s.model), Eigen::MatrixXd::Zero(s.model.n_p(), 600));
        MESSAGE("chaotic: log10 growth " << d.open_loop.accumulated_log_sigma[0] / std::log(10.0) << ", ftle " << d.open_loop.ftle[0]);
        CHECK(d.open_loop.accumulated_log_sigma[0] > std::log(1e3));
        CHECK(d.open_loop.ftle[0] > 1.0);
        CHECK(d.open_loop.accumulated_log_sigma[0] > d.open_loop.accumulated_log_sigma[300]);
    }
}

TEST_CASE("diagnose diagnostics: the closed-loop accumulated map equals a dense SVD of central differences of closed-loop rollouts")
{
    const pods::Scene s = test::shipped_scene("pendulum_2d_stop.json", 10);
    const sim::Model& m = s.model;
    const auto pol = test::test_policy(s, pods::Head::kMlp, 3.0);
    const sim::State z0 = pods::sample_initial_state(m, s.task, 7);
    sim::Simulator sim(m);
    const pods::Diagnostics d = pods::diagnose_policy(sim, s.task, *pol, z0);
    REQUIRE(d.has_policy);
    CHECK(d.policy_type == "mlp");
    REQUIRE(d.closed_loop.accumulated_log_sigma.size() == 10);
    REQUIRE(d.closed_gradient_norm.size() == 10);
    CHECK(d.bptt.total.norm() > 0);

    // z_N as a function of z_t with the policy in the loop from t on
    const pods::QuadraticCost cost = pods::quadratic_cost(m, s.task);
    const pods::ObservationMap obs = pods::observation_map(m, s.task);
    pods::ClosedLoopWorkspace ws;
    pods::ClosedLoopRollout r;
    pods::closed_loop_rollout(sim, *pol, obs, s.task, cost, z0, false, ws, r);
    REQUIRE(r.ok);
    const std::vector<pods::StateWeights> w = pods::trajectory_weights(m, s.task, r.states);
    int checks = 0;
    for (int t : {2, 6}) {
        pods::Task rest = s.task;
        rest.horizon = 10 - t;
        const sim::State& zt = r.states[std::size_t(t)];
        const Eigen::MatrixXd fd = test::fd_jacobian(
            [&](const Eigen::VectorXd& z) {
                pods::ClosedLoopRollout again;
                pods::closed_loop_rollout(sim, *pol, obs, rest, cost, unstacked(zt, z), false, ws, again);
                REQUIRE(again.ok);
                return stacked(again.states.back());
            },
            stacked(zt), 1e-6);
        CHECK(std::exp(d.closed_loop.accumulated_log_sigma[t]) ==
              doctest::Approx(jacobi_sigma(test::dense_weighted(fd, w[10], w[std::size_t(t)]))).epsilon(1e-5));
        ++checks;
    }
    CHECK(checks == 2);
}

TEST_CASE("diagnose diagnostics: a policy that plans several steps gets its closed-loop growth per decision, equal to central differences")
{
    const pods::Scene s = test::shipped_scene("pendulum_2d_stop.json", 12);
    const sim::Model& m = s.model;
    const auto pol = test::test_policy(s, pods::Head::kNdp);
    REQUIRE(pol->horizon() == 4);
    const sim::State z0 = pods::sample_initial_state(m, s.task, 1);
    sim::Simulator sim(m);
    const pods::Diagnostics d = pods::diagnose_policy(sim, s.task, *pol, z0);
    CHECK(d.has_policy);
    CHECK(d.policy_horizon == 4);
    REQUIRE(d.closed_loop.ftle.size() == 12);
    CHECK(d.bptt.norm.size() == 12);
    CHECK(d.closed_gradient_norm.size() == 12);
    for (int t = 0; t < 12; ++t) {
        CHECK(std::isfinite(d.closed_loop.accumulated_log_sigma[t]) == (t % 4 == 0));
        CHECK(std::isfinite(d.closed_loop.transition_sigma[t]) == (t % 4 == 0));
        CHECK(std::isfinite(d.open_loop.ftle[t]));
    }
    // the whole-horizon map d(z_N, a_{N-1}) / d(z_0, a_prev) against central differences of a
    // closed loop written out here: decisions every 4 steps from (O z, a_prev), clamped plans
    const pods::ObservationMap obs = pods::observation_map(m, s.task);
    const auto ws = pol->make_workspace();
    const int nz = 4 * m.n_x() + m.n_p(), na = m.n_p();
    const auto closed_loop = [&](const Eigen::VectorXd& zeta) {
        sim::State z = unstacked(z0, zeta.head(nz)), next;
        Eigen::VectorXd a_prev = zeta.tail(na), o(obs.size(m));
        Eigen::MatrixXd plan;
        for (int t = 0; t < 12; ++t) {
            if (t % 4 == 0) {
                obs.observe(m, z, o);
                pol->act(o, a_prev, plan, *ws);
            }
            a_prev = s.task.clamp(plan.col(0).segment((t % 4) * na, na));
            REQUIRE(sim.step(z, a_prev, next).converged);
            z = next;
        }
        Eigen::VectorXd out(nz + na);
        out << stacked(z), a_prev;
        return out;
    };
    Eigen::VectorXd zeta0(nz + na);
    zeta0 << stacked(z0), Eigen::VectorXd::Zero(na);
    const Eigen::MatrixXd fd = test::fd_jacobian(closed_loop, zeta0, 1e-6);
    std::vector<sim::State> states{z0};
    {
        pods::ClosedLoopWorkspace cws;
        pods::ClosedLoopRollout r;
        pods::closed_loop_rollout(sim, *pol, obs, s.task, pods::quadratic_cost(m, s.task), z0, false, cws, r);
        REQUIRE(r.ok);
        states = r.states;
        CHECK(test::close(stacked(r.states.back()).norm(), closed_loop(zeta0).head(nz).norm(), 1e-12)); // the same loop
    }
    const std::vector<pods::StateWeights> w = pods::trajectory_weights(m, s.task, states);
    CHECK(std::exp(d.closed_loop.accumulated_log_sigma[0]) ==
          doctest::Approx(jacobi_sigma(pods::weighted_map(fd, w[12], w[0]))).epsilon(1e-5));
    // the handle-velocity input matters for the NDP head: the a_prev columns are not zero
    CHECK(fd.rightCols(na).norm() > 1e-3);
}

TEST_CASE("diagnose diagnostics: scenes beyond the dense size limit are refused with the reason")
{
    const pods::Scene s = test::shipped_scene("cloth_32.json", 5);
    const std::string why = pods::diagnose_size_problem(s.model);
    CHECK(why.find("limit 1000") != std::string::npos);
    CHECK(pods::diagnose_size_problem(test::shipped_scene("rope_3d_stop.json", 5).model).empty());
}
