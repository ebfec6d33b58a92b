// The matrix-free Gauss-Newton operator against the explicit J^T Q J + R + mu I, and the
// gradient over the stored factorisations against the adjoint gradient, on shipped scenes.
#include "pods/improve/gauss_newton_operator.hpp"
#include "pods/improve/improvement.hpp"
#include "tests/pods/improve/box_fixture.hpp"

using namespace podsim;

TEST_CASE("gauss_newton_operator: G v equals the formed Gauss-Newton matrix, the gradient the adjoint one")
{
    int checked = 0;
    for (const char* file : {"rope_3d_stop.json", "double_pendulum_3d_stop.json"}) {
        INFO(std::string(file));
        const test::BoxFixture f = test::box_fixture(file, 12, 2, 0.3, 0.0);
        sim::Simulator sim(f.scene.model);
        sim::TrajectoryLinearization lin(sim, f.states);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
        const int n = int(f.actions.cols());
        std::mt19937_64 rng(6);
        for (double mu : {0.0, 0.5}) {
            pods::GaussNewtonOperator g(lin, f.cost, mu);
            REQUIRE(g.size() == f.actions.size());
            const Eigen::MatrixXd explicit_g = pods::gauss_newton_matrix(f.cost, j, n, mu);
            for (int trial = 0; trial < 3; ++trial) {
                const Eigen::VectorXd v = test::random_vector(rng, g.size());
                Eigen::VectorXd out = Eigen::VectorXd::Constant(g.size(), 123.0);
                g.apply(v, out);
                CHECK(out.norm() > 1e-3);
                test::check_close(out, Eigen::VectorXd(explicit_g * v), 1e-9);
            }
            CHECK(g.products() == 3);
        }
        test::check_close(pods::cost_gradient_linearized(lin, f.cost, f.states, f.actions),
                          pods::cost_gradient_adjoint(sim, f.cost, f.states, f.actions), 1e-10);
        ++checked;
    }
    CHECK(checked == 2);
}

TEST_CASE("gauss_newton_operator: the two halves of a product make G v, the multi-column tangent J V")
{
    const test::BoxFixture f = test::box_fixture("rope_3d_stop.json", 12, 2, 0.3, 0.0);
    sim::Simulator sim(f.scene.model);
    sim::TrajectoryLinearization lin(sim, f.states);
    const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
    pods::GaussNewtonOperator g(lin, f.cost, 0.5);
    CHECK(g.horizon() == 12);
    CHECK(g.actions() == f.scene.model.n_p());
    CHECK(g.diagonal() == 2 * f.cost.action_weight + 0.5);
    CHECK(g.state_weights() == f.cost.state_hessian_diagonal(12));
    std::mt19937_64 rng(4);
    const Eigen::VectorXd v = test::random_vector(rng, g.size());
    Eigen::VectorXd ds, halves, whole;
    g.state_direction(v, ds);
    test::check_close(ds, Eigen::VectorXd(j * v), 1e-9);
    g.apply_from_state(v, ds, halves);
    g.apply(v, whole);
    CHECK(g.products() == 2);
    test::check_close(halves, whole, 1e-12);
    CHECK(whole.norm() > 1e-3);
    const Eigen::MatrixXd vs = test::random_vector(rng, 3 * g.size()).reshaped(g.size(), 3);
    Eigen::MatrixXd dss;
    g.state_directions(vs, dss);
    test::check_close(dss, Eigen::MatrixXd(j * vs), 1e-9);
    CHECK(g.products() == 2);
}
