// Sensitivities of whole rollouts: tangent vs adjoint vs central finite differences for every
// kind of element (bilateral, taut and slack cables, handles, plane contact with friction and
// damping, a landing through the damped contact, 2D and 3D), block structure of the
// trajectory Jacobian, initial-state Jacobian, and derivative calls leaving the simulator as is.
#include "sim/contact.hpp"
#include "sim/generators.hpp"
#include "sim/rollout.hpp"
#include "sim/sensitivity.hpp"
#include "sim/spring.hpp"
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
    double action_scale = 0.3;
    bool landing = false; ///< a node hits the plane: the damping must act along the normal
};

ContactPlane plane(const Eigen::VectorXd& point, const Eigen::VectorXd& normal, double k, double mu,
                   double friction_smoothing)
{
    ContactPlane c;
    c.point.head(point.size()) = point;
    c.normal.head(normal.size()) = normal.normalized();
    c.stiffness = k;
    c.friction = mu;
    c.friction_smoothing = friction_smoothing;
    return c;
}

Model finish(ModelBuilder& b)
{
    b.solver.tolerance = 1e-14;
    return b.build();
}

std::vector<Case> cases()
{
    std::vector<Case> out;
    { // 2D pendulum on a bilateral spring
        ModelBuilder b(2, 0.01, vec({0, -9.81}));
        const int h = b.add_node("h", Role::kHandle, vec({0, 0}));
        const int bob = b.add_node("bob", Role::kFree, vec({0.5, -0.85}), 1.0, vec({0.3, 0.1}));
        b.add_spring(h, bob, 2000, 1.0);
        out.push_back({"pendulum 2D", finish(b), {{0}}, 30});
    }
    { // 2D taut cable pendulum
        ModelBuilder b(2, 0.01, vec({0, -9.81}));
        const int h = b.add_node("h", Role::kHandle, vec({0, 0}));
        const int bob = b.add_node("bob", Role::kFree, vec({0.3, -1.0}), 0.5, vec({0.5, 0}));
        b.add_spring(h, bob, 3000, 1.0, SpringKind::kUnilateral);
        out.push_back({"taut cable 2D", finish(b), {{0}}, 30, 0.1});
    }
    { // slack cable: the bob flies inside the cable's reach, then a taut one holds a second bob
        ModelBuilder b(2, 0.01, vec({0, -1.0}));
        const int h = b.add_node("h", Role::kHandle, vec({0, 0}));
        const int bob = b.add_node("bob", Role::kFree, vec({0.2, -0.3}), 0.5, vec({0.2, 0.1}));
        const int other = b.add_node("other", Role::kFree, vec({-0.5, -0.6}), 0.5);
        b.add_spring(h, bob, 3000, 1.0, SpringKind::kUnilateral);
        b.add_spring(h, other, 3000, 0.7, SpringKind::kBilateral);
        out.push_back({"slack cable 2D", finish(b), {{0, 1}}, 20, 0.1});
    }
    { // 3D double pendulum, second link a cable, two handles with a spring between
        ModelBuilder b(3, 0.01, vec({0, -9.81, 0}));
        const int h = b.add_node("h", Role::kHandle, vec({0, 0, 0}));
        const int g = b.add_node("g", Role::kHandle, vec({0.4, 0.1, 0}));
        const int u = b.add_node("u", Role::kFree, vec({0.3, -0.6, 0.1}), 0.5, vec({0, 0, 0.5}));
        const int l = b.add_node("l", Role::kFree, vec({0.5, -1.2, 0.35}), 0.5);
        const int f = b.add_node("f", Role::kFixed, vec({1, 0, 0}));
        b.add_spring(h, u, 5000);
        b.add_spring(u, l, 5000, 0.6, SpringKind::kUnilateral);
        b.add_spring(g, u, 300);
        b.add_spring(f, l, 50, 0.5);
        out.push_back({"double pendulum 3D", finish(b), {{0, 1}}, 25});
    }
    { // 3D rope with bending springs (sparse path)
        ModelBuilder b(3, 0.01, vec({0, -9.81, 0}));
        const int h = b.add_node("h", Role::kHandle, vec({0, 0, 0}));
        RopeSpec r;
        r.name = "r";
        r.from = h;
        r.to = vec({0.6, -0.8, 0.1});
        r.segments = 30;
        r.node_mass = 0.02;
        r.stiffness = 3000;
        r.bending_stiffness = 30;
        add_rope(b, r);
        b.solver.linear_solver = LinearSolverChoice::kSparse;
        out.push_back({"rope 3D sparse", finish(b), {{29, 10}}, 15, 0.2});
    }
    { // 2D block thrown along a frictional floor on a spring from a handle: slides, then sticks
        ModelBuilder b(2, 0.01, vec({0, -9.81}));
        const int h = b.add_node("h", Role::kHandle, vec({0, 0.3}));
        const int block = b.add_node("block", Role::kFree, vec({0.3, -0.0005}), 1.0, vec({0.4, 0}));
        b.add_spring(h, block, 300);
        b.contacts.push_back(plane(vec({0, 0}), vec({0, 1}), 1e4, 0.5, 0.01));
        out.push_back({"block on a frictional floor 2D", finish(b), {{0}}, 30, 1.0});
    }
    { // 3D pendulum bob swinging into a tilted frictional plane, and a second bob resting on it
        ModelBuilder b(3, 0.01, vec({0, -9.81, 0}));
        const int h = b.add_node("h", Role::kHandle, vec({0, 0.5, 0}));
        const int bob = b.add_node("bob", Role::kFree, vec({0.3, 0.05, 0.1}), 0.5, vec({0.2, -0.8, 0.3}));
        const int rest = b.add_node("rest", Role::kFree, vec({-0.2, -0.0007, 0.1}), 0.3, vec({0.05, 0, -0.1}));
        b.add_spring(h, bob, 2000);
        b.add_spring(bob, rest, 100);
        b.contacts.push_back(plane(vec({0, 0, 0}), vec({0.1, 1, -0.2}), 5000, 0.4, 0.02));
        out.push_back({"bob hitting a tilted plane 3D", finish(b), {{0, 1}}, 30, 0.3});
    }
    { // 4x4 cloth held at two corners, lowered onto a table (sparse path)
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
        b.contacts.push_back(plane(vec({0, 0, 0}), vec({0, 1, 0}), 200, 0.6, 0.01));
        b.solver.linear_solver = LinearSolverChoice::kSparse;
        out.push_back({"cloth on a table 3D sparse", finish(b), {{5, 13}}, 20, 0.2});
    }
    { // 3D node on a soft spring from a handle thrown down onto a damped frictional floor: it
      // lands in the second step, slides and is stopped by friction
        ModelBuilder b(3, 0.01, vec({0, -9.81, 0}));
        const int h = b.add_node("h", Role::kHandle, vec({0, 0.4, 0}));
        const int node = b.add_node("node", Role::kFree, vec({0.2, 0.012, 0.1}), 0.3, vec({0.4, -1.2, 0.2}));
        b.add_spring(h, node, 50);
        ContactPlane floor = plane(vec({0, 0, 0}), vec({0, 1, 0}), 3000, 0.4, 0.01);
        floor.damping_ratio = 0.8;
        b.contacts.push_back(floor);
        out.push_back({"node landing on a damped floor 3D", finish(b), {{0}}, 40, 0.3, true});
    }
    return out;
}

