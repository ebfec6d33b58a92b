// BDF2 stepper: optimality and exact Hessian of a step, order of accuracy, BDF1 start, settling,
// pendulum period, non-convergence reporting, dense vs sparse, no allocation per step, a buckling
// cloth within a tight iteration cap, and the nonlinear elimination on it.
#include "sim/bdf2.hpp"
#include "sim/generators.hpp"
#include "sim/rollout.hpp"
#include "tests/fd.hpp"
#include "tests/malloc_counter.hpp"

#include <cmath>

using namespace podsim;
using namespace podsim::sim;

using test::g_mallocs;
using test::vec;

namespace {

// E's gradient at x for the step leaving z (assembled independently of the simulator)
Eigen::VectorXd step_gradient(const Model& m, const State& z, const Eigen::VectorXd& a, const Eigen::VectorXd& x)
{
    const BdfCoefficients c = bdf_coefficients(z.t);
    const double h = m.dt;
    Eigen::VectorXd xhat = c.c_x * z.x + c.c_v * h * z.v;
    if (z.t > 0) xhat += c.c_xp * z.x_prev + c.c_vp * h * z.v_prev;
    Eigen::VectorXd q = m.nominal_positions();
    q.head(m.n_x()) = x;
    q.segment(m.n_x(), m.n_p()) = z.p + h * a;
    Eigen::VectorXd gu;
    potential_energy_gradient(m, q, gu);
    return m.mass.cwiseProduct(x - xhat) + c.c_gamma * h * h * gu.head(m.n_x());
}

// double pendulum in 3D hanging from a handle, with a cable
Model double_pendulum_3d_stop(LinearSolverChoice solver = LinearSolverChoice::kAuto)
{
    ModelBuilder b(3, 0.01, vec({0, -9.81, 0}));
    const int h = b.add_node("h", Role::kHandle, vec({0, 0, 0}));
    const int a = b.add_node("a", Role::kFree, vec({0.3, -0.9, 0.1}), 1.0, vec({0.5, 0, -0.3}));
    const int c = b.add_node("c", Role::kFree, vec({0.8, -1.5, 0.3}), 0.5, vec({0, 0.2, 0.4}));
    b.add_spring(h, a, 5000);
    b.add_spring(a, c, 3000, -1, SpringKind::kUnilateral);
    b.solver.linear_solver = solver;
    b.solver.tolerance = 1e-13;
    return b.build();
}

// one free node on a spring to a fixed node along x, no gravity: exact u = A cos(w t)
Model oscillator(double dt, double k, double mass, double rest, double amplitude)
{
    ModelBuilder b(2, dt, vec({0, 0}));
    const int f = b.add_node("anchor", Role::kFixed, vec({0, 0}));
    const int n = b.add_node("mass", Role::kFree, vec({rest + amplitude, 0}), mass);
    b.add_spring(f, n, k, rest);
    b.solver.tolerance = 1e-14;
    return b.build();
}

// an n x n-node, 0.5 m square cloth of 0.2 kg hanging in the plane z = 0 from its top row (j = 0)
ClothSpec square_cloth(int n, double bending)
{
    ClothSpec c;
    c.name = "cloth";
    c.origin = vec({0, 0, 0});
    c.u = vec({0.5, 0, 0});
    c.v = vec({0, -0.5, 0});
    c.nu = n;
    c.nv = n;
    c.total_mass = 0.2;
    c.structural = 2000;
    c.shear = 500;
    c.bending = bending;
    return c;
}

Model hanging_cloth(LinearSolverChoice solver)
{
    ModelBuilder b(3, 0.01, vec({0, -9.81, 0}));
    ClothSpec c = square_cloth(6, 50);
    for (int i = 0; i < c.nu; ++i) c.attachments.push_back({i, 0, Role::kFixed});
    add_cloth(b, c);
    b.solver.linear_solver = solver;
    return b.build();
}

} // namespace

