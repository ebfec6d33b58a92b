// Cost derivatives, gradients two ways vs finite differences, Gauss-Newton (dense vs Riccati),
// and the line search, on real rollouts of shipped scenes.
#include "pods/task/episode.hpp"
#include "pods/improve/improvement.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/task/scene.hpp"
#include "sim/rollout.hpp"
#include "sim/sensitivity.hpp"
#include "tests/fd.hpp"
#include "tests/paths.hpp"

#include <Eigen/Eigenvalues>

using namespace podsim;
using podsim::test::source_path;

namespace {

struct Fixture {
    pods::Scene scene;
    pods::QuadraticCost cost;
    sim::State z0;
    Eigen::MatrixXd actions;
};

Fixture fixture(const char* file, int steps, std::uint64_t seed)
{
    Fixture f;
    f.scene = pods::load_scene(source_path("scenes/") + file);
    f.scene.model.solver.tolerance = 1e-14;
    f.cost = pods::quadratic_cost(f.scene.model, f.scene.task);
    f.z0 = pods::sample_initial_state(f.scene.model, f.scene.task, seed);
    std::mt19937_64 rng(seed);
    f.actions = test::random_vector(rng, f.scene.model.n_p() * steps, -0.3, 0.3).reshaped(f.scene.model.n_p(), steps);
    return f;
}

double total_cost(sim::Simulator& sim, const Fixture& f, const Eigen::MatrixXd& a)
{
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(sim, f.z0, a, states).converged);
    return f.cost.total(sim.model(), states, a);
}

const char* kScenes[] = {"pendulum_2d_stop.json", "cable_pendulum_2d.json", "double_pendulum_3d_stop.json"};

} // namespace

TEST_CASE("improvement: the quadratic cost equals the per-term cost of rewards.csv")
{
    for (const char* file : kScenes) {
        Fixture f = fixture(file, 20, 4);
        sim::Simulator sim(f.scene.model);
        const pods::Episode e = pods::run_episode(sim, f.scene.task, f.z0, f.actions);
        CHECK(f.cost.total(f.scene.model, e.states, e.actions) == doctest::Approx(e.total_cost()).epsilon(1e-13));
    }
}

TEST_CASE("improvement: cost gradient with respect to the state matches finite differences")
{
    Fixture f = fixture("double_pendulum_3d_stop.json", 1, 2);
    const sim::Model& m = f.scene.model;
    sim::Simulator sim(m);
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(sim, f.z0, f.actions, states).converged);
    Eigen::VectorXd d_s;
    Eigen::MatrixXd d_a;
    f.cost.gradient(m, states, f.actions, d_s, d_a);
    const int ns = int(f.cost.target.size());
    for (int t = 0; t < 2; ++t) {
        const Eigen::VectorXd s = f.cost.selection.extract(m, states[std::size_t(t)]);
        // c as a function of s alone (the other state and the action fixed)
        auto c_of = [&](const Eigen::VectorXd& y) {
            const Eigen::VectorXd e = y - f.cost.target;
            return e.dot((t < 1 ? f.cost.weights : f.cost.terminal_weights).cwiseProduct(e));
        };
        const Eigen::VectorXd g = d_s.segment(t * ns, ns);
        test::check_close(g, test::fd_gradient(c_of, s), 1e-7);
        CHECK(g.norm() > 1e-3);
        // Q is the FD Jacobian of the gradient
        const Eigen::MatrixXd q = f.cost.state_hessian_diagonal(1).segment(t * ns, ns).asDiagonal();
        const Eigen::MatrixXd q_fd = test::fd_jacobian(
            [&](const Eigen::VectorXd& y) {
                return Eigen::VectorXd(2 * (t < 1 ? f.cost.weights : f.cost.terminal_weights).cwiseProduct(y - f.cost.target));
            },
            s);
        test::check_close(q, q_fd, 1e-7);
    }
    test::check_close(d_a, Eigen::MatrixXd(2 * f.scene.task.weights.a * f.actions), 1e-15);
}

