// The linear solvers behind Newton and the sensitivities, dense and sparse: Cholesky of positive
// definite matrices, the indefinite fallback (LU / LDL^T) solving to round-off, and a singular
// matrix refused.
#include "sim/linear_solver.hpp"

#include <doctest/doctest.h>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>

using namespace podsim::sim;

namespace {

// a symmetric 3-node chain matrix in 2D: diagonal blocks diag(d) + coupling c between neighbours
BlockMatrix chain(bool sparse, const Eigen::Vector2d& d0, double coupling)
{
    BlockMatrix a;
    a.init(3, 2, {{0, 1}, {1, 2}}, sparse);
    a.set_zero();
    for (int node = 0; node < 3; ++node) {
        Mat<2> block = Mat<2>::Zero();
        block.diagonal() = d0 + Eigen::Vector2d::Constant(node);
        block(0, 1) = block(1, 0) = 0.3;
        a.add<2>(a.diagonal_slot(node), block);
    }
    for (auto [r, c] : {std::pair{0, 1}, std::pair{1, 2}}) {
        const Mat<2> block = Mat<2>::Identity() * coupling;
        a.add<2>(a.slot(r, c), block);
        a.add<2>(a.slot(c, r), block);
    }
    return a;
}

} // namespace

TEST_CASE("linear solver: positive definite by Cholesky, indefinite by the fallback, singular refused")
{
    for (bool sparse : {false, true}) {
        INFO((sparse ? "sparse" : "dense"));
        const Eigen::MatrixXd b = Eigen::MatrixXd::Random(6, 3);

        // positive definite: Cholesky, no fallback
        const BlockMatrix pd = chain(sparse, {4, 5}, -1);
        LinearSolver s;
        s.analyze(pd);
        REQUIRE(s.factorize_symmetric(pd));
        CHECK_FALSE(s.indefinite());
        Eigen::MatrixXd x = b;
        s.solve_in_place(x);
        CHECK((pd.to_dense() * x - b).norm() < 1e-12 * b.norm());

        // indefinite (one negative diagonal entry dominates): Cholesky fails, the fallback solves
        const BlockMatrix ind = chain(sparse, {4, -3}, 0.5);
        REQUIRE(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(ind.to_dense()).eigenvalues().minCoeff() < -1);
        CHECK_FALSE(s.factorize(ind));
        REQUIRE(s.factorize_symmetric(ind));
        CHECK(s.indefinite());
        x = b;
        s.solve_in_place(x);
        CHECK((ind.to_dense() * x - b).norm() < 1e-12 * b.norm());
        Eigen::VectorXd v = b.col(0);
        s.solve_in_place(v);
        CHECK((ind.to_dense() * v - b.col(0)).norm() < 1e-12 * b.norm());

        // back to a positive definite matrix: Cholesky again
        REQUIRE(s.factorize_symmetric(pd));
        CHECK_FALSE(s.indefinite());

        // singular: node 0's first row and column are zero
        BlockMatrix sing = chain(sparse, {4, -3}, 0.5);
        {
            Mat<2> fix = Mat<2>::Zero();
            fix(0, 0) = -4;
            fix(0, 1) = fix(1, 0) = -0.3;
            sing.add<2>(sing.diagonal_slot(0), fix);
            Mat<2> cut = Mat<2>::Zero();
            cut(0, 0) = -0.5; // the coupling's (0,0) entry in both off-diagonal blocks
            sing.add<2>(sing.slot(0, 1), cut);
            sing.add<2>(sing.slot(1, 0), cut);
        }
        REQUIRE(Eigen::FullPivLU<Eigen::MatrixXd>(sing.to_dense()).rank() < 6);
        CHECK_FALSE(s.factorize_symmetric(sing));
    }
}
