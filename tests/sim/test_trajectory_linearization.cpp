// The stored linearisation of a rollout: its matrix-free products J v and J^T w against the dense
// trajectory Jacobian, the rollout tangent / adjoint and central finite differences, on dense and
// sparse models, with contact and friction.
#include "sim/generators.hpp"
#include "sim/rollout.hpp"
#include "sim/sensitivity.hpp"
#include "sim/trajectory_linearization.hpp"
#include "tests/fd.hpp"
#include "tests/sim/rollout_fixture.hpp"

#include <string>

using namespace podsim;
using namespace podsim::sim;

using test::observe;
using test::random_actions;
using test::vec;

namespace {

struct Case {
    std::string name;
    Model model;
    StateSelection sel;
    int steps = 0;
    double action_scale = 0.2;
};

Model rope(int segments, LinearSolverChoice solver)
{
    ModelBuilder b(3, 0.01, vec({0, -9.81, 0}));
    const int h = b.add_node("h", Role::kHandle, vec({0, 0, 0}));
    RopeSpec r;
    r.name = "r";
    r.from = h;
    r.to = vec({0.6, -0.8, 0.1});
    r.segments = segments;
    r.node_mass = 0.02;
    r.stiffness = 3000;
    r.bending_stiffness = 30;
    add_rope(b, r);
    b.solver.linear_solver = solver;
    b.solver.tolerance = 1e-14;
    return b.build();
}

std::vector<Case> cases()
{
    std::vector<Case> out;
    out.push_back({"rope 3D dense", rope(8, LinearSolverChoice::kDense), {{7, 3}}, 20});
    out.push_back({"rope 3D sparse", rope(24, LinearSolverChoice::kSparse), {{23, 10}}, 15});
    { // 4x4 cloth held at two corners, lowered onto a frictional table (sparse)
        ModelBuilder b(3, 0.01, vec({0, -9.81, 0}));
        ClothSpec c;
        c.name = "cloth";
        c.origin = vec({0, 0.003, 0});
        c.u = vec({0.2, 0, 0});
        c.v = vec({0, 0, 0.2});
        c.nu = 4;
        c.nv = 4;
        c.total_mass = 0.05;
        c.structural = 300;
        c.shear = 50;
        c.bending = 2;
        c.attachments = {{0, 0, Role::kHandle}, {3, 0, Role::kHandle}};
        add_cloth(b, c);
        ContactPlane table;
        table.point.head(3) = vec({0, 0, 0});
        table.normal.head(3) = vec({0, 1, 0});
        table.stiffness = 200;
        table.friction = 0.6;
        table.friction_smoothing = 0.01;
        b.contacts.push_back(table);
        b.solver.linear_solver = LinearSolverChoice::kSparse;
        b.solver.tolerance = 1e-14;
        out.push_back({"cloth on a table 3D sparse", b.build(), {{5, 13}}, 20});
    }
    return out;
}

} // namespace