TEST_CASE("bdf2: a converged step minimises E and its exact Hessian matches finite differences")
{
    const Model m = double_pendulum_3d_stop();
    Simulator sim(m);
    State z = nominal_state(m), z1, z2;
    const Eigen::VectorXd a = vec({0.3, -0.2, 0.1});
    int checks = 0;
    for (int step = 0; step < 2; ++step) { // BDF1 then BDF2
        State& in = step == 0 ? z : z1;
        State& out = step == 0 ? z1 : z2;
        const StepStatus s = sim.step(in, a, out);
        REQUIRE(s.converged);
        CHECK(s.iterations >= 1);
        const Eigen::VectorXd g = step_gradient(m, in, a, out.x);
        CHECK(g.lpNorm<Eigen::Infinity>() <= s.tolerance);
        // the analytic gradient used here matches FD of the simulator's objective
        const Eigen::VectorXd xt = out.x + vec({0.01, -0.02, 0.03, 0.02, 0.01, -0.01});
        const Eigen::VectorXd g_fd = test::fd_gradient(
            [&](const Eigen::VectorXd& x) { return sim.step_objective(in, a, x); }, xt);
        test::check_close(step_gradient(m, in, a, xt), g_fd, 1e-6);
        // exact Hessian at the solution vs FD Jacobian of the gradient
        REQUIRE(sim.factorize_exact_hessian(out));
        const Eigen::MatrixXd h = sim.exact_hessian().to_dense();
        const Eigen::MatrixXd h_fd = test::fd_jacobian(
            [&](const Eigen::VectorXd& x) { return step_gradient(m, in, a, x); }, out.x);
        test::check_close(h, h_fd, 1e-6);
        // solve_exact inverts it
        Eigen::MatrixXd rhs = h;
        sim.solve_exact(rhs);
        test::check_close(rhs, Eigen::MatrixXd::Identity(6, 6), 1e-9);
        ++checks;
    }
    CHECK(checks == 2);
}

TEST_CASE("bdf2: the first step is implicit Euler and later steps satisfy the BDF2 relations")
{
    const Model m = double_pendulum_3d_stop();
    Simulator sim(m);
    std::vector<State> states;
    const Eigen::MatrixXd actions = Eigen::MatrixXd::Constant(3, 4, 0.2);
    const RolloutStats stats = rollout(sim, nominal_state(m), actions, states);
    REQUIRE(stats.converged);
    REQUIRE(states.size() == 5);
    const double h = m.dt;
    auto forces = [&](const State& z) {
        Eigen::VectorXd q = m.nominal_positions();
        q.head(m.n_x()) = z.x;
        q.segment(m.n_x(), m.n_p()) = z.p;
        Eigen::VectorXd g;
        potential_energy_gradient(m, q, g);
        return Eigen::VectorXd(-g.head(m.n_x()));
    };
    // BDF1: x1 = x0 + h v1, v1 = v0 + h M^-1 f(x1)
    const State &z0 = states[0], &z1 = states[1];
    test::check_close(z1.x, z0.x + h * z1.v, 1e-12);
    test::check_close(z1.v, z0.v + h * forces(z1).cwiseQuotient(m.mass), 1e-9);
    test::check_close(z1.p, z0.p + h * actions.col(0), 1e-15);
    for (std::size_t t = 1; t + 1 < states.size(); ++t) {
        const State &a = states[t - 1], &b = states[t], &c = states[t + 1];
        // x_{t+1} - 4/3 x_t + 1/3 x_{t-1} = 2/3 h v_{t+1}
        test::check_close(Eigen::VectorXd(c.x - 4.0 / 3 * b.x + 1.0 / 3 * a.x), Eigen::VectorXd(2.0 / 3 * h * c.v), 1e-12);
        // v_{t+1} - 4/3 v_t + 1/3 v_{t-1} = 2/3 h M^-1 f(x_{t+1})
        test::check_close(Eigen::VectorXd(c.v - 4.0 / 3 * b.v + 1.0 / 3 * a.v),
                          Eigen::VectorXd(2.0 / 3 * h * forces(c).cwiseQuotient(m.mass)), 1e-9);
        CHECK(c.x_prev == b.x);
        CHECK(c.v_prev == b.v);
    }
}

