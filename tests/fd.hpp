#pragma once
// Shared finite-difference helpers and the tolerance rule |a - b| <= tol * max(|a|, |b|, 1) used
// by every derivative test.

#include <Eigen/Core>
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <random>

namespace podsim::test {

/// A vector from a braced list: vec({0, -9.81}).
inline Eigen::VectorXd vec(std::initializer_list<double> values)
{
    Eigen::VectorXd out(Eigen::Index(values.size()));
    Eigen::Index i = 0;
    for (double x : values) out[i++] = x;
    return out;
}

/// True when |a - b| <= tol * max(|a|, |b|, 1).
inline bool close(double a, double b, double tol)
{
    return std::abs(a - b) <= tol * std::max({std::abs(a), std::abs(b), 1.0});
}

/// Element-wise close() for vectors / matrices of the same shape; the worst entry is reported.
template <typename A, typename B>
inline void check_close(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b, double tol)
{
    REQUIRE(a.rows() == b.rows());
    REQUIRE(a.cols() == b.cols());
    double worst = 0;
    Eigen::Index wr = 0, wc = 0;
    for (Eigen::Index c = 0; c < a.cols(); ++c)
        for (Eigen::Index r = 0; r < a.rows(); ++r) {
            const double scale = std::max({std::abs(a(r, c)), std::abs(b(r, c)), 1.0});
            const double err = std::abs(a(r, c) - b(r, c)) / scale;
            if (!(err <= worst)) { worst = err; wr = r; wc = c; }
        }
    INFO("worst entry (" << wr << ", " << wc << "): " << a(wr, wc) << " vs " << b(wr, wc));
    CHECK(worst <= tol);
}

/// Central-difference gradient of f at x with step eps.
inline Eigen::VectorXd fd_gradient(const std::function<double(const Eigen::VectorXd&)>& f,
                                   const Eigen::VectorXd& x, double eps = 1e-6)
{
    Eigen::VectorXd g(x.size());
    Eigen::VectorXd xp = x;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
        xp[i] = x[i] + eps;
        const double fp = f(xp);
        xp[i] = x[i] - eps;
        const double fm = f(xp);
        xp[i] = x[i];
        g[i] = (fp - fm) / (2 * eps);
    }
    return g;
}

/// Central-difference Jacobian of a vector function (columns = inputs).
inline Eigen::MatrixXd fd_jacobian(const std::function<Eigen::VectorXd(const Eigen::VectorXd&)>& f,
                                   const Eigen::VectorXd& x, double eps = 1e-6)
{
    Eigen::VectorXd xp = x;
    Eigen::MatrixXd j;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
        xp[i] = x[i] + eps;
        const Eigen::VectorXd fp = f(xp);
        xp[i] = x[i] - eps;
        const Eigen::VectorXd fm = f(xp);
        xp[i] = x[i];
        if (i == 0) j.resize(fp.size(), x.size());
        j.col(i) = (fp - fm) / (2 * eps);
    }
    return j;
}

/// Uniform random numbers in [lo, hi] from an explicitly seeded generator (never Eigen::Random).
inline Eigen::VectorXd random_vector(std::mt19937_64& rng, Eigen::Index n, double lo = -1, double hi = 1)
{
    std::uniform_real_distribution<double> u(lo, hi);
    Eigen::VectorXd v(n);
    for (Eigen::Index i = 0; i < n; ++i) v[i] = u(rng);
    return v;
}

/// A random unit vector.
inline Eigen::VectorXd random_direction(std::mt19937_64& rng, Eigen::Index n)
{
    Eigen::VectorXd v = random_vector(rng, n);
    return v / v.norm();
}

} // namespace podsim::test
