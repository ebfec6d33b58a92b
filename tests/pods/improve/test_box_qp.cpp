// The small box QP of the box-DDP backward pass against brute-force enumeration of its faces.
#include "pods/improve/box_qp.hpp"
#include "tests/fd.hpp"

#include <Eigen/Cholesky>

#include <limits>

using namespace podsim;

namespace {

double objective(const Eigen::MatrixXd& h_mat, const Eigen::VectorXd& h, const Eigen::VectorXd& u)
{
    return 0.5 * u.dot(h_mat * u) + h.dot(u);
}

// the minimiser by enumerating every assignment free / at lo / at hi of the components (a
// convex QP's minimiser is the best feasible face minimiser)
Eigen::VectorXd brute_force(const Eigen::MatrixXd& h_mat, const Eigen::VectorXd& h, const Eigen::VectorXd& lo,
                            const Eigen::VectorXd& hi)
{
    const int m = int(h.size());
    int faces = 1;
    for (int i = 0; i < m; ++i) faces *= 3;
    Eigen::VectorXd best;
    double best_value = std::numeric_limits<double>::infinity();
    for (int code = 0; code < faces; ++code) {
        Eigen::VectorXd u = Eigen::VectorXd::Zero(m);
        std::vector<int> free;
        bool ok = true;
        for (int i = 0, c = code; i < m; ++i, c /= 3) {
            const int kind = c % 3;
            if (kind == 0 && lo[i] < hi[i]) free.push_back(i);
            else if (kind == 0) ok = false; // a fixed component is never free
            else {
                u[i] = kind == 1 ? lo[i] : hi[i];
                if (!std::isfinite(u[i])) ok = false;
            }
        }
        if (!ok) continue;
        const int nf = int(free.size());
        if (nf > 0) {
            Eigen::MatrixXd hff(nf, nf);
            Eigen::VectorXd rhs(nf);
            for (int a = 0; a < nf; ++a) {
                rhs[a] = -(h[free[a]] + h_mat.row(free[a]).dot(u));
                for (int b = 0; b < nf; ++b) hff(a, b) = h_mat(free[a], free[b]);
            }
            const Eigen::VectorXd y = hff.llt().solve(rhs);
            for (int a = 0; a < nf; ++a) u[free[a]] = y[a];
        }
        if (((u.array() < lo.array() - 1e-12) || (u.array() > hi.array() + 1e-12)).any()) continue;
        const double v = objective(h_mat, h, u);
        if (v < best_value) {
            best_value = v;
            best = u;
        }
    }
    return best;
}

} // namespace

TEST_CASE("box_qp: random small problems match brute-force enumeration and satisfy KKT")
{
    std::mt19937_64 rng(17);
    std::uniform_real_distribution<double> unit(0, 1);
    const double inf = std::numeric_limits<double>::infinity();
    int with_bounds = 0, with_free = 0;
    for (int trial = 0; trial < 300; ++trial) {
        const int m = 1 + trial % 4;
        const Eigen::MatrixXd root = test::random_vector(rng, m * m).reshaped(m, m);
        Eigen::MatrixXd h_mat = root * root.transpose();
        h_mat.diagonal().array() += 0.05;
        const Eigen::VectorXd h = 2 * test::random_vector(rng, m);
        Eigen::VectorXd lo(m), hi(m);
        for (int i = 0; i < m; ++i) {
            // unbounded, fixed at 0, on its lower bound at 0, or inside a box
            const double r = unit(rng);
            lo[i] = r < 0.1 ? -inf : r < 0.25 ? 0.0 : -unit(rng);
            hi[i] = r < 0.1 ? inf : r < 0.15 ? 0.0 : unit(rng);
        }
        INFO("trial " << trial);
        const pods::BoxQpResult r = pods::solve_box_qp(h_mat, h, lo, hi, 1e-12);
        REQUIRE(r.well_conditioned);
        test::check_close(r.u, brute_force(h_mat, h, lo, hi), 1e-9);
        // feasibility and the KKT signs: gradient zero on free, pointing out on bound components
        CHECK(((r.u.array() >= lo.array()) && (r.u.array() <= hi.array())).all());
        const Eigen::VectorXd g = h_mat * r.u + h;
        for (int i = 0; i < m; ++i) {
            if (!r.bound[i]) {
                CHECK(std::abs(g[i]) <= 1e-10);
                ++with_free;
            } else if (lo[i] < hi[i]) {
                CHECK((r.u[i] == lo[i] || r.u[i] == hi[i]));
                CHECK((r.u[i] == hi[i] ? -g[i] : g[i]) >= -1e-10);
                ++with_bounds;
            }
        }
    }
    CHECK(with_bounds > 50);
    CHECK(with_free > 50);
}

TEST_CASE("box_qp: infinite bounds give the Newton step, a singular block is reported")
{
    Eigen::MatrixXd h_mat(2, 2);
    h_mat << 2, 0.5, 0.5, 1;
    const Eigen::VectorXd h = test::vec({1, -3});
    const double inf = std::numeric_limits<double>::infinity();
    const Eigen::VectorXd lo = Eigen::VectorXd::Constant(2, -inf), hi = Eigen::VectorXd::Constant(2, inf);
    const pods::BoxQpResult r = pods::solve_box_qp(h_mat, h, lo, hi, 1e-12);
    test::check_close(r.u, Eigen::VectorXd(-h_mat.llt().solve(h)), 1e-14);
    CHECK(!r.bound.any());
    CHECK(r.iterations == 0);

    Eigen::MatrixXd singular(2, 2);
    singular << 1, 1, 1, 1;
    CHECK(!pods::solve_box_qp(singular, h, lo, hi, 1e-12).well_conditioned);
    // fixing one component leaves a regular 1 x 1 block
    const pods::BoxQpResult fixed = pods::solve_box_qp(singular, h, test::vec({0, -inf}), test::vec({0, inf}), 1e-12);
    CHECK(fixed.well_conditioned);
    CHECK(fixed.u[0] == 0.0);
    CHECK(fixed.u[1] == doctest::Approx(3.0));
    CHECK_THROWS_AS(pods::solve_box_qp(h_mat, h, test::vec({0.1, -1}), test::vec({1, 1}), 1e-12), std::invalid_argument);
}