TEST_CASE("bdf2: second-order accuracy on a linear oscillator (error falls ~4x per halving of dt)")
{
    const double k = 40, mass = 0.5, rest = 1.0, amplitude = 0.2, horizon = 2.0;
    const double w = std::sqrt(k / mass);
    std::vector<double> errors;
    for (int n : {100, 200, 400, 800}) {
        const Model m = oscillator(horizon / n, k, mass, rest, amplitude);
        Simulator sim(m);
        std::vector<State> states;
        REQUIRE(rollout(sim, nominal_state(m), Eigen::MatrixXd::Zero(0, n), states).converged);
        const State& z = states.back();
        const double u = z.x[0] - rest, v = z.v[0];
        const double err = std::hypot(u - amplitude * std::cos(w * horizon), (v + amplitude * w * std::sin(w * horizon)) / w);
        CHECK(std::abs(z.x[1]) <= 1e-12); // stays on the axis
        errors.push_back(err);
    }
    for (std::size_t i = 1; i < errors.size(); ++i) {
        const double ratio = errors[i - 1] / errors[i];
        INFO("dt halving " << i << ": error " << errors[i - 1] << " -> " << errors[i] << ", ratio " << ratio);
        CHECK(ratio > 3.6);
        CHECK(ratio < 4.4);
    }
}

TEST_CASE("bdf2: small-angle pendulum period matches 2 pi sqrt(L/g)")
{
    const double g = 9.81, mass = 1.0, k = 1e6, rest = 1.0, theta0 = 0.05, dt = 0.001;
    const double length = rest + mass * g / k; // static stretch
    ModelBuilder b(2, dt, vec({0, -g}));
    const int h = b.add_node("handle", Role::kHandle, vec({0, 0}));
    const int bob = b.add_node("bob", Role::kFree, vec({length * std::sin(theta0), -length * std::cos(theta0)}), mass);
    b.add_spring(h, bob, k, rest);
    const Model m = b.build();
    Simulator sim(m);
    State z = nominal_state(m), next;
    std::vector<double> crossings; // times of downward zero crossings of x
    const Eigen::VectorXd a = Eigen::VectorXd::Zero(2);
    for (int t = 0; t < 7000 && crossings.size() < 4; ++t) {
        REQUIRE(sim.step(z, a, next).converged);
        if (z.x[0] > 0 && next.x[0] <= 0) crossings.push_back(dt * (t + z.x[0] / (z.x[0] - next.x[0])));
        std::swap(z, next);
    }
    REQUIRE(crossings.size() == 4);
    const double period = (crossings[3] - crossings[0]) / 3;
    const double expected = 2 * M_PI * std::sqrt(length / g) * (1 + theta0 * theta0 / 16);
    CHECK(std::abs(period - expected) / expected < 1e-3);
}

TEST_CASE("bdf2: a hanging rope and a hanging cloth settle to static equilibrium")
{
    SUBCASE("rope")
    {
        ModelBuilder b(2, 0.02, vec({0, -9.81}));
        const int top = b.add_node("top", Role::kFixed, vec({0, 0}));
        RopeSpec r;
        r.name = "rope";
        r.from = top;
        r.to = vec({0, -1});
        r.segments = 10;
        r.node_mass = 0.05;
        r.stiffness = 20000;
        add_rope(b, r);
        const Model m = b.build();
        Simulator sim(m);
        std::vector<State> states;
        REQUIRE(rollout(sim, nominal_state(m), Eigen::MatrixXd::Zero(0, 500), states).converged);
        const State& z = states.back();
        CHECK(z.v.lpNorm<Eigen::Infinity>() < 1e-4);
        Eigen::VectorXd q = m.nominal_positions(), g;
        q.head(m.n_x()) = z.x;
        potential_energy_gradient(m, q, g);
        CHECK(g.head(m.n_x()).lpNorm<Eigen::Infinity>() < 1e-4 * 0.05 * 9.81 * 10);
        // the rope stretched under its own weight: the top segment carries all of it
        CHECK(z.x[m.n_x() - 1] < -1.0);
    }
    SUBCASE("cloth")
    {
        const Model m = hanging_cloth(LinearSolverChoice::kSparse);
        Simulator sim(m);
        CHECK(sim.uses_sparse_solver());
        std::vector<State> states;
        const RolloutStats stats = rollout(sim, nominal_state(m), Eigen::MatrixXd::Zero(0, 300), states);
        REQUIRE(stats.converged);
        CHECK(states.back().v.lpNorm<Eigen::Infinity>() < 1e-3);
    }
}

