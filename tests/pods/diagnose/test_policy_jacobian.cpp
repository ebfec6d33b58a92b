// The policy input Jacobian by batched vjps against central differences of act(), both heads.
#include "pods/diagnose/policy_jacobian.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/task/observation.hpp"
#include "tests/fd.hpp"
#include "tests/pods/diagnose/diagnose_fixture.hpp"

using namespace podsim;

TEST_CASE("diagnose policy_jacobian: dplan/dobs matches central differences for the MLP and NDP heads")
{
    const pods::Scene s = test::shipped_scene("double_pendulum_3d.json", 8);
    const sim::Model& m = s.model;
    const pods::ObservationMap obs = pods::observation_map(m, s.task);
    std::mt19937_64 rng(11);
    int checks = 0;
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
        const auto pol = test::test_policy(s, head);
        Eigen::VectorXd o(obs.size(m));
        obs.observe(m, pods::sample_initial_state(m, s.task, 4), o);
        const Eigen::VectorXd hv = test::random_vector(rng, m.n_p(), -0.5, 0.5);
        const Eigen::MatrixXd j = pods::policy_input_jacobian(*pol, o, hv);
        REQUIRE(j.rows() == pol->horizon() * m.n_p());
        REQUIRE(j.cols() == obs.size(m));
        const auto ws = pol->make_workspace();
        const Eigen::MatrixXd fd = test::fd_jacobian(
            [&](const Eigen::VectorXd& x) {
                Eigen::MatrixXd plan;
                pol->act(x, hv, plan, *ws);
                return Eigen::VectorXd(plan.col(0));
            },
            o, 1e-6);
        CHECK(j.norm() > 1e-3);
        test::check_close(j, fd, 1e-6);
        ++checks;
    }
    CHECK(checks == 2);
}