// The whole-rollout checks along one rollout (states from z0 under a): the tangent in a random
// direction of the actions and the initial state against central differences of re-simulated
// rollouts, and the adjoint against the tangent (w . J u == (J^T w) . u).
void check_rollout_derivatives(Simulator& sim, const std::vector<State>& states, const StateSelection& sel,
                               const State& z0, const Eigen::MatrixXd& a, std::mt19937_64& rng)
{
    const Model& m = sim.model();
    const int steps = int(a.cols());
    const Eigen::MatrixXd da = random_actions(rng, m, steps, 1.0);
    const Eigen::VectorXd dx0 = test::random_vector(rng, m.n_x(), -0.01, 0.01);
    const Eigen::VectorXd dv0 = test::random_vector(rng, m.n_x(), -0.1, 0.1);
    const Eigen::VectorXd ds = trajectory_tangent(sim, states, sel, da, dx0, dv0);
    CHECK(ds.norm() > 1e-3);

    // central differences of the re-simulated rollout
    const double eps = 1e-6;
    State zp = z0, zm = z0;
    zp.x += eps * dx0;
    zp.v += eps * dv0;
    zm.x -= eps * dx0;
    zm.v -= eps * dv0;
    zp.x_prev = zp.x, zp.v_prev = zp.v, zm.x_prev = zm.x, zm.v_prev = zm.v;
    const Eigen::VectorXd fd = (observe(sim, sel, zp, a + eps * da) - observe(sim, sel, zm, a - eps * da)) / (2 * eps);
    test::check_close(ds, fd, 2e-6);

    // adjoint: w . (J u) == (J^T w) . u for a random cotangent w
    const Eigen::VectorXd w = test::random_vector(rng, ds.size());
    const TrajectoryGradient g = trajectory_adjoint(sim, states, sel, w);
    const double forward = w.dot(ds);
    const double reverse = g.actions.reshaped().dot(da.reshaped()) + g.x0.dot(dx0) + g.v0.dot(dv0);
    CHECK(test::close(forward, reverse, 1e-10));
    CHECK(g.actions.norm() > 1e-3);
}

} // namespace