TEST_CASE("trajectory_linearization: J v and J^T w equal the dense Jacobian's products and finite differences")
{
    int checked = 0;
    for (Case& c : cases()) {
        INFO(c.name);
        const Model& m = c.model;
        Simulator sim(m);
        std::mt19937_64 rng(11);
        const Eigen::MatrixXd a = random_actions(rng, m, c.steps, c.action_scale);
        const State z0 = nominal_state(m);
        std::vector<State> states;
        REQUIRE(rollout(sim, z0, a, states).converged);
        TrajectoryLinearization lin(sim, states);
        CHECK(lin.horizon() == c.steps);
        const Eigen::MatrixXd j = trajectory_jacobian(sim, states, c.sel);
        const Eigen::VectorXd zero = Eigen::VectorXd::Zero(m.n_x());
        for (int trial = 0; trial < 2; ++trial) { // twice: nothing carried over between sweeps
            const Eigen::MatrixXd da = random_actions(rng, m, c.steps, 1.0);
            Eigen::VectorXd ds = Eigen::VectorXd::Constant(j.rows(), 123.0); // every entry must be written
            lin.tangent(c.sel, da, ds);
            CHECK(ds.norm() > 1e-3);
            test::check_close(ds, Eigen::VectorXd(j * da.reshaped()), 1e-9);
            test::check_close(ds, trajectory_tangent(sim, states, c.sel, da, zero, zero), 1e-12);
            // directional check against central differences of the re-simulated rollout
            const double eps = 1e-6;
            const Eigen::VectorXd fd = (observe(sim, c.sel, z0, a + eps * da) - observe(sim, c.sel, z0, a - eps * da)) / (2 * eps);
            test::check_close(ds, fd, 2e-6);

            const Eigen::VectorXd w = test::random_vector(rng, j.rows());
            Eigen::MatrixXd bar_a = Eigen::MatrixXd::Constant(m.n_p(), c.steps, 123.0);
            lin.adjoint(c.sel, w, bar_a);
            CHECK(bar_a.norm() > 1e-3);
            test::check_close(Eigen::VectorXd(bar_a.reshaped()), Eigen::VectorXd(j.transpose() * w), 1e-9);
            test::check_close(bar_a, trajectory_adjoint(sim, states, c.sel, w).actions, 1e-12);
            // the exact transpose: w . (J da) == (J^T w) . da
            CHECK(test::close(w.dot(ds), bar_a.reshaped().dot(da.reshaped()), 1e-10));
        }
        ++checked;
    }
    CHECK(checked == 3);
}

TEST_CASE("trajectory_linearization: the dense steps' stored inverses give the factors' products")
{
    Case c = cases()[0]; // dense rope
    const Model& m = c.model;
    Simulator sim(m);
    std::mt19937_64 rng(5);
    const Eigen::MatrixXd a = random_actions(rng, m, c.steps, c.action_scale);
    std::vector<State> states;
    REQUIRE(rollout(sim, nominal_state(m), a, states).converged);
    const Eigen::MatrixXd j = trajectory_jacobian(sim, states, c.sel);
    TrajectoryLinearization lin(sim, states);
    const Eigen::MatrixXd da = random_actions(rng, m, c.steps, 1.0);
    const Eigen::VectorXd w = test::random_vector(rng, j.rows());
    Eigen::VectorXd ds_factor(j.rows()), ds_inverse = Eigen::VectorXd::Constant(j.rows(), 123.0);
    Eigen::MatrixXd bar_factor(m.n_p(), c.steps), bar_inverse = Eigen::MatrixXd::Constant(m.n_p(), c.steps, 123.0);
    lin.tangent(c.sel, da, ds_factor);
    lin.adjoint(c.sel, w, bar_factor);
    CHECK(!lin.uses_inverses());
    for (int k = 2; k < TrajectoryLinearization::kInverseAfterSweeps; ++k) lin.tangent(c.sel, da, ds_inverse);
    lin.tangent(c.sel, da, ds_inverse);
    REQUIRE(lin.uses_inverses()); // switched at the start of the last sweep
    lin.adjoint(c.sel, w, bar_inverse);
    CHECK(ds_inverse.norm() > 1e-3);
    test::check_close(ds_inverse, ds_factor, 1e-12);
    test::check_close(bar_inverse, bar_factor, 1e-12);
    test::check_close(ds_inverse, Eigen::VectorXd(j * da.reshaped()), 1e-9);
    // still the exact transpose
    CHECK(test::close(w.dot(ds_inverse), bar_inverse.reshaped().dot(da.reshaped()), 1e-10));
    // a sparse linearisation keeps its factors
    Case sparse = cases()[1];
    Simulator sparse_sim(sparse.model);
    std::vector<State> sparse_states;
    REQUIRE(rollout(sparse_sim, nominal_state(sparse.model), random_actions(rng, sparse.model, sparse.steps, 0.2), sparse_states).converged);
    TrajectoryLinearization sparse_lin(sparse_sim, sparse_states);
    Eigen::VectorXd sparse_ds(Eigen::Index(sparse.steps + 1) * sparse.sel.size(sparse.model));
    for (int k = 0; k < TrajectoryLinearization::kInverseAfterSweeps; ++k)
        sparse_lin.tangent(sparse.sel, Eigen::MatrixXd::Ones(sparse.model.n_p(), sparse.steps), sparse_ds);
    CHECK(!sparse_lin.uses_inverses());
}

