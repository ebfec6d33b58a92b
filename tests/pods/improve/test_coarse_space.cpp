// The time coarse space and the deflated conjugate gradients: the hat basis, the deflated solve
// against the direct reduced solve (held components, warm starts, the iteration cap), its
// equivalence with CG preconditioned by the symmetric positive definite balancing
// preconditioner, the drop in iterations on the rope, the same bits on every call.
#include "pods/improve/coarse_space.hpp"
#include "pods/improve/improvement.hpp"
#include "tests/pods/improve/box_fixture.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>

using namespace podsim;

namespace {

using Mask = Eigen::Array<bool, Eigen::Dynamic, 1>;

// the direct solve of G_FF x_F = (b - G_FC x_C)_F, x_C kept
Eigen::VectorXd direct(const Eigen::MatrixXd& g, const Eigen::VectorXd& b, const Mask& fixed, Eigen::VectorXd x)
{
    std::vector<Eigen::Index> free;
    for (Eigen::Index i = 0; i < b.size(); ++i)
        if (!fixed[i]) free.push_back(i);
    const Eigen::VectorXd rhs = b - g * fixed.select(x.array(), 0.0).matrix();
    Eigen::MatrixXd gff(free.size(), free.size());
    Eigen::VectorXd rf(free.size());
    for (std::size_t a = 0; a < free.size(); ++a) {
        rf[Eigen::Index(a)] = rhs[free[a]];
        for (std::size_t c = 0; c < free.size(); ++c) gff(Eigen::Index(a), Eigen::Index(c)) = g(free[a], free[c]);
    }
    const Eigen::VectorXd xf = gff.llt().solve(rf);
    for (std::size_t a = 0; a < free.size(); ++a) x[free[a]] = xf[Eigen::Index(a)];
    return x;
}

} // namespace

TEST_CASE("coarse_space: the hat basis is a partition of unity ordered by first step")
{
    for (int spacing : {1, 3, 5, 7}) {
        INFO("spacing " << spacing);
        const int n = 23, na = 2;
        const Eigen::MatrixXd z = pods::time_hat_basis(n, na, spacing);
        const int nodes = (n - 1 + spacing - 1) / spacing + 1;
        REQUIRE(z.rows() == n * na);
        REQUIRE(z.cols() == nodes * na);
        CHECK(z.minCoeff() >= 0);
        test::check_close(Eigen::VectorXd(z.rowwise().sum()), Eigen::VectorXd::Ones(n * na), 1e-15);
        int previous = 0;
        for (Eigen::Index c = 0; c < z.cols(); ++c) {
            Eigen::Index first = 0;
            while (z(first, c) == 0) ++first;
            CHECK(first >= previous);
            previous = int(first);
            CHECK(first % na == c % na); // one action component per column
            // one at the node's own step (nodes inside the horizon)
            const Eigen::Index node_row = (c / na) * spacing * na + c % na;
            if (node_row < z.rows()) CHECK(z(node_row, c) == 1.0);
        }
    }
    // spacing 1: the identity
    CHECK(pods::time_hat_basis(4, 3, 1) == Eigen::MatrixXd::Identity(12, 12));
    CHECK_THROWS_AS(pods::time_hat_basis(0, 3, 2), std::invalid_argument);
    CHECK_THROWS_AS(pods::time_hat_basis(4, 3, 0), std::invalid_argument);
}

TEST_CASE("coarse_space: the deflated solve equals the direct reduced solve, held components and warm starts kept")
{
    int checked = 0;
    for (const char* file : {"rope_3d_stop.json", "double_pendulum_3d_stop.json"}) {
        INFO(std::string(file));
        const test::BoxFixture f = test::box_fixture(file, 30, 3, 0.3, 0.0);
        sim::Simulator sim(f.scene.model);
        sim::TrajectoryLinearization lin(sim, f.states);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
        std::mt19937_64 rng(8);
        for (double mu : {1e-2, 1.0})
            for (int spacing : {2, 5, 40}) {
                INFO("mu " << mu << ", spacing " << spacing);
                pods::GaussNewtonOperator g(lin, f.cost, mu);
                const Eigen::MatrixXd explicit_g = pods::gauss_newton_matrix(f.cost, j, 30, mu);
                const Eigen::VectorXd b = test::random_vector(rng, g.size());
                Mask fixed = Mask::Constant(g.size(), false);
                for (Eigen::Index i = 0; i < g.size(); i += 7) fixed[i] = true;
                pods::CgOptions o;
                o.tolerance = 1e-12;
                o.max_iterations = 10 * int(g.size());
                for (int warm = 0; warm < 2; ++warm) {
                    // fixed values and (warm) a start on the free components
                    Eigen::VectorXd x = fixed.select(test::random_vector(rng, g.size()).array(), 0.0).matrix();
                    if (warm) x += 0.1 * fixed.select(0.0, test::random_vector(rng, g.size()).array()).matrix();
                    const Eigen::VectorXd expected = direct(explicit_g, b, fixed, x);
                    const int before = g.products();
                    const pods::CgResult r = pods::deflated_conjugate_gradient(g, b, fixed, x, o, spacing);
                    CHECK(r.converged);
                    CHECK(r.coarse_columns > 0);
                    CHECK(r.iterations > 0);
                    CHECK(g.products() - before == r.iterations + 2); // the start: r_0 and, x != 0, b - G x
                    CHECK(fixed.select(x.array() - expected.array(), 0.0).cwiseAbs().maxCoeff() == 0.0);
                    test::check_close(x, expected, 1e-8 * expected.norm());
                }
            }
        ++checked;
    }
    CHECK(checked == 2);
}

