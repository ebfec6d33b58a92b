// Conjugate gradients on the free components: against a direct solve of the reduced system,
// warm starts, the iteration cap, a singular free block, and preconditioned by the
// limited-memory preconditioner of an earlier solve.
#include "pods/improve/conjugate_gradient.hpp"
#include "tests/fd.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>

#include <cmath>

using namespace podsim;

namespace {

// a seeded SPD matrix with condition number about 1e3
Eigen::MatrixXd spd(std::mt19937_64& rng, int n)
{
    const Eigen::MatrixXd b = test::random_vector(rng, Eigen::Index(n) * n).reshaped(n, n);
    Eigen::MatrixXd a = b * b.transpose() / n;
    a.diagonal().array() += 1e-3 * a.diagonal().maxCoeff();
    return a;
}

pods::LinearOperator product(const Eigen::MatrixXd& a, int& calls)
{
    return [&a, &calls](const Eigen::VectorXd& x, Eigen::VectorXd& y) {
        y = a * x;
        ++calls;
    };
}

} // namespace

TEST_CASE("conjugate_gradient: the masked solve equals the direct reduced solve, fixed components kept")
{
    std::mt19937_64 rng(4);
    const int n = 40;
    const Eigen::MatrixXd a = spd(rng, n);
    const Eigen::VectorXd b = test::random_vector(rng, n);
    Eigen::Array<bool, Eigen::Dynamic, 1> fixed = Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(n, false);
    for (int i = 0; i < n; i += 4) fixed[i] = true;
    const Eigen::VectorXd start = test::random_vector(rng, n);
    // reference: A_FF x_F = (b - A_FC x_C)_F by Cholesky
    std::vector<int> free;
    for (int i = 0; i < n; ++i)
        if (!fixed[i]) free.push_back(i);
    const int nf = int(free.size());
    Eigen::MatrixXd aff(nf, nf);
    Eigen::VectorXd rhs(nf);
    for (int r = 0; r < nf; ++r) {
        rhs[r] = b[free[std::size_t(r)]];
        for (int j = 0; j < n; ++j)
            if (fixed[j]) rhs[r] -= a(free[std::size_t(r)], j) * start[j];
        for (int c = 0; c < nf; ++c) aff(r, c) = a(free[std::size_t(r)], free[std::size_t(c)]);
    }
    const Eigen::VectorXd xf = aff.llt().solve(rhs);
    for (bool warm : {false, true}) {
        INFO("warm start " << warm);
        Eigen::VectorXd x = start;
        if (!warm)
            for (int i = 0; i < n; ++i)
                if (!fixed[i]) x[i] = 0;
        int calls = 0;
        pods::CgOptions o;
        o.tolerance = 1e-12;
        o.max_iterations = 10 * n;
        const pods::CgResult r = pods::masked_conjugate_gradient(product(a, calls), b, fixed, x, o);
        CHECK(r.converged);
        CHECK(!r.zero_curvature);
        CHECK(r.iterations > 0);
        CHECK(calls == r.iterations + 1);
        CHECK(r.relative_residual <= 1e-12);
        for (int i = 0; i < n; ++i)
            if (fixed[i]) CHECK(x[i] == start[i]);
        Eigen::VectorXd x_free(nf);
        for (int r2 = 0; r2 < nf; ++r2) x_free[r2] = x[free[std::size_t(r2)]];
        test::check_close(x_free, xf, 1e-9);
    }
}

TEST_CASE("conjugate_gradient: a truncated solve lowers the quadratic, a singular free block is flagged")
{
    std::mt19937_64 rng(8);
    const int n = 30;
    const Eigen::MatrixXd a = spd(rng, n);
    const Eigen::VectorXd b = test::random_vector(rng, n);
    const Eigen::Array<bool, Eigen::Dynamic, 1> none = Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(n, false);
    const auto model = [&](const Eigen::VectorXd& x) { return 0.5 * x.dot(a * x) - b.dot(x); };
    double previous = 0;
    for (int cap : {1, 2, 5}) {
        Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
        int calls = 0;
        pods::CgOptions o;
        o.tolerance = 1e-14;
        o.max_iterations = cap;
        const pods::CgResult r = pods::masked_conjugate_gradient(product(a, calls), b, none, x, o);
        CHECK(r.iterations == cap);
        CHECK(!r.converged);
        CHECK(model(x) < previous); // every iterate lowers the quadratic further
        previous = model(x);
    }
    // A = 0 on the free set: zero curvature at the first direction, the start returned
    const Eigen::MatrixXd zero = Eigen::MatrixXd::Zero(n, n);
    Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
    int calls = 0;
    const pods::CgResult r = pods::masked_conjugate_gradient(product(zero, calls), b, none, x, pods::CgOptions{});
    CHECK(r.zero_curvature);
    CHECK(r.iterations == 0);
    CHECK(x.norm() == 0.0);
    // nothing free, or a zero right-hand side: nothing to do, no product
    calls = 0;
    const Eigen::Array<bool, Eigen::Dynamic, 1> all = Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(n, true);
    CHECK(pods::masked_conjugate_gradient(product(a, calls), b, all, x, pods::CgOptions{}).converged);
    CHECK(pods::masked_conjugate_gradient(product(a, calls), Eigen::VectorXd::Zero(n), none, x, pods::CgOptions{}).converged);
    CHECK(calls == 0);
}