TEST_CASE("trajectory_linearization: the multi-column tangent equals J times each column, columns begun late included")
{
    int checked = 0;
    for (Case& c : cases()) {
        INFO(c.name);
        const Model& m = c.model;
        Simulator sim(m);
        std::mt19937_64 rng(17);
        std::vector<State> states;
        REQUIRE(rollout(sim, nominal_state(m), random_actions(rng, m, c.steps, c.action_scale), states).converged);
        const Eigen::MatrixXd j = trajectory_jacobian(sim, states, c.sel);
        TrajectoryLinearization lin(sim, states);
        const Eigen::Index order = Eigen::Index(c.steps) * m.n_p();
        // columns that begin at steps 0, 3, 3, 7, 1 (out of order), one all zero, one full
        Eigen::MatrixXd da = Eigen::MatrixXd::Zero(order, 7);
        const int begins[] = {0, 3, 3, 7, 1};
        for (int k = 0; k < 5; ++k)
            da.col(k).tail(order - Eigen::Index(begins[k]) * m.n_p()) =
                test::random_vector(rng, order - Eigen::Index(begins[k]) * m.n_p());
        da.col(6) = test::random_vector(rng, order);
        // twice on dense models: with the factors, then after the switch to the inverses
        for (int pass = 0; pass < 2; ++pass) {
            Eigen::MatrixXd ds = Eigen::MatrixXd::Constant(j.rows(), da.cols(), 123.0); // every entry must be written
            lin.tangent_columns(c.sel, da, ds);
            test::check_close(ds, Eigen::MatrixXd(j * da), 1e-9);
            CHECK(ds.col(5).isZero(0));
            for (Eigen::Index k = 0; k < da.cols(); ++k) {
                Eigen::VectorXd single(j.rows());
                lin.tangent(c.sel, da.col(k).reshaped(m.n_p(), c.steps), single);
                test::check_close(Eigen::VectorXd(ds.col(k)), single, 1e-12);
            }
            for (int k = 0; k < TrajectoryLinearization::kInverseAfterSweeps; ++k) lin.tangent(c.sel, da.col(6).reshaped(m.n_p(), c.steps), ds.col(0));
        }
        ++checked;
    }
    CHECK(checked == 3);
}

TEST_CASE("trajectory_linearization: refuses a rollout that does not start at t = 0 and leaves the simulator as is")
{
    Case c = cases()[1]; // sparse rope, factorisation reuse on
    const Model& m = c.model;
    Simulator sim(m);
    std::mt19937_64 rng(3);
    const Eigen::MatrixXd a = random_actions(rng, m, c.steps, c.action_scale);
    std::vector<State> before, after;
    REQUIRE(rollout(sim, nominal_state(m), a, before).converged);
    const Eigen::MatrixXd j = trajectory_jacobian(sim, before, c.sel);
    {
        TrajectoryLinearization lin(sim, before);
        Eigen::VectorXd ds(j.rows());
        lin.tangent(c.sel, a, ds);
    }
    // the simulator's next rollout and derivatives are bit for bit those without the linearisation
    REQUIRE(rollout(sim, nominal_state(m), a, after).converged);
    for (std::size_t t = 0; t < before.size(); ++t) CHECK(after[t].x == before[t].x);
    CHECK(trajectory_jacobian(sim, before, c.sel) == j);

    std::vector<State> late(before.begin() + 1, before.end());
    CHECK_THROWS_AS(TrajectoryLinearization(sim, late), std::invalid_argument);
    CHECK_THROWS_AS(TrajectoryLinearization(sim, std::vector<State>(1, before[0])), std::invalid_argument);
}