TEST_CASE("bdf2: dense and sparse solvers give the same trajectory")
{
    const Model dense = hanging_cloth(LinearSolverChoice::kDense);
    const Model sparse = hanging_cloth(LinearSolverChoice::kSparse);
    Simulator sd(dense), ss(sparse);
    CHECK(!sd.uses_sparse_solver());
    CHECK(ss.uses_sparse_solver());
    std::vector<State> a, b;
    REQUIRE(rollout(sd, nominal_state(dense), Eigen::MatrixXd::Zero(0, 30), a).converged);
    REQUIRE(rollout(ss, nominal_state(sparse), Eigen::MatrixXd::Zero(0, 30), b).converged);
    test::check_close(a.back().x, b.back().x, 1e-10);
    CHECK((a.back().x - nominal_state(dense).x).norm() > 1e-3); // it moved
}

TEST_CASE("bdf2: reusing factorisations changes cost, not results, and does not leak between rollouts")
{
    Model reuse = hanging_cloth(LinearSolverChoice::kSparse);
    reuse.solver.tolerance = 1e-12;
    Model fresh = reuse;
    fresh.solver.reuse_factorization = false;
    Simulator sr(reuse), sf(fresh);
    const Eigen::MatrixXd actions = Eigen::MatrixXd::Zero(0, 20);
    std::vector<State> a, b;
    const RolloutStats ra = rollout(sr, nominal_state(reuse), actions, a);
    const RolloutStats rb = rollout(sf, nominal_state(fresh), actions, b);
    REQUIRE(ra.converged);
    REQUIRE(rb.converged);
    CHECK(ra.factorizations < rb.factorizations);
    test::check_close(a.back().x, b.back().x, 1e-9);

    // a rollout gives bit-identical results on a used workspace and on a new one
    State other = nominal_state(reuse);
    other.x.array() += 0.01;
    std::vector<State> scratch, again;
    REQUIRE(rollout(sr, other, actions, scratch).converged);
    REQUIRE(rollout(sr, nominal_state(reuse), actions, again).converged);
    CHECK(again.back().x == a.back().x);
}

TEST_CASE("bdf2: non-convergence is reported with the step and the residual")
{
    ModelBuilder b(2, 0.05, vec({0, -9.81}));
    const int h = b.add_node("h", Role::kHandle, vec({0, 0}));
    const int n = b.add_node("n", Role::kFree, vec({1, 0}), 1.0);
    b.add_spring(h, n, 1e6);
    b.solver.max_iterations = 1;
    const Model m = b.build();
    Simulator sim(m);
    State z = nominal_state(m), next;
    const StepStatus s = sim.step(z, vec({1.5, 0.5}), next);
    CHECK(!s.converged);
    CHECK(s.residual > s.tolerance);
    const std::string msg = s.message(3);
    CHECK(msg.find("step 3: Newton did not converge") != std::string::npos);
    CHECK(msg.find("residual") != std::string::npos);
    // a converged step's message says so
    b.solver.max_iterations = 500;
    const Model m500 = b.build();
    Simulator sim500(m500);
    const StepStatus ok = sim500.step(z, vec({1.5, 0.5}), next);
    REQUIRE(ok.converged);
    CHECK(ok.message(4).find("step 4: Newton converged (residual") == 0);
    std::vector<State> states;
    const RolloutStats stats = rollout(sim, z, Eigen::MatrixXd::Constant(2, 5, 1.5), states);
    CHECK(!stats.converged);
    CHECK(stats.failed_step == 0);
}