TEST_CASE("coarse_space: deflated CG is CG preconditioned by the balancing preconditioner, which is symmetric positive definite")
{
    const test::BoxFixture f = test::box_fixture("rope_3d_stop.json", 40, 2, 0.3, 0.0);
    sim::Simulator sim(f.scene.model);
    sim::TrajectoryLinearization lin(sim, f.states);
    const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
    const double mu = 0.1;
    pods::GaussNewtonOperator g(lin, f.cost, mu);
    const Eigen::MatrixXd a = pods::gauss_newton_matrix(f.cost, j, 40, mu);
    const Eigen::MatrixXd z = pods::time_hat_basis(40, g.actions(), 4);
    const Eigen::MatrixXd e_inv = (z.transpose() * a * z).inverse();
    const Eigen::MatrixXd id = Eigen::MatrixXd::Identity(a.rows(), a.cols());
    // H = (I - Z E^-1 Z^T A) (I - A Z E^-1 Z^T) + Z E^-1 Z^T
    Eigen::MatrixXd h = (id - z * e_inv * z.transpose() * a) * (id - a * z * e_inv * z.transpose()) + z * e_inv * z.transpose();
    CHECK((h - h.transpose()).cwiseAbs().maxCoeff() < 1e-9 * h.cwiseAbs().maxCoeff());
    h = 0.5 * (h + h.transpose()).eval();
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(h);
    CHECK(eig.eigenvalues().minCoeff() > 0);
    // H A is the identity on span(Z)
    test::check_close(Eigen::MatrixXd(h * a * z), z, 1e-9);

    std::mt19937_64 rng(3);
    const Eigen::VectorXd b = test::random_vector(rng, g.size());
    const Mask none = Mask::Constant(g.size(), false);
    pods::CgOptions o;
    o.tolerance = 1e-10;
    Eigen::VectorXd deflated = Eigen::VectorXd::Zero(b.size());
    const pods::CgResult rd = pods::deflated_conjugate_gradient(g, b, none, deflated, o, 4);
    // the balancing-preconditioned CG from x_0 = Z E^-1 Z^T b
    const pods::LinearOperator apply = [&a](const Eigen::VectorXd& x, Eigen::VectorXd& y) { y = a * x; };
    const pods::LinearOperator precondition = [&h](const Eigen::VectorXd& r, Eigen::VectorXd& out) { out = h * r; };
    pods::CgOptions po = o;
    po.preconditioner = &precondition;
    Eigen::VectorXd balanced = z * e_inv * z.transpose() * b;
    const pods::CgResult rb = pods::masked_conjugate_gradient(apply, b, none, balanced, po);
    CHECK(rd.converged);
    CHECK(rb.converged);
    INFO("deflated " << rd.iterations << ", balancing " << rb.iterations);
    CHECK(std::abs(rd.iterations - rb.iterations) <= 1);
    test::check_close(deflated, balanced, 1e-8 * balanced.norm());
}

TEST_CASE("coarse_space: deflation cuts the rope's CG iterations by more than half, the same bits on every call and thread count")
{
    const test::BoxFixture f = test::box_fixture("rope_3d_stop.json", 80, 2, 0.3, 0.0);
    sim::Simulator sim(f.scene.model);
    sim::TrajectoryLinearization lin(sim, f.states);
    const Eigen::MatrixXd grad = pods::cost_gradient_linearized(lin, f.cost, f.states, f.actions);
    pods::GaussNewtonOperator g(lin, f.cost, 1.0);
    const Eigen::VectorXd b = -grad.reshaped();
    const Mask none = Mask::Constant(g.size(), false);
    pods::CgOptions o;
    const pods::LinearOperator apply = [&g](const Eigen::VectorXd& x, Eigen::VectorXd& y) { g.apply(x, y); };
    Eigen::VectorXd plain = Eigen::VectorXd::Zero(b.size()), deflated = plain, again = plain;
    const pods::CgResult rp = pods::masked_conjugate_gradient(apply, b, none, plain, o);
    const pods::CgResult rd = pods::deflated_conjugate_gradient(g, b, none, deflated, o, 5);
    const pods::CgResult ra = pods::deflated_conjugate_gradient(g, b, none, again, o, 5);
    INFO("plain " << rp.iterations << ", deflated " << rd.iterations);
    CHECK(rp.converged);
    CHECK(rd.converged);
    CHECK(2 * rd.iterations < rp.iterations);
    test::check_close(deflated, plain, 1e-6 * plain.norm());
    CHECK(ra.iterations == rd.iterations);
    CHECK(again == deflated);
    // and for any number of Eigen threads
    const int threads = Eigen::nbThreads();
    for (int t : {1, 2}) {
        Eigen::setNbThreads(t);
        Eigen::VectorXd x = Eigen::VectorXd::Zero(b.size());
        pods::deflated_conjugate_gradient(g, b, none, x, o, 5);
        CHECK(x == deflated);
    }
    Eigen::setNbThreads(threads);
}