TEST_CASE("sensitivity: tangent, adjoint and finite differences agree on whole rollouts")
{
    int checked = 0;
    for (Case& c : cases()) {
        INFO(c.name);
        const Model& m = c.model;
        Simulator sim(m);
        std::mt19937_64 rng(17);
        const Eigen::MatrixXd a = random_actions(rng, m, c.steps, c.action_scale);
        const State z0 = nominal_state(m);
        std::vector<State> states;
        REQUIRE(rollout(sim, z0, a, states).converged);
        if (!m.contacts.empty()) {
            // guard: the rollout really is in frictional contact for a good part of the horizon,
            // both sliding (faster than friction_smoothing) and not
            const ContactPlane& plane = m.contacts[0];
            int touching = 0, sliding = 0;
            for (std::size_t t = 1; t < states.size(); ++t)
                for (int i = 0; i < m.n_free; ++i) {
                    const Eigen::VectorXd n = plane.normal.head(m.dim), o = plane.point.head(m.dim);
                    if (n.dot(states[t].x_prev.segment(i * m.dim, m.dim) - o) >= plane.smoothing) continue;
                    ++touching;
                    Eigen::VectorXd w = states[t].x.segment(i * m.dim, m.dim) - states[t].x_prev.segment(i * m.dim, m.dim);
                    w -= n.dot(w) * n;
                    sliding += w.norm() > plane.friction_smoothing * m.dt;
                }
            CHECK(touching >= int(states.size()) / 3);
            CHECK(sliding > 0);
            CHECK(sliding < touching);
            if (c.landing) {
                // the damping acts: steps that start in contact and move along the normal by more
                // than a micrometre
                int damped = 0;
                for (std::size_t t = 1; t < states.size(); ++t) {
                    const Eigen::VectorXd n = plane.normal.head(m.dim), o = plane.point.head(m.dim);
                    const Eigen::VectorXd y = states[t].x_prev.head(m.dim), x = states[t].x.head(m.dim);
                    damped += damping_weight(n.dot(y - o), plane.smoothing) > 0 && std::abs(n.dot(x - y)) > 1e-6;
                }
                CHECK(damped >= 3);
            }
        }

        check_rollout_derivatives(sim, states, c.sel, z0, a, rng);
        ++checked;
    }
    CHECK(checked == 9);
}