TEST_CASE("improvement: gradient by adjoint equals J^T dC/ds + dC/da and finite differences")
{
    int checked = 0;
    for (const char* file : kScenes) {
        INFO(file);
        Fixture f = fixture(file, 25, 8);
        sim::Simulator sim(f.scene.model);
        std::vector<sim::State> states;
        REQUIRE(sim::rollout(sim, f.z0, f.actions, states).converged);
        const Eigen::MatrixXd g_adj = pods::cost_gradient_adjoint(sim, f.cost, states, f.actions);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, states, f.cost.selection);
        const Eigen::MatrixXd g_jac = pods::cost_gradient_jacobian(f.scene.model, f.cost, states, f.actions, j);
        test::check_close(g_adj, g_jac, 1e-10);
        CHECK(g_adj.norm() > 1e-3);
        // directional check against the re-simulated cost
        std::mt19937_64 rng(11);
        const Eigen::MatrixXd u = test::random_direction(rng, f.actions.size()).reshaped(f.actions.rows(), f.actions.cols());
        const double eps = 1e-6;
        const double fd = (total_cost(sim, f, f.actions + eps * u) - total_cost(sim, f, f.actions - eps * u)) / (2 * eps);
        CHECK(test::close(g_adj.reshaped().dot(u.reshaped()), fd, 1e-6));
        ++checked;
    }
    CHECK(checked == 3);
}

TEST_CASE("improvement: the Gauss-Newton matrix is symmetric PSD and the Riccati step equals the dense one")
{
    int checked = 0;
    for (const char* file : kScenes) {
        INFO(file);
        Fixture f = fixture(file, 30, 5);
        sim::Simulator sim(f.scene.model);
        std::vector<sim::State> states;
        REQUIRE(sim::rollout(sim, f.z0, f.actions, states).converged);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, states, f.cost.selection);
        const Eigen::MatrixXd g = pods::gauss_newton_matrix(f.cost, j, 30, 0.0);
        // against the explicit product J^T Q J + R
        const Eigen::MatrixXd explicit_g = j.transpose() * f.cost.state_hessian_diagonal(30).asDiagonal() * j +
                                           2 * f.cost.action_weight * Eigen::MatrixXd::Identity(j.cols(), j.cols());
        test::check_close(g, explicit_g, 1e-12);
        CHECK((g - g.transpose()).norm() == 0.0);
        const Eigen::VectorXd eig = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(g).eigenvalues();
        CHECK(eig.minCoeff() >= -1e-10 * eig.maxCoeff());
        for (double mu : {0.0, 0.1}) {
            const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(f.scene.model, f.cost, states, f.actions, j);
            const Eigen::MatrixXd dense = pods::gauss_newton_step_dense(f.cost, j, grad, mu);
            const Eigen::MatrixXd riccati = pods::gauss_newton_step_riccati(sim, f.cost, states, f.actions, mu);
            test::check_close(riccati, dense, 1e-8);
            CHECK(dense.norm() > 1e-3);
            CHECK(grad.reshaped().dot(dense.reshaped()) < 0); // a descent direction
        }
        ++checked;
    }
    CHECK(checked == 3);
}

TEST_CASE("improvement: a singular Gauss-Newton system is reported, an ill-conditioned definite one damped")
{
    Fixture f = fixture("pendulum_2d_stop.json", 100, 3);
    f.cost.action_weight = 0;
    sim::Simulator sim(f.scene.model);
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(sim, f.z0, f.actions, states).converged);
    const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, states, f.cost.selection);
    const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(f.scene.model, f.cost, states, f.actions, j);
    CHECK_THROWS_AS(pods::gauss_newton_step_dense(f.cost, j, grad, 0.0), common::RuntimeFailure);
    // with damping it is well posed, and the predicted decrease is positive
    double shift = -1;
    const Eigen::MatrixXd step = pods::gauss_newton_step_dense(f.cost, j, grad, 1e-3, &shift);
    CHECK(shift == 0);
    CHECK(pods::gauss_newton_predicted_decrease(f.cost, j, grad, step, 1e-3) > 0);
    // a positive but negligible floor (mu = 1e-14): positive definite, ill-conditioned, so solved
    // with a small damping shift: the step of mu + shift, a descent direction
    const Eigen::MatrixXd damped = pods::gauss_newton_step_dense(f.cost, j, grad, 1e-14, &shift);
    const Eigen::MatrixXd g = pods::gauss_newton_matrix(f.cost, j, int(f.actions.cols()), 1e-14);
    CHECK(shift > 0);
    CHECK(shift < 1e-5 * g.diagonal().maxCoeff());
    const Eigen::VectorXd residual = g * damped.reshaped() + shift * damped.reshaped() + grad.reshaped();
    CHECK(residual.norm() <= 1e-9 * g.norm() * damped.norm());
    CHECK(pods::gauss_newton_predicted_decrease(f.cost, j, grad, damped, 1e-14 + shift) > 0);
}

