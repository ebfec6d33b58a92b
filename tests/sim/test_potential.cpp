// Model-level potential energy: finite-difference checks, invariants and the free-block
// assembler in dense and sparse storage.
#include "sim/generators.hpp"
#include "sim/potential.hpp"
#include "tests/fd.hpp"

#include <Eigen/Eigenvalues>

using namespace podsim;
using namespace podsim::sim;

namespace {

// a small mixed model: 3 free nodes, a handle, a fixed node, springs, cables and bending elements
// of all pairings
Model mixed_model(int dim, bool with_gravity)
{
    Eigen::VectorXd g = Eigen::VectorXd::Zero(dim);
    if (with_gravity) g[1] = -9.81;
    ModelBuilder b(dim, 0.01, g);
    auto pt = [dim](double x, double y, double z) {
        Eigen::VectorXd p(dim);
        p[0] = x;
        p[1] = y;
        if (dim == 3) p[2] = z;
        return p;
    };
    const int h = b.add_node("h", Role::kHandle, pt(0, 0, 0));
    const int f = b.add_node("f", Role::kFixed, pt(1, 0.5, 0.2));
    const int a = b.add_node("a", Role::kFree, pt(0.1, -1, 0.1), 0.5);
    const int c = b.add_node("c", Role::kFree, pt(0.6, -1.3, -0.2), 0.7);
    const int d = b.add_node("d", Role::kFree, pt(1.1, -0.4, 0.3), 0.3);
    b.add_spring(h, a, 300, -1, SpringKind::kBilateral);
    b.add_spring(a, c, 200, 0.4, SpringKind::kBilateral);  // stretched
    b.add_spring(c, d, 150, 1.5, SpringKind::kBilateral);  // compressed
    b.add_spring(d, f, 100, 0.5, SpringKind::kUnilateral); // taut cable
    b.add_spring(a, d, 120, 3.0, SpringKind::kUnilateral); // slack cable
    b.add_spring(h, f, 50, -1, SpringKind::kBilateral);    // kinematic-only spring
    b.add_bend(h, a, c, 40);                               // bending elements with a handle,
    b.add_bend(a, c, d, 30);                               // between free nodes
    b.add_bend(c, d, f, 20);                               // and with a fixed node
    return b.build();
}

} // namespace

TEST_CASE("potential: gradient and Hessian match finite differences at nominal and random states")
{
    int checks = 0;
    for (int dim : {2, 3}) {
        const Model m = mixed_model(dim, true);
        std::mt19937_64 rng(100 + dim);
        for (int trial = 0; trial < 4; ++trial) {
            Eigen::VectorXd q = m.nominal_positions();
            if (trial > 0) q += test::random_vector(rng, q.size(), -0.1, 0.1);
            Eigen::VectorXd g;
            potential_energy_gradient(m, q, g);
            CHECK(g.norm() > 1.0);
            const Eigen::VectorXd g_fd =
                test::fd_gradient([&](const Eigen::VectorXd& y) { return potential_energy(m, y); }, q);
            test::check_close(g, g_fd, 1e-6);
            const Eigen::MatrixXd h = Eigen::MatrixXd(potential_energy_hessian(m, q, false));
            const Eigen::MatrixXd h_fd = test::fd_jacobian(
                [&](const Eigen::VectorXd& y) {
                    Eigen::VectorXd gy;
                    potential_energy_gradient(m, y, gy);
                    return gy;
                },
                q);
            test::check_close(h, h_fd, 1e-6);
            ++checks;
        }
    }
    CHECK(checks == 8);
}

TEST_CASE("potential: spring forces sum to zero and the Hessian annihilates translations")
{
    for (int dim : {2, 3}) {
        const Model m = mixed_model(dim, false);
        std::mt19937_64 rng(7 + dim);
        const Eigen::VectorXd q = m.nominal_positions() + test::random_vector(rng, m.n_nodes() * dim, -0.1, 0.1);
        Eigen::VectorXd g;
        potential_energy_gradient(m, q, g);
        const Eigen::MatrixXd h = Eigen::MatrixXd(potential_energy_hessian(m, q, false));
        for (int k = 0; k < dim; ++k) {
            double sum = 0;
            Eigen::VectorXd translation = Eigen::VectorXd::Zero(q.size());
            for (int i = 0; i < m.n_nodes(); ++i) {
                sum += g[i * dim + k];
                translation[i * dim + k] = 1;
            }
            CHECK(std::abs(sum) <= 1e-10);
            CHECK((h * translation).norm() <= 1e-10);
        }
    }
}