TEST_CASE("sensitivity: the trajectory Jacobian is block lower triangular and matches tangents")
{
    int checked = 0;
    for (Case& c : cases()) {
        INFO(c.name);
        const Model& m = c.model;
        Simulator sim(m);
        std::mt19937_64 rng(5);
        const Eigen::MatrixXd a = random_actions(rng, m, c.steps, c.action_scale);
        std::vector<State> states;
        REQUIRE(rollout(sim, nominal_state(m), a, states).converged);
        const Eigen::MatrixXd j = trajectory_jacobian(sim, states, c.sel);
        const int ns = c.sel.size(m), na = m.n_p();
        REQUIRE(j.rows() == (c.steps + 1) * ns);
        REQUIRE(j.cols() == c.steps * na);
        // ds_t/da_k = 0 for k >= t, and the sub-diagonal blocks are not all zero
        double upper = 0, first_below = 0;
        for (int t = 0; t <= c.steps; ++t)
            for (int k = 0; k < c.steps; ++k) {
                const double block = j.block(t * ns, k * na, ns, na).norm();
                if (k >= t) upper += block;
                else if (k == t - 1) first_below += block;
            }
        CHECK(upper == 0.0);
        CHECK(first_below > 0.0);
        // J u equals the tangent for a random direction, and J^T w the adjoint
        const Eigen::MatrixXd da = random_actions(rng, m, c.steps, 1.0);
        const Eigen::VectorXd zero = Eigen::VectorXd::Zero(m.n_x());
        test::check_close(Eigen::VectorXd(j * da.reshaped()), trajectory_tangent(sim, states, c.sel, da, zero, zero), 1e-9);
        const Eigen::VectorXd w = test::random_vector(rng, j.rows());
        test::check_close(Eigen::VectorXd(j.transpose() * w), Eigen::VectorXd(trajectory_adjoint(sim, states, c.sel, w).actions.reshaped()), 1e-9);
        ++checked;
    }
    CHECK(checked == 9);
}

TEST_CASE("sensitivity: the initial-state Jacobian matches finite differences")
{
    Case c = cases()[3]; // 3D double pendulum
    const Model& m = c.model;
    Simulator sim(m);
    std::mt19937_64 rng(9);
    const Eigen::MatrixXd a = random_actions(rng, m, 10, 0.3);
    const State z0 = nominal_state(m);
    std::vector<State> states;
    REQUIRE(rollout(sim, z0, a, states).converged);
    const Eigen::MatrixXd j = initial_state_jacobian(sim, states, c.sel);
    const Eigen::VectorXd y0 = (Eigen::VectorXd(2 * m.n_x()) << z0.x, z0.v).finished();
    const Eigen::MatrixXd fd = test::fd_jacobian(
        [&](const Eigen::VectorXd& y) {
            State z = z0;
            z.x = y.head(m.n_x());
            z.v = y.tail(m.n_x());
            z.x_prev = z.x;
            z.v_prev = z.v;
            return observe(sim, c.sel, z, a);
        },
        y0);
    test::check_close(j, fd, 2e-6);
    CHECK(j.norm() > 1.0);
}

TEST_CASE("sensitivity: trajectory functions refuse a rollout that does not start at t = 0")
{
    Case c = cases()[0];
    const Model& m = c.model;
    Simulator sim(m);
    std::mt19937_64 rng(5);
    const Eigen::MatrixXd a = random_actions(rng, m, 6, 0.3);
    std::vector<State> states;
    REQUIRE(rollout(sim, nominal_state(m), a, states).converged);
    states.erase(states.begin()); // z_1 .. z_6: starts at t = 1
    const Eigen::MatrixXd da = a.rightCols(5);
    const Eigen::VectorXd zero = Eigen::VectorXd::Zero(m.n_x());
    const Eigen::VectorXd w = Eigen::VectorXd::Ones(6 * c.sel.size(m));
    CHECK_THROWS_AS(trajectory_tangent(sim, states, c.sel, da, zero, zero), std::invalid_argument);
    CHECK_THROWS_AS(trajectory_adjoint(sim, states, c.sel, w), std::invalid_argument);
    CHECK_THROWS_AS(trajectory_jacobian(sim, states, c.sel), std::invalid_argument);
    CHECK_THROWS_AS(initial_state_jacobian(sim, states, c.sel), std::invalid_argument);
    CHECK_THROWS_AS(trajectory_jacobian(sim, {}, c.sel), std::invalid_argument);
}