TEST_CASE("improvement: the matrix-free Gauss-Newton step equals the dense and the Riccati step")
{
    int checked = 0;
    for (const char* file : {"pendulum_2d_stop.json", "double_pendulum_3d_stop.json", "rope_3d_stop.json"}) {
        INFO(file);
        Fixture f = fixture(file, 20, 5);
        sim::Simulator sim(f.scene.model);
        std::vector<sim::State> states;
        REQUIRE(sim::rollout(sim, f.z0, f.actions, states).converged);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, states, f.cost.selection);
        const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(f.scene.model, f.cost, states, f.actions, j);
        for (double mu : {0.0, 0.1}) {
            const Eigen::MatrixXd dense = pods::gauss_newton_step_dense(f.cost, j, grad, mu);
            const Eigen::MatrixXd free = pods::gauss_newton_step_matrix_free(sim, f.cost, states, f.actions, mu, 1e-12, 20 * int(grad.size()));
            CHECK(dense.norm() > 1e-3);
            test::check_close(free, dense, 1e-7);
            if (mu > 0) // the default tolerance, on a damped system
                test::check_close(pods::gauss_newton_step(sim, f.cost, states, f.actions, mu, pods::GaussNewtonMethod::kMatrixFree),
                                  dense, 1e-5);
        }
        ++checked;
    }
    CHECK(checked == 3);
}

TEST_CASE("improvement: the method is chosen by the state size, the order N n_a and the damping")
{
    const pods::Scene pendulum = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    const pods::Scene rope = pods::load_scene(source_path("scenes/rope_3d_stop.json"));
    const pods::QuadraticCost pc = pods::quadratic_cost(pendulum.model, pendulum.task);
    const pods::QuadraticCost rc = pods::quadratic_cost(rope.model, rope.task);
    using M = pods::GaussNewtonMethod;
    // a small BDF2 state: Riccati whatever the horizon
    CHECK(pods::choose_gauss_newton(pendulum.model, pc, 1000) == M::kRiccati);
    // the rope (4 n_x + n_p = 243): dense while the dense system fits, matrix-free beyond
    CHECK(pods::dense_size_problem(rope.model, rc, 300).empty());
    CHECK(pods::choose_gauss_newton(rope.model, rc, 300) == M::kDense);
    CHECK(!pods::dense_size_problem(rope.model, rc, 2000).empty());
    CHECK(pods::choose_gauss_newton(rope.model, rc, 2000) == M::kMatrixFree);
    // where the dense path fits: matrix-free from the measured horizon on, with enough damping
    const int from = pods::kMatrixFreeMinHorizon;
    CHECK(pods::choose_gauss_newton(rope.model, rc, from, 1.0) == M::kMatrixFree);
    CHECK(pods::choose_gauss_newton(rope.model, rc, 300, 1.0) == M::kMatrixFree);
    CHECK(pods::choose_gauss_newton(rope.model, rc, from - 1, 1.0) == M::kDense);
    CHECK(pods::choose_gauss_newton(rope.model, rc, 300, 0.1) == M::kDense);
    // ... and not on a sparse model (its linearisation keeps factors, no inverses)
    pods::Scene sparse_rope = rope;
    sparse_rope.model.solver.linear_solver = sim::LinearSolverChoice::kSparse;
    CHECK(pods::choose_gauss_newton(sparse_rope.model, rc, 300, 1.0) == M::kDense);
    CHECK(std::string(pods::to_string(M::kMatrixFree)) == "matrix-free");
}