TEST_CASE("potential: free-block assembler matches the full Hessian, dense and sparse")
{
    for (int dim : {2, 3}) {
        const Model m = mixed_model(dim, true);
        std::mt19937_64 rng(3 + dim);
        const Eigen::VectorXd q = m.nominal_positions() + test::random_vector(rng, m.n_nodes() * dim, -0.1, 0.1);
        for (bool project : {false, true}) {
            const Eigen::MatrixXd full = Eigen::MatrixXd(potential_energy_hessian(m, q, project));
            const Eigen::MatrixXd expected = 2.5 * full.topLeftCorner(m.n_x(), m.n_x());
            for (bool sparse : {false, true}) {
                BlockMatrix a;
                const FreeHessianAssembler assembler(m, a, sparse);
                CHECK(a.is_sparse() == sparse);
                a.set_zero();
                assembler.add(m, q, 2.5, project, a);
                test::check_close(a.to_dense(), expected, 1e-14);
                CHECK(a.to_dense().norm() > 1.0);
            }
        }
    }
}

TEST_CASE("potential: projection makes the compressed-spring Hessian PSD")
{
    const Model m = mixed_model(3, false);
    const Eigen::VectorXd q = m.nominal_positions();
    const Eigen::MatrixXd exact = Eigen::MatrixXd(potential_energy_hessian(m, q, false));
    const Eigen::MatrixXd projected = Eigen::MatrixXd(potential_energy_hessian(m, q, true));
    CHECK(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(exact).eigenvalues().minCoeff() < -1.0);
    CHECK(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(projected).eigenvalues().minCoeff() >= -1e-9);
}

namespace {

// a flat nu x nv sheet of free nodes (no springs) with flexural rigidity D only
Model flexural_sheet(int nu, int nv, double flexural)
{
    ModelBuilder b(3, 0.01, Eigen::Vector3d::Zero());
    ClothSpec c;
    c.name = "sheet";
    c.origin = Eigen::Vector3d::Zero();
    c.u = Eigen::Vector3d(0.4, 0, 0);
    c.v = Eigen::Vector3d(0, 0.3, 0);
    c.nu = nu;
    c.nv = nv;
    c.total_mass = 0.1;
    c.flexural = flexural;
    add_cloth(b, c);
    return b.build();
}

} // namespace

TEST_CASE("potential: a cloth's flexural bending vanishes under rigid motions and is the plate energy D/2 kappa^2 of a bend")
{
    const double flexural = 2e-3;
    const int nu = 41, nv = 7;
    const Model m = flexural_sheet(nu, nv, flexural);
    REQUIRE(m.springs.empty());
    REQUIRE(m.bends.size() == std::size_t((nu - 2) * nv + nu * (nv - 2)));
    const double lu = 0.4 / (nu - 1), lv = 0.3 / (nv - 1);

    // a rotated and translated flat sheet: no energy, no force
    const Eigen::Matrix3d rotation = Eigen::AngleAxisd(0.7, Eigen::Vector3d(1, 2, 3).normalized()).toRotationMatrix();
    const Eigen::VectorXd q0 = m.nominal_positions();
    Eigen::VectorXd q = q0;
    for (int i = 0; i < m.n_nodes(); ++i) q.segment<3>(3 * i) = rotation * q0.segment<3>(3 * i) + Eigen::Vector3d(0.1, -2, 5);
    Eigen::VectorXd g;
    CHECK(std::abs(potential_energy_gradient(m, q, g)) <= 1e-20);
    CHECK(g.norm() <= 1e-10);

    // rolled isometrically onto a cylinder of radius R along u (curvature 1/R): every u-triple's
    // second difference has length 2 R (1 - cos(lu / R)) ~ lu^2 / R, so the energy is the plate's
    // D/2 kappa^2 over the triples' share (nu - 2) lu x nv lv of the sheet, up to O((lu / R)^2)
    const double radius = 0.25;
    for (int i = 0; i < m.n_nodes(); ++i) {
        const double s = q0[3 * i], y = q0[3 * i + 1];
        q.segment<3>(3 * i) = Eigen::Vector3d(radius * std::sin(s / radius), y, radius * (1 - std::cos(s / radius)));
    }
    const double plate = 0.5 * flexural / (radius * radius) * ((nu - 2) * lu) * (nv * lv);
    const double energy = potential_energy(m, q);
    CHECK(energy > 0);
    CHECK(std::abs(energy / plate - 1) <= (lu / radius) * (lu / radius));
    // halving the curvature quarters it
    for (int i = 0; i < m.n_nodes(); ++i) {
        const double s = q0[3 * i], y = q0[3 * i + 1];
        q.segment<3>(3 * i) = Eigen::Vector3d(2 * radius * std::sin(s / (2 * radius)), y, 2 * radius * (1 - std::cos(s / (2 * radius))));
    }
    CHECK(std::abs(potential_energy(m, q) / (plate / 4) - 1) <= (lu / radius) * (lu / radius));
    // the Hessian is constant and positive semi-definite
    const Eigen::MatrixXd h0 = Eigen::MatrixXd(potential_energy_hessian(m, q0, false));
    test::check_close(Eigen::MatrixXd(potential_energy_hessian(m, q, false)), h0, 1e-15);
    CHECK(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(h0).eigenvalues().minCoeff() >= -1e-9);
}
