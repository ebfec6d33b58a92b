// Largest singular values of one-step and accumulated maps against a dense Jacobi SVD of the
// explicitly multiplied product, including products that grow or shrink by many decades.
#include "pods/diagnose/growth.hpp"
#include "tests/fd.hpp"

#include <Eigen/QR>
#include <Eigen/SVD>

#include <cmath>
#include <limits>
#include <vector>

using namespace podsim;

namespace {

double jacobi_sigma(const Eigen::MatrixXd& m) { return Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues()[0]; }

} // namespace

TEST_CASE("diagnose growth: largest_singular_value equals a Jacobi SVD's, small and large matrices")
{
    std::mt19937_64 rng(1);
    for (int n : {1, 5, 40}) {
        const Eigen::MatrixXd a = test::random_vector(rng, n * n).reshaped(n, n);
        CHECK(test::close(pods::largest_singular_value(a), jacobi_sigma(a), 1e-13));
    }
    CHECK(pods::largest_singular_value(Eigen::MatrixXd()) == 0);
}

TEST_CASE("diagnose growth: the accumulated sigma_1 of Phi(N, t) = A_{N-1} ... A_t matches the explicit product for every t")
{
    std::mt19937_64 rng(2);
    const int n = 6, steps = 30;
    for (double gain : {0.5, 1.0, 3.0}) { // shrinking, neutral-ish and growing products
        std::vector<Eigen::MatrixXd> a;
        for (int t = 0; t < steps; ++t) a.push_back(gain * test::random_vector(rng, n * n).reshaped(n, n) / std::sqrt(double(n)));
        pods::GrowthAccumulator acc(n);
        Eigen::MatrixXd product = Eigen::MatrixXd::Identity(n, n);
        int checks = 0;
        for (int t = steps - 1; t >= 0; --t) {
            acc.push(a[std::size_t(t)]);
            product = product * a[std::size_t(t)];
            CHECK(acc.steps() == steps - t);
            CHECK(test::close(acc.log_sigma(), std::log(jacobi_sigma(product)), 1e-12));
            ++checks;
        }
        CHECK(checks == steps);
    }
}

TEST_CASE("diagnose growth: products beyond the double range keep their logarithm, a vanishing product gives -infinity")
{
    const int n = 3, steps = 400;
    // diag(10, 1, 0.5)^400 overflows: ln sigma_1 = 400 ln 10
    const Eigen::MatrixXd a = Eigen::Vector3d(10, 1, 0.5).asDiagonal();
    pods::GrowthAccumulator grow(n), shrink(n), zero(n);
    for (int t = 0; t < steps; ++t) {
        grow.push(a);
        shrink.push(a / 100);
    }
    CHECK(test::close(grow.log_sigma(), steps * std::log(10.0), 1e-12));
    CHECK(test::close(shrink.log_sigma(), steps * std::log(0.1), 1e-12));
    CHECK(test::close(pods::finite_time_lyapunov(grow.log_sigma(), steps, 0.01), std::log(10.0) / 0.01, 1e-12));
    zero.push(a);
    zero.push(Eigen::MatrixXd::Zero(n, n));
    CHECK(zero.log_sigma() == -std::numeric_limits<double>::infinity());
    zero.push(a);
    CHECK(zero.log_sigma() == -std::numeric_limits<double>::infinity());
    CHECK(zero.steps() == 3);
}

TEST_CASE("diagnose growth: the Lanczos path for large matrices equals a Jacobi SVD, clustered and graded spectra included")
{
    std::mt19937_64 rng(3);
    const int n = 3 * pods::kDenseSigmaMaxSize;
    int checks = 0;
    const Eigen::MatrixXd random = test::random_vector(rng, n * n).reshaped(n, n);
    // an orthogonal matrix: every singular value is 1 (a fully degenerate top)
    const Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(random).householderQ();
    Eigen::VectorXd graded(n), pair(n);
    for (int i = 0; i < n; ++i) {
        graded[i] = std::pow(10.0, -12.0 * i / n);
        pair[i] = i < 2 ? 5.0 : 4.999 * std::pow(0.9, i);
    }
    for (const Eigen::MatrixXd& m : {random, Eigen::MatrixXd(q), Eigen::MatrixXd(q * graded.asDiagonal() * random),
                                     Eigen::MatrixXd(q * pair.asDiagonal()),
                                     Eigen::MatrixXd(random.leftCols(n / 2 + 7))}) {
        CHECK(test::close(pods::largest_singular_value(m), jacobi_sigma(m), 1e-12));
        ++checks;
    }
    CHECK(checks == 5);
}
