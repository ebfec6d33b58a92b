// The linear-quadratic model of a rollout: its dynamics reproduce the trajectory tangent, its
// adjoint gradient equals the simulator's adjoint and finite differences of the cost.
#include "pods/improve/improvement.hpp"
#include "pods/improve/lq_model.hpp"
#include "sim/sensitivity.hpp"
#include "tests/pods/improve/box_fixture.hpp"

using namespace podsim;

namespace {

const char* kScenes[] = {"pendulum_2d_stop.json", "cable_pendulum_2d.json", "double_pendulum_3d_stop.json"};

} // namespace

TEST_CASE("lq_model: the linearised dynamics reproduce the trajectory tangent")
{
    int checked = 0;
    for (const char* file : kScenes) {
        INFO(std::string(file));
        const test::BoxFixture f = test::box_fixture(file, 20, 4, 0.15, 0.0, 1e-14);
        const sim::Model& m = f.scene.model;
        sim::Simulator sim(m);
        const pods::LqModel lq = pods::lq_model(sim, f.cost, f.states, f.actions);
        REQUIRE(lq.horizon() == 20);
        CHECK(lq.state_size() == 4 * m.n_x() + m.n_p());
        std::mt19937_64 rng(9);
        const Eigen::MatrixXd da = test::random_vector(rng, f.actions.size()).reshaped(f.actions.rows(), f.actions.cols());
        const Eigen::VectorXd zero = Eigen::VectorXd::Zero(m.n_x());
        const Eigen::VectorXd ds = sim::trajectory_tangent(sim, f.states, f.cost.selection, da, zero, zero);
        const int ns = int(f.cost.target.size());
        Eigen::VectorXd z = Eigen::VectorXd::Zero(lq.state_size());
        Eigen::VectorXd ds_lq(ds.size());
        ds_lq.head(ns) = lq.selection * z;
        for (int t = 0; t < 20; ++t) {
            z = lq.a[std::size_t(t)] * z + lq.b[std::size_t(t)] * da.col(t);
            ds_lq.segment((t + 1) * ns, ns) = lq.selection * z;
        }
        CHECK(ds.norm() > 1e-3);
        test::check_close(ds_lq, ds, 1e-10);
        // the cost terms
        Eigen::VectorXd d_s;
        Eigen::MatrixXd d_a;
        f.cost.gradient(m, f.states, f.actions, d_s, d_a);
        CHECK(lq.d_s == d_s);
        CHECK(lq.d_a == d_a);
        CHECK(lq.q == f.cost.state_hessian_diagonal(20));
        CHECK(lq.r == 2 * f.cost.action_weight);
        ++checked;
    }
    CHECK(checked == 3);
}

TEST_CASE("lq_model: the linearised adjoint gradient equals the simulator adjoint and finite differences")
{
    int checked = 0;
    for (const char* file : kScenes) {
        INFO(std::string(file));
        const test::BoxFixture f = test::box_fixture(file, 25, 6, 0.15, 0.0, 1e-14);
        sim::Simulator sim(f.scene.model);
        const pods::LqModel lq = pods::lq_model(sim, f.cost, f.states, f.actions);
        const Eigen::MatrixXd g = pods::lq_gradient(lq);
        CHECK(g.norm() > 1e-3);
        test::check_close(g, pods::cost_gradient_adjoint(sim, f.cost, f.states, f.actions), 1e-10);
        std::mt19937_64 rng(12);
        const Eigen::MatrixXd u = test::random_direction(rng, f.actions.size()).reshaped(f.actions.rows(), f.actions.cols());
        const double eps = 1e-4; // smaller steps see the Newton solves' round-off
        const double fd = (test::rollout_cost(sim, f, f.actions + eps * u) - test::rollout_cost(sim, f, f.actions - eps * u)) / (2 * eps);
        INFO("analytic " << g.reshaped().dot(u.reshaped()) << ", fd " << fd);
        CHECK(test::close(g.reshaped().dot(u.reshaped()), fd, 1e-6));
        ++checked;
    }
    CHECK(checked == 3);
}