TEST_CASE("bdf2: the allocation counter sees Eigen allocations")
{
    const long before = g_mallocs.load();
    Eigen::MatrixXd m(40, 40);
    m.setZero();
    const long made = g_mallocs.load() - before;
    MESSAGE("allocations counted by " << std::string(test::kMallocCounter));
    REQUIRE(test::malloc_counter_active());
    CHECK(made == 1);
}

TEST_CASE("bdf2: steps do not allocate after the first one (dense and sparse)")
{
    // dense: nothing at all. Sparse: assembly and solves allocate nothing, but CHOLMOD's numeric
    // factorisation builds permuted copies of the matrix and a supernodal workspace each time
    // (cholmod_ptranspose and cholmod_super_numeric inside cholmod_factorize_p, 10 blocks) and
    // libgomp allocates a team (aligned) for each of its parallel regions (26 on this cloth):
    // 36 blocks per factorisation measured, for 1, 2 and 4 threads, so allocations are bounded
    // per factorisation.
    for (LinearSolverChoice choice : {LinearSolverChoice::kDense, LinearSolverChoice::kSparse}) {
        const Model m = hanging_cloth(choice);
        Simulator sim(m);
        State z = nominal_state(m), next = z;
        const Eigen::VectorXd a = Eigen::VectorXd::Zero(0);
        REQUIRE(sim.step(z, a, next).converged);
        std::swap(z, next);
        bool converged = true;
        long factorizations = 0;
        const long before = g_mallocs.load();
        for (int t = 0; t < 5; ++t) {
            const StepStatus s = sim.step(z, a, next);
            converged = converged && s.converged;
            factorizations += s.factorizations;
            std::swap(z, next);
        }
        const long made = g_mallocs.load() - before; // read before any doctest macro
        REQUIRE(converged);
        INFO("sparse: " << (choice == LinearSolverChoice::kSparse) << ", factorisations " << factorizations);
        CHECK(factorizations > 0);
        if (choice == LinearSolverChoice::kDense)
            CHECK(made == 0);
        else
            CHECK(made <= 40 * factorizations);
    }
}

namespace {

// a 16x16-node, 0.5 m cloth like scenes/cloth_32.json (flat in z = 0, held at its top corners by
// two handles) whose handles push it together at 0.3 m/s each, with alternating out-of-plane
// pushes: it buckles out of its plane
Model pushed_cloth(int max_iterations, double flexural = 0)
{
    ModelBuilder b(3, 0.01, vec({0, -9.81, 0}));
    ClothSpec c = square_cloth(16, 20);
    c.flexural = flexural;
    c.attachments = {{0, 0, Role::kHandle}, {15, 0, Role::kHandle}};
    add_cloth(b, c);
    b.solver.max_iterations = max_iterations;
    return b.build();
}

Eigen::MatrixXd pushing_actions(int steps)
{
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(6, steps);
    for (int t = 0; t < steps; ++t) {
        const double w = 0.1 * double(t % 3 - 1); // -0.1, 0, 0.1 m/s out of the plane
        a.col(t) << 0.3, 0.05 * double(t % 2), w, -0.3, 0, -w;
    }
    return a;
}

} // namespace

TEST_CASE("bdf2: a cloth pushed together buckles and every step converges within a tight iteration cap")
{
    // the cap guards the inner conjugate gradients and the shrinking forcing term: with them
    // Newton takes 5.58 iterations per step here (7.25 and 11 at worst without the nonlinear
    // elimination); plain Newton needs 18.4, 36 at worst, and fails the cap at step 1
    // (docs/simulation.md, "Newton")
    const Model m = pushed_cloth(20);
    Simulator sim(m);
    const Eigen::MatrixXd actions = pushing_actions(40);
    State z = nominal_state(m), next;
    for (int t = 0; t < actions.cols(); ++t) {
        const StepStatus s = sim.step(z, actions.col(t), next);
        INFO(s.message(t));
        REQUIRE(s.converged);
        CHECK(s.residual <= s.tolerance);
        std::swap(z, next);
    }
    // it left its plane (buckled)
    double out_of_plane = 0;
    for (int i = 0; i < m.n_free; ++i) out_of_plane = std::max(out_of_plane, std::abs(z.x[3 * i + 2]));
    CHECK(out_of_plane > 0.01);
}

