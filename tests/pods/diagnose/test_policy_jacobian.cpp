// The policy input Jacobians by batched vjps against central differences of act(), both heads.
#include "pods/diagnose/policy_jacobian.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/task/observation.hpp"
#include "tests/fd.hpp"
#include "tests/pods/diagnose/diagnose_fixture.hpp"

using namespace podsim;

TEST_CASE("diagnose policy_jacobian: dplan/dobs and dplan/dhandle_velocity match central differences for the MLP and NDP heads")
{
    const pods::Scene s = test::shipped_scene("double_pendulum_3d_stop.json", 8);
    const sim::Model& m = s.model;
    const pods::ObservationMap obs = pods::observation_map(m, s.task);
    std::mt19937_64 rng(11);
    int checks = 0;
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
        const auto pol = test::test_policy(s, head);
        Eigen::VectorXd o(obs.size(m));
        obs.observe(m, pods::sample_initial_state(m, s.task, 4), o);
        const Eigen::VectorXd hv = test::random_vector(rng, m.n_p(), -0.5, 0.5);
        const pods::PolicyInputJacobian j = pods::policy_input_jacobian(*pol, o, hv);
        REQUIRE(j.obs.rows() == pol->horizon() * m.n_p());
        REQUIRE(j.obs.cols() == obs.size(m));
        REQUIRE(j.handle_velocity.rows() == pol->horizon() * m.n_p());
        REQUIRE(j.handle_velocity.cols() == m.n_p());
        const auto ws = pol->make_workspace();
        const auto plan_of = [&](const Eigen::VectorXd& x, const Eigen::VectorXd& v) {
            Eigen::MatrixXd plan;
            pol->act(x, v, plan, *ws);
            return Eigen::VectorXd(plan.col(0));
        };
        const Eigen::MatrixXd fd_obs = test::fd_jacobian([&](const Eigen::VectorXd& x) { return plan_of(x, hv); }, o, 1e-6);
        const Eigen::MatrixXd fd_hv = test::fd_jacobian([&](const Eigen::VectorXd& v) { return plan_of(o, v); }, hv, 1e-6);
        CHECK(j.obs.norm() > 1e-3);
        test::check_close(j.obs, fd_obs, 1e-6);
        test::check_close(j.handle_velocity, fd_hv, 1e-6);
        // the MLP ignores the handle velocity, the NDP head starts its DMP from it
        if (head == pods::Head::kMlp) CHECK(j.handle_velocity.norm() == 0);
        else CHECK(j.handle_velocity.norm() > 1e-3);
        ++checks;
    }
    CHECK(checks == 2);
}