TEST_CASE("sensitivity: derivative calls leave the simulator and the rollout unchanged")
{
    Case c = cases()[4]; // rope, sparse, factorisation reuse on
    const Model& m = c.model;
    Simulator sim(m);
    std::mt19937_64 rng(3);
    const Eigen::MatrixXd a = random_actions(rng, m, c.steps, c.action_scale);
    std::vector<State> before, after;
    REQUIRE(rollout(sim, nominal_state(m), a, before).converged);
    const std::vector<State> copy = before;
    const Eigen::MatrixXd j1 = trajectory_jacobian(sim, before, c.sel);
    const Eigen::VectorXd w = test::random_vector(rng, j1.rows());
    const TrajectoryGradient g1 = trajectory_adjoint(sim, before, c.sel, w);
    REQUIRE(rollout(sim, nominal_state(m), a, after).converged);
    for (std::size_t t = 0; t < before.size(); ++t) {
        CHECK(after[t].x == copy[t].x);
        CHECK(before[t].x == copy[t].x);
    }
    CHECK(trajectory_jacobian(sim, before, c.sel) == j1);
    CHECK(trajectory_adjoint(sim, before, c.sel, w).actions == g1.actions);
}

TEST_CASE("sensitivity: one step's adjoint is the exact transpose of its tangent, and the tangent matches FD")
{
    for (Case& c : cases()) {
        INFO(c.name);
        const Model& m = c.model;
        Simulator sim(m);
        std::mt19937_64 rng(23);
        const Eigen::MatrixXd a = random_actions(rng, m, 3, c.action_scale);
        std::vector<State> states;
        REQUIRE(rollout(sim, nominal_state(m), a, states).converged);
        for (int t : {0, 2}) { // BDF1 and BDF2 steps
            const State& z = states[std::size_t(t)];
            const State& zn = states[std::size_t(t) + 1];
            auto random_tangent = [&](double scale) {
                StateTangent s = StateTangent::zero(m, 1);
                for (Eigen::MatrixXd* b : {&s.x, &s.v, &s.x_prev, &s.v_prev, &s.p})
                    *b = test::random_vector(rng, b->rows(), -scale, scale);
                return s;
            };
            const StateTangent dz = random_tangent(0.01);
            const Eigen::MatrixXd da = test::random_vector(rng, m.n_p(), -1, 1);
            StateTangent out;
            step_tangent(sim, z, zn, dz, da, out);
            const StateTangent bar = random_tangent(1.0);
            StateTangent bar_z = StateTangent::zero(m, 1);
            Eigen::MatrixXd bar_a = Eigen::MatrixXd::Zero(m.n_p(), 1);
            step_adjoint(sim, z, zn, bar, bar_z, bar_a);
            auto dot = [](const StateTangent& p, const StateTangent& q) {
                return (p.x.array() * q.x.array()).sum() + (p.v.array() * q.v.array()).sum() +
                       (p.x_prev.array() * q.x_prev.array()).sum() + (p.v_prev.array() * q.v_prev.array()).sum() +
                       (p.p.array() * q.p.array()).sum();
            };
            const double lhs = dot(bar, out);
            StateTangent dz_used = dz;
            if (t == 0) { // the BDF1 step does not read the previous-step slots
                dz_used.x_prev.setZero();
                dz_used.v_prev.setZero();
            }
            const double rhs = dot(bar_z, dz_used) + (bar_a.array() * da.array()).sum();
            CHECK(test::close(lhs, rhs, 1e-11));
            CHECK(std::abs(lhs) > 1e-4);

            // tangent of x' and v' against central differences of the step itself
            const double eps = 1e-6;
            auto step_with = [&](double s) {
                State zi = z;
                zi.x += s * dz.x.col(0);
                zi.v += s * dz.v.col(0);
                if (t > 0) {
                    zi.x_prev += s * dz.x_prev.col(0);
                    zi.v_prev += s * dz.v_prev.col(0);
                }
                zi.p += s * dz.p.col(0);
                State next;
                REQUIRE(sim.step(zi, a.col(t) + s * da.col(0), next).converged);
                Eigen::VectorXd y(2 * m.n_x() + m.n_p());
                y << next.x, next.v, next.p;
                return y;
            };
            Eigen::VectorXd analytic(2 * m.n_x() + m.n_p());
            analytic << out.x.col(0), out.v.col(0), out.p.col(0);
            test::check_close(analytic, Eigen::VectorXd((step_with(eps) - step_with(-eps)) / (2 * eps)), 1e-6);
        }
    }
}

