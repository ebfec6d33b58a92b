// Conjugate gradients on the free components: against a direct solve of the reduced system,
// warm starts, the iteration cap and a singular free block.
#include "pods/improve/conjugate_gradient.hpp"
#include "tests/fd.hpp"

#include <Eigen/Cholesky>

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