TEST_CASE("bdf2: flexural rigidity makes the buckling cloth cheaper for Newton")
{
    // the pushed cloth above with a plate bending energy: without one a compressed sheet has no
    // linear resistance to bending, its out-of-plane modes go soft at every wavelength at once
    // and Newton crawls through that flat landscape (docs/simulation.md, "Cloth bending").
    // D = 1.6e-2 N m on this 16x16 grid is cloth_32's 1e-3 N m on its 32x32 grid relative to the
    // nodes' inertia (k / m ~ D / L^4). Measured: 5.58 Newton iterations per step without it,
    // 4.175 at 1.6e-2 (7.25 and 5.10 without the nonlinear elimination)
    const Eigen::MatrixXd actions = pushing_actions(40);
    const auto mean_iterations = [&](double flexural) {
        const Model m = pushed_cloth(20, flexural);
        Simulator sim(m);
        State z = nominal_state(m), next;
        int iterations = 0;
        for (int t = 0; t < actions.cols(); ++t) {
            const StepStatus s = sim.step(z, actions.col(t), next);
            INFO(s.message(t));
            REQUIRE(s.converged);
            iterations += s.iterations;
            std::swap(z, next);
        }
        return double(iterations) / double(actions.cols());
    };
    const double plain = mean_iterations(0);
    const double flexural = mean_iterations(1.6e-2);
    // the bending Hessian reaches Newton: 4.175 measured, 4.6 allows 17 more iterations over the
    // 40 steps (another compiler's or BLAS's rounding) and fails well before the 5.58 without it
    CHECK(flexural <= 4.6);
    // the saving itself: 1.40 iterations per step measured (2.15 without the nonlinear
    // elimination, which cuts more of the plain cloth's iterations), at least 1 required
    CHECK(flexural <= plain - 1.0);
}

TEST_CASE("bdf2: nonlinear elimination cuts the buckling cloth's Newton iterations and keeps its steps")
{
    // the pushed cloth above, from every state of the rollout without nonlinear elimination
    // (SolverSettings::nonlinear_elimination): with it each step meets the same tolerance, lands
    // on the same solution (another local minimum of a buckled sheet would be millimetres to
    // centimetres away) and takes fewer Newton iterations
    const Model with = pushed_cloth(50);
    Model without = with;
    without.solver.nonlinear_elimination = false;
    Simulator a(without), b(with);
    const Eigen::MatrixXd actions = pushing_actions(40);
    State z = nominal_state(with), next_a, next_b;
    double worst = 0;
    int iterations_without = 0, iterations_with = 0, eliminated = 0;
    for (int t = 0; t < actions.cols(); ++t) {
        const StepStatus sa = a.step(z, actions.col(t), next_a);
        const StepStatus sb = b.step(z, actions.col(t), next_b);
        INFO(sa.message(t) << " / " << sb.message(t));
        REQUIRE(sa.converged);
        REQUIRE(sb.converged);
        CHECK(sb.residual <= sb.tolerance);
        CHECK(sa.eliminated == 0);
        worst = std::max(worst, (next_a.x - next_b.x).lpNorm<Eigen::Infinity>());
        iterations_without += sa.iterations;
        iterations_with += sb.iterations;
        eliminated += sb.eliminated;
        std::swap(z, next_a);
    }
    CHECK(eliminated > 0);
    // measured 1.0e-10 m apart at worst
    CHECK(worst <= 1e-7);
    // measured 223 against 290 iterations over the 40 steps (5.58 and 7.25 per step), with 222
    // steps on the eliminated nodes; 0.85 leaves 23 iterations of margin and fails well before
    // the count without it
    CHECK(double(iterations_with) <= 0.85 * double(iterations_without));
}
