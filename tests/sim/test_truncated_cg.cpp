// Steihaug-Toint truncated conjugate gradients: the interior solution, the Newton step in one
// iteration with the exact factorisation as preconditioner, the boundary in the preconditioner's
// norm, negative curvature followed to the boundary, and the reported model value and norm.
#include "sim/truncated_cg.hpp"

#include <doctest/doctest.h>
#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

using namespace podsim::sim;

namespace {

// a seeded symmetric matrix Q diag(eigenvalues) Q^T and a seeded vector
Eigen::MatrixXd symmetric(const Eigen::VectorXd& eigenvalues, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    const Eigen::Index n = eigenvalues.size();
    Eigen::MatrixXd a(n, n);
    for (Eigen::Index i = 0; i < a.size(); ++i) a.data()[i] = normal(rng);
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
    const Eigen::MatrixXd q = qr.householderQ();
    return q * eigenvalues.asDiagonal() * q.transpose();
}

Eigen::VectorXd random_vector(Eigen::Index n, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    Eigen::VectorXd v(n);
    for (Eigen::Index i = 0; i < n; ++i) v[i] = normal(rng);
    return v;
}

double model(const Eigen::MatrixXd& h, const Eigen::VectorXd& g, const Eigen::VectorXd& d)
{
    return g.dot(d) + 0.5 * d.dot(h * d);
}

constexpr double kInf = std::numeric_limits<double>::infinity();

} // namespace

TEST_CASE("truncated cg: inside the region it solves H d = -g, in one iteration with P = H")
{
    const Eigen::VectorXd eig = Eigen::VectorXd::LinSpaced(12, 0.5, 20.0);
    const Eigen::MatrixXd h = symmetric(eig, 1);
    const Eigen::VectorXd g = random_vector(12, 2);
    const Eigen::VectorXd newton = -h.llt().solve(g);
    const auto product = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out = h * v; };
    TruncatedCg cg(12);
    Eigen::VectorXd d;

    // P = I: conjugate gradients to the stopping residual
    const TruncatedCgResult plain = cg.solve(product, [](Eigen::VectorXd&) {}, g, kInf, 1e-12, 50, d);
    CHECK(plain.exit == TruncatedCgExit::kConverged);
    CHECK(plain.iterations > 1);
    CHECK((d - newton).norm() <= 1e-10 * newton.norm());
    CHECK(plain.model == doctest::Approx(model(h, g, d)).epsilon(1e-12));
    CHECK(plain.step_norm == doctest::Approx(d.norm()).epsilon(1e-10));

    // P = H: the first iterate is the Newton step
    const Eigen::LLT<Eigen::MatrixXd> llt(h);
    const auto exact = [&](Eigen::VectorXd& v) { v = llt.solve(v); };
    const TruncatedCgResult one = cg.solve(product, exact, g, kInf, 1e-10, 50, d);
    CHECK(one.exit == TruncatedCgExit::kConverged);
    CHECK(one.iterations == 1);
    CHECK((d - newton).norm() <= 1e-10 * newton.norm());
    // |d|_P = sqrt(d^T H d)
    CHECK(one.step_norm == doctest::Approx(std::sqrt(d.dot(h * d))).epsilon(1e-10));
}

TEST_CASE("truncated cg: a step longer than the radius ends on the boundary of the preconditioner's norm")
{
    const Eigen::VectorXd eig = Eigen::VectorXd::LinSpaced(10, 0.01, 5.0);
    const Eigen::MatrixXd h = symmetric(eig, 3);
    const Eigen::VectorXd g = random_vector(10, 4);
    // P: a positive definite diagonal, so the P-norm differs from the Euclidean one
    const Eigen::VectorXd p = Eigen::VectorXd::LinSpaced(10, 0.5, 3.0);
    const auto product = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out = h * v; };
    const auto precondition = [&](Eigen::VectorXd& v) { v = v.cwiseQuotient(p); };
    const double newton_norm = std::sqrt((h.llt().solve(g)).dot(p.cwiseProduct(h.llt().solve(g))));
    const double radius = 0.2 * newton_norm;
    TruncatedCg cg(10);
    Eigen::VectorXd d;
    const TruncatedCgResult r = cg.solve(product, precondition, g, radius, 1e-12, 50, d);
    CHECK(r.exit == TruncatedCgExit::kBoundary);
    CHECK(std::sqrt(d.dot(p.cwiseProduct(d))) == doctest::Approx(radius).epsilon(1e-10));
    CHECK(r.step_norm == doctest::Approx(radius).epsilon(1e-10));
    CHECK(r.model == doctest::Approx(model(h, g, d)).epsilon(1e-10));
    // at least the decrease of the preconditioned steepest-descent step cut to the radius
    const Eigen::VectorXd s = -g.cwiseQuotient(p);
    const double s_norm = std::sqrt(s.dot(p.cwiseProduct(s)));
    const double t_max = radius / s_norm;
    const double t_min = -g.dot(s) / s.dot(h * s);
    const Eigen::VectorXd cauchy = std::min(t_max, t_min) * s;
    CHECK(r.model < 0);
    CHECK(r.model <= model(h, g, cauchy) + 1e-12 * std::abs(model(h, g, cauchy)));
}

TEST_CASE("truncated cg: negative curvature is followed to the boundary")
{
    Eigen::VectorXd eig = Eigen::VectorXd::LinSpaced(8, 1.0, 4.0);
    eig[0] = -2.0;
    const Eigen::MatrixXd h = symmetric(eig, 5);
    const Eigen::VectorXd g = random_vector(8, 6);
    const auto product = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out = h * v; };
    const auto identity = [](Eigen::VectorXd&) {};
    TruncatedCg cg(8);
    Eigen::VectorXd d;

    // a finite radius: the step ends on it (there is no interior minimiser), lowering m
    const double radius = 10.0;
    const TruncatedCgResult r = cg.solve(product, identity, g, radius, 1e-12, 50, d);
    CHECK(r.exit == TruncatedCgExit::kNegativeCurvature);
    CHECK(d.norm() == doctest::Approx(radius).epsilon(1e-10));
    CHECK(r.step_norm == doctest::Approx(radius).epsilon(1e-10));
    CHECK(r.model == doctest::Approx(model(h, g, d)).epsilon(1e-10));
    CHECK(r.model < 0);

    // an infinite radius: the boundary becomes max(|d|_P, |P^-1 g|_P) = |g| at the first iterate
    // when the first direction already has negative curvature
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(h);
    const Eigen::VectorXd g1 = es.eigenvectors().col(0); // the eigenvalue -2
    const TruncatedCgResult inf = cg.solve(product, identity, g1, kInf, 1e-12, 50, d);
    CHECK(inf.exit == TruncatedCgExit::kNegativeCurvature);
    CHECK(inf.iterations == 1);
    CHECK(inf.radius == doctest::Approx(g1.norm()));
    CHECK((d + g1).norm() <= 1e-12); // d = -g, a descent direction
    CHECK(inf.model == doctest::Approx(model(h, g1, d)).epsilon(1e-12));
}
