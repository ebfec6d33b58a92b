// The step objective over all energy terms: gradient, Hessian and every mixed product (handles,
// and each part of the state the step leaves) against finite differences, and each product's
// transpose against the product, with and without contact, BDF1 and BDF2, 2D and 3D.
#include "sim/bdf2.hpp"
#include "sim/step_energy.hpp"
#include "tests/fd.hpp"

#include <functional>

using namespace podsim;
using namespace podsim::sim;

using test::vec;

namespace {

Eigen::VectorXd pt(int dim, double x, double y, double z)
{
    return dim == 2 ? vec({x, y}) : vec({x, y, z});
}

// two free nodes on springs from a handle and to a fixed node, optionally over a frictional,
// damped plane they press into (a starts inside its smoothing zone, c below the plane)
Model model(int dim, bool contact)
{
    ModelBuilder b(dim, 0.01, pt(dim, 0, -9.81, 0));
    const int h = b.add_node("h", Role::kHandle, pt(dim, 0, 0.3, 0));
    const int a = b.add_node("a", Role::kFree, pt(dim, 0.1, -0.005, 0.05), 0.4);
    const int c = b.add_node("c", Role::kFree, pt(dim, 0.5, -0.048, -0.1), 0.6);
    const int f = b.add_node("f", Role::kFixed, pt(dim, 1.0, 0.2, 0));
    b.add_spring(h, a, 300, 0.25);
    b.add_spring(a, c, 200, 0.35);
    b.add_spring(c, f, 100, -1, SpringKind::kUnilateral);
    b.add_bend(h, a, c, 40); // a bending element through the handle (U_xp) and both free nodes
    if (contact) {
        ContactPlane plane;
        plane.point.head(dim) = pt(dim, 0, 0, 0);
        plane.normal.head(dim) = pt(dim, 0.1, 1, 0.05).normalized();
        plane.stiffness = 2000;
        plane.friction = 0.5;
        plane.smoothing = 0.01;
        plane.friction_smoothing = 0.05; // slip threshold 5e-4 m per step
        plane.damping_ratio = 0.7;
        b.contacts.push_back(plane);
    }
    return b.build();
}

// a state whose nodes slide (a) and stick (c) relative to their start positions
State state(const Model& m, int t, std::mt19937_64& rng)
{
    State z = nominal_state(m);
    z.t = t;
    z.v = test::random_vector(rng, m.n_x(), -0.3, 0.3);
    z.x_prev = z.x + test::random_vector(rng, m.n_x(), -0.003, 0.003);
    z.v_prev = test::random_vector(rng, m.n_x(), -0.3, 0.3);
    return z;
}

} // namespace