TEST_CASE("sensitivity: a step ending at a saddle (springs compressed to half their length) has the "
          "derivative of its solution branch")
{
    // a node between two handles on springs of rest length 1 compressed to 0.5: transversally the
    // exact Hessian m + h^2 k (1 - L0 / l) is negative, along the axis positive; by symmetry
    // Newton stays on the axis, at a saddle of the step objective
    for (bool sparse : {false, true}) {
        INFO((sparse ? "sparse" : "dense"));
        ModelBuilder b(2, 0.01, vec({0, 0}));
        const int h1 = b.add_node("h1", Role::kHandle, vec({-0.5, 0}));
        const int h2 = b.add_node("h2", Role::kHandle, vec({0.5, 0}));
        const int n = b.add_node("n", Role::kFree, vec({0, 0}), 1.0);
        b.add_spring(h1, n, 1e5, 1.0);
        b.add_spring(n, h2, 1e5, 1.0);
        b.solver.linear_solver = sparse ? LinearSolverChoice::kSparse : LinearSolverChoice::kDense;
        const Model m = finish(b);
        Simulator sim(m);
        // the handles move along the axis only (x components of the actions)
        Eigen::MatrixXd a = Eigen::MatrixXd::Zero(m.n_p(), 3);
        a(0, 0) = 0.4;
        a(2, 0) = 0.1;
        a(0, 1) = -0.2;
        a(2, 2) = 0.3;
        std::vector<State> states;
        REQUIRE(rollout(sim, nominal_state(m), a, states).converged);
        for (int t : {0, 2}) {
            const State& z = states[std::size_t(t)];
            const State& zn = states[std::size_t(t) + 1];
            CHECK(std::abs(zn.x[1]) < 1e-12); // on the axis
            // symmetry-preserving directions: along the axis
            StateTangent dz = StateTangent::zero(m, 1);
            dz.x(0, 0) = 0.01;
            dz.v(0, 0) = -0.02;
            dz.p(0, 0) = 0.003;
            dz.p(2, 0) = -0.001;
            Eigen::MatrixXd da = Eigen::MatrixXd::Zero(m.n_p(), 1);
            da(0, 0) = 0.7;
            da(2, 0) = -0.4;
            StateTangent out;
            step_tangent(sim, z, zn, dz, da, out);
            CHECK(sim.exact_hessian_indefinite());
            const double eps = 1e-6;
            auto step_with = [&](double s) {
                State zi = z;
                zi.x += s * dz.x.col(0);
                zi.v += s * dz.v.col(0);
                zi.p += s * dz.p.col(0);
                State next;
                REQUIRE(sim.step(zi, a.col(t) + s * da.col(0), next).converged);
                Eigen::VectorXd y(2 * m.n_x());
                y << next.x, next.v;
                return y;
            };
            Eigen::VectorXd analytic(2 * m.n_x());
            analytic << out.x.col(0), out.v.col(0);
            CHECK(analytic.norm() > 1e-3);
            test::check_close(analytic, Eigen::VectorXd((step_with(eps) - step_with(-eps)) / (2 * eps)), 1e-6);

            // and the adjoint is the exact transpose of the tangent in every direction
            StateTangent bar = StateTangent::zero(m, 1), bar_z = StateTangent::zero(m, 1);
            bar.x = Eigen::MatrixXd::Random(m.n_x(), 1);
            bar.v = Eigen::MatrixXd::Random(m.n_x(), 1);
            Eigen::MatrixXd bar_a = Eigen::MatrixXd::Zero(m.n_p(), 1);
            step_adjoint(sim, z, zn, bar, bar_z, bar_a);
            const double lhs = (bar.x.array() * out.x.array()).sum() + (bar.v.array() * out.v.array()).sum();
            StateTangent dz_used = dz;
            const double rhs = (bar_z.x.array() * dz_used.x.array()).sum() + (bar_z.v.array() * dz_used.v.array()).sum() +
                               (bar_z.p.array() * dz_used.p.array()).sum() +
                               (t > 0 ? (bar_z.x_prev.array() * dz_used.x_prev.array()).sum() : 0.0) +
                               (bar_a.array() * da.array()).sum();
            CHECK(test::close(lhs, rhs, 1e-11));
        }
    }
}