TEST_CASE("conjugate_gradient: the preconditioned masked solve equals the direct one, and needs fewer iterations")
{
    std::mt19937_64 rng(12);
    const int n = 60;
    // A = V diag(lambda) V^T with 20 large eigenvalues (10..1e4) above a cluster at 1, as the
    // Gauss-Newton matrix J^T Q J + c I
    const Eigen::MatrixXd v = Eigen::HouseholderQR<Eigen::MatrixXd>(test::random_vector(rng, Eigen::Index(n) * n).reshaped(n, n))
                                  .householderQ();
    Eigen::VectorXd lambda = Eigen::VectorXd::Ones(n) + 0.1 * test::random_vector(rng, n, 0.0, 1.0);
    for (int i = 0; i < 20; ++i) lambda[i] = std::pow(10.0, 1.0 + 3.0 * i / 19.0);
    const Eigen::MatrixXd a = v * lambda.asDiagonal() * v.transpose();
    const Eigen::VectorXd b = test::random_vector(rng, n);
    Eigen::Array<bool, Eigen::Dynamic, 1> fixed = Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(n, false);
    for (int i = 0; i < n; i += 7) fixed[i] = true;
    // the first solve keeps its leading directions
    int calls = 0;
    pods::CgHistory history;
    history.capacity = 12;
    pods::CgOptions first;
    first.tolerance = 1e-12;
    first.max_iterations = 10 * n;
    first.history = &history;
    Eigen::VectorXd x0 = Eigen::VectorXd::Zero(n);
    const pods::CgResult r0 = pods::masked_conjugate_gradient(product(a, calls), b, fixed, x0, first);
    REQUIRE(r0.converged);
    REQUIRE(r0.iterations > history.capacity);
    CHECK(history.kept() == history.capacity);
    for (int k = 0; k < history.kept(); ++k) CHECK(fixed.select(history.s.col(k).array(), 0.0).cwiseAbs().maxCoeff() == 0.0);
    const pods::LimitedMemoryPreconditioner h(history);
    REQUIRE(h.pairs() > 0);
    const pods::LinearOperator m = [&h](const Eigen::VectorXd& r, Eigen::VectorXd& z) { h.apply(r, z); };
    // a second solve on fewer free components, with and without the preconditioner
    Eigen::Array<bool, Eigen::Dynamic, 1> fewer = fixed;
    for (int i = 3; i < n; i += 11) fewer[i] = true;
    const Eigen::VectorXd start = fewer.select(test::random_vector(rng, n).array(), 0.0).matrix();
    Eigen::VectorXd plain = start, preconditioned = start;
    pods::CgOptions o;
    o.tolerance = 1e-12;
    o.max_iterations = 10 * n;
    const pods::CgResult rp = pods::masked_conjugate_gradient(product(a, calls), b, fewer, plain, o);
    o.preconditioner = &m;
    calls = 0;
    const pods::CgResult rm = pods::masked_conjugate_gradient(product(a, calls), b, fewer, preconditioned, o);
    CHECK(rp.converged);
    CHECK(rm.converged);
    CHECK(calls == rm.iterations + 1);
    CHECK(rm.iterations < rp.iterations);
    test::check_close(preconditioned, plain, 1e-9);
    for (int i = 0; i < n; ++i)
        if (fewer[i]) CHECK(preconditioned[i] == start[i]);
    // the residual of the reduced system is zero on the free components
    const Eigen::VectorXd residual = fewer.select(0.0, (b - a * preconditioned).array()).matrix();
    CHECK(residual.norm() <= 1e-10 * b.norm());
}

TEST_CASE("conjugate_gradient: the limited-memory preconditioner maps A s back to s and is symmetric positive definite")
{
    std::mt19937_64 rng(14);
    const int n = 30;
    const Eigen::MatrixXd a = spd(rng, n);
    pods::CgHistory history;
    history.capacity = 5;
    history.s = test::random_vector(rng, Eigen::Index(n) * 5).reshaped(n, 5);
    history.y = a * history.s;
    const pods::LimitedMemoryPreconditioner h(history);
    REQUIRE(h.pairs() == 5);
    Eigen::MatrixXd dense(n, n);
    Eigen::VectorXd column(n);
    for (int i = 0; i < n; ++i) {
        h.apply(Eigen::VectorXd::Unit(n, i), column);
        dense.col(i) = column;
    }
    test::check_close(dense, Eigen::MatrixXd(dense.transpose()), 1e-12);
    CHECK(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(0.5 * (dense + dense.transpose())).eigenvalues().minCoeff() > 0);
    test::check_close(Eigen::MatrixXd(dense * history.y), history.s, 1e-9);
    // pairs whose S^T Y is not positive definite are dropped from the end (y_5 = -A s_5)
    history.y.col(4) = -history.y.col(4);
    CHECK(pods::LimitedMemoryPreconditioner(history).pairs() == 4);
    // no pairs: the identity
    const pods::LimitedMemoryPreconditioner none{pods::CgHistory{}};
    CHECK(none.pairs() == 0);
    const Eigen::VectorXd r = test::random_vector(rng, n);
    Eigen::VectorXd out = Eigen::VectorXd::Constant(n, 123.0);
    none.apply(r, out);
    CHECK(out == r);
}