TEST_CASE("step energy: gradient, Hessian and mixed products match finite differences")
{
    int checks = 0;
    for (int dim : {2, 3})
        for (bool contact : {false, true})
            for (int t : {0, 3}) {
                INFO("dim " << dim << ", contact " << contact << ", t " << t);
                const Model m = model(dim, contact);
                const int nx = m.n_x(), np = m.n_p();
                BlockMatrix matrix;
                StepEnergy energy(m, matrix, false);
                std::mt19937_64 rng(50 + dim * 10 + t + contact);
                const State z = state(m, t, rng);
                Eigen::VectorXd q = m.nominal_positions();
                q.segment(nx, np) += test::random_vector(rng, np, -0.02, 0.02);
                // a start that slides against the end positions: a moves 3 mm, c 0.1 mm
                q.head(nx) = z.x;
                q.segment(0, dim) += pt(dim, 0.003, -0.001, 0.001);
                q.segment(dim, dim) += pt(dim, -1e-4, 0, 5e-5);

                StepContext ctx;
                energy.begin(z, ctx);
                auto gradient_at = [&](const Eigen::VectorXd& qq, const State& zz) {
                    StepContext c2;
                    energy.begin(zz, c2);
                    Eigen::VectorXd g;
                    energy.value_gradient(qq, c2, g);
                    return g;
                };
                Eigen::VectorXd g;
                energy.value_gradient(q, ctx, g);
                CHECK(g.norm() > 1e-3);

                // gradient and Hessian in x
                auto with_x = [&](const Eigen::VectorXd& x) {
                    Eigen::VectorXd qq = q;
                    qq.head(nx) = x;
                    return qq;
                };
                const Eigen::VectorXd g_fd = test::fd_gradient(
                    [&](const Eigen::VectorXd& x) {
                        Eigen::VectorXd gg;
                        return energy.value_gradient(with_x(x), ctx, gg);
                    },
                    q.head(nx), 1e-7);
                test::check_close(g, g_fd, 1e-6);
                energy.assemble_hessian(q, ctx, false, matrix);
                const Eigen::MatrixXd h = matrix.to_dense();
                const Eigen::MatrixXd h_fd = test::fd_jacobian(
                    [&](const Eigen::VectorXd& x) { return gradient_at(with_x(x), z); }, q.head(nx), 1e-7);
                test::check_close(h, h_fd, 1e-5);

                // handles: E_xp
                Eigen::MatrixXd e_xp = Eigen::MatrixXd::Zero(nx, np);
                energy.add_handle_product(q, ctx, 1, Eigen::MatrixXd::Identity(np, np), e_xp);
                const Eigen::MatrixXd e_xp_fd = test::fd_jacobian(
                    [&](const Eigen::VectorXd& p) {
                        Eigen::VectorXd qq = q;
                        qq.segment(nx, np) = p;
                        return gradient_at(qq, z);
                    },
                    q.segment(nx, np), 1e-7);
                test::check_close(e_xp, e_xp_fd, 1e-5);
                CHECK(e_xp.norm() > 1e-3);

                // each part of z: E_xz columns against differences of g
                const Eigen::MatrixXd zero = Eigen::MatrixXd::Zero(nx, nx), eye = Eigen::MatrixXd::Identity(nx, nx);
                const std::function<Eigen::VectorXd&(State&)> parts[] = {
                    [](State& s) -> Eigen::VectorXd& { return s.x; }, [](State& s) -> Eigen::VectorXd& { return s.v; },
                    [](State& s) -> Eigen::VectorXd& { return s.x_prev; },
                    [](State& s) -> Eigen::VectorXd& { return s.v_prev; }};
                for (int part = 0; part < 4; ++part) {
                    Eigen::MatrixXd e_xz = Eigen::MatrixXd::Zero(nx, nx);
                    const StateTangentView dz{part == 0 ? eye : zero, part == 1 ? eye : zero,
                                              part == 2 ? eye : zero, part == 3 ? eye : zero};
                    energy.add_state_product(q, ctx, 1, dz, e_xz);
                    State zz = z, z0 = z;
                    const Eigen::MatrixXd e_xz_fd = test::fd_jacobian(
                        [&](const Eigen::VectorXd& v) {
                            parts[part](zz) = v;
                            return gradient_at(q, zz);
                        },
                        parts[part](z0), 1e-7);
                    test::check_close(e_xz, e_xz_fd, 1e-5);
                    // BDF1 does not read the previous step; BDF2 reads all four parts
                    CHECK((e_xz.norm() > 1e-3) == (t > 0 || part < 2));
                    ++checks;
                }

                // transposes: w . (A u) == (A^T w) . u
                const Eigen::MatrixXd w = test::random_vector(rng, nx * 2).reshaped(nx, 2);
                const Eigen::MatrixXd up = test::random_vector(rng, np * 2).reshaped(np, 2);
                Eigen::MatrixXd a_up = Eigen::MatrixXd::Zero(nx, 2), at_w = Eigen::MatrixXd::Zero(np, 2);
                energy.add_handle_product(q, ctx, 0.7, up, a_up);
                energy.add_handle_product_transpose(q, ctx, 0.7, w, at_w);
                CHECK(test::close((w.transpose() * a_up).trace(), (at_w.transpose() * up).trace(), 1e-12));
                Eigen::MatrixXd u[4], bar[4], a_u = Eigen::MatrixXd::Zero(nx, 2);
                for (int part = 0; part < 4; ++part) {
                    u[part] = test::random_vector(rng, nx * 2).reshaped(nx, 2);
                    bar[part] = Eigen::MatrixXd::Zero(nx, 2);
                }
                energy.add_state_product(q, ctx, -1.3, {u[0], u[1], u[2], u[3]}, a_u);
                energy.add_state_product_transpose(q, ctx, -1.3, w, {bar[0], bar[1], bar[2], bar[3]});
                double reverse = 0;
                for (int part = 0; part < 4; ++part) reverse += (bar[part].transpose() * u[part]).trace();
                CHECK(test::close((w.transpose() * a_u).trace(), reverse, 1e-12));
            }
    CHECK(checks == 32);
}

TEST_CASE("step energy: with contact the start positions enter only through friction and damping")
{
    // a node pressed into a frictionless, undamped plane: E_xz is the inertia's -M dxhat alone
    for (const auto& [mu, zeta] : {std::pair{0.0, 0.0}, std::pair{0.4, 0.0}, std::pair{0.0, 1.0}}) {
        INFO("mu " << mu << ", damping ratio " << zeta);
        ModelBuilder b(2, 0.01, vec({0, -9.81}));
        b.add_node("n", Role::kFree, vec({0, -0.001}), 1.0, vec({0.2, 0}));
        ContactPlane plane;
        plane.point.setZero();
        plane.normal = Eigen::Vector3d(0, 1, 0);
        plane.stiffness = 1e4;
        plane.friction = mu;
        plane.damping_ratio = zeta;
        b.contacts.push_back(plane);
        const Model m = b.build();
        BlockMatrix matrix;
        StepEnergy energy(m, matrix, false);
        State z = nominal_state(m);
        StepContext ctx;
        energy.begin(z, ctx);
        Eigen::VectorXd q = m.nominal_positions();
        q[0] += 0.002; // slides 2 mm in the step
        const Eigen::MatrixXd eye = Eigen::MatrixXd::Identity(2, 2), zero = Eigen::MatrixXd::Zero(2, 2);
        Eigen::MatrixXd e_xz = Eigen::MatrixXd::Zero(2, 2);
        energy.add_state_product(q, ctx, 1, {eye, zero, zero, zero}, e_xz);
        const Eigen::MatrixXd inertia = -Eigen::MatrixXd(m.mass.asDiagonal());
        if (mu == 0 && zeta == 0)
            CHECK((e_xz - inertia).norm() == 0.0);
        else
            CHECK((e_xz - inertia).norm() > 1e-4);
    }
}