namespace {

// a 5x5 cloth held at its top corners by handles
ClothSpec small_cloth()
{
    ClothSpec c;
    c.name = "cloth";
    c.origin = vec({0, 0, 0});
    c.u = vec({0.2, 0, 0});
    c.v = vec({0, -0.2, 0});
    c.nu = 5;
    c.nv = 5;
    c.total_mass = 0.05;
    c.structural = 500;
    c.shear = 100;
    c.bending = 5;
    c.attachments = {{0, 0, Role::kHandle}, {4, 0, Role::kHandle}};
    return c;
}

// 15 steps whose handles move towards each other
Eigen::MatrixXd pushing_actions(const Model& m, std::mt19937_64& rng)
{
    Eigen::MatrixXd a = random_actions(rng, m, 15, 0.05);
    a.row(0).array() += 0.2;
    a.row(3).array() -= 0.2;
    return a;
}

} // namespace

TEST_CASE("sensitivity: tangent, adjoint and finite differences agree through a compression-weak cloth pushed together")
{
    // a 5x5 cloth held at its top corners, whose handles push it together: its structural and
    // shear springs are compression-weak (ratio 0.05), and the rollout runs through their
    // transition band and below it
    ModelBuilder b(3, 0.01, vec({0, -9.81, 0}));
    ClothSpec c = small_cloth();
    c.compression = 0.05;
    add_cloth(b, c);
    const Model m = finish(b);
    Simulator sim(m);
    std::mt19937_64 rng(23);
    const Eigen::MatrixXd a = pushing_actions(m, rng);
    const State z0 = nominal_state(m);
    std::vector<State> states;
    REQUIRE(rollout(sim, z0, a, states).converged);

    // guard: weak springs were compressed inside the transition band and beyond it
    int in_band = 0, beyond = 0;
    for (std::size_t t = 1; t < states.size(); ++t) {
        Eigen::VectorXd q = m.nominal_positions();
        q.head(m.n_x()) = states[t].x;
        q.segment(m.n_x(), m.n_p()) = states[t].p;
        for (const Spring& s : m.springs) {
            if (s.compression == 1) continue;
            const double strain = (q.segment<3>(3 * s.i) - q.segment<3>(3 * s.j)).norm() / s.rest_length - 1;
            in_band += strain < 0 && strain > -kCompressionBand;
            beyond += strain < -kCompressionBand;
        }
    }
    CHECK(in_band > 0);
    CHECK(beyond > 0);

    check_rollout_derivatives(sim, states, StateSelection{{6, 12, 20}}, z0, a, rng); // 3 of the 23 free nodes
}

TEST_CASE("sensitivity: tangent, adjoint and finite differences agree through a cloth with flexural bending pushed together")
{
    // bending elements through the handles (the corners start u- and v-triples) and between
    // free nodes, without bending springs
    ModelBuilder b(3, 0.01, vec({0, -9.81, 0}));
    ClothSpec c = small_cloth();
    c.bending = 0;
    c.flexural = 1e-3;
    add_cloth(b, c);
    const Model m = finish(b);
    REQUIRE(m.bends.size() == 30);
    Simulator sim(m);
    std::mt19937_64 rng(29);
    const Eigen::MatrixXd a = pushing_actions(m, rng);
    const State z0 = nominal_state(m);
    std::vector<State> states;
    REQUIRE(rollout(sim, z0, a, states).converged);
    // guard: the sheet bent (its bending energy is far from zero)
    Eigen::VectorXd q = m.nominal_positions();
    q.head(m.n_x()) = states.back().x;
    q.segment(m.n_x(), m.n_p()) = states.back().p;
    double bending = 0;
    for (const Bend& e : m.bends)
        bending += 0.5 * e.stiffness * (q.segment<3>(3 * e.a) - 2 * q.segment<3>(3 * e.b) + q.segment<3>(3 * e.c)).squaredNorm();
    CHECK(bending > 1e-6);

    check_rollout_derivatives(sim, states, StateSelection{{6, 12, 20}}, z0, a, rng);
}
