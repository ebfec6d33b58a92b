// Largest singular values of one-step and accumulated transitions (see growth.hpp).
#include "pods/diagnose/growth.hpp"

#include <Eigen/Eigenvalues>
#include <Eigen/SVD>

#include <algorithm>

#include <cassert>
#include <cmath>
#include <limits>
#include <random>

namespace podsim::pods {

namespace {

// the dense path: a values-only SVD (BDCSVD falls back to Jacobi for small matrices)
double dense_sigma(const Eigen::MatrixXd& m) { return Eigen::BDCSVD<Eigen::MatrixXd>(m).singularValues()[0]; }

// Golub-Kahan-Lanczos bidiagonalisation with full reorthogonalisation: after k steps
// A V_k = U_k B_k, and sigma_1(B_k) <= sigma_1(A) grows to it from below. sigma_1(B_k) is the
// square root of the largest eigenvalue of the tridiagonal B_k^T B_k (O(k^2), relative accuracy
// eps for the largest one). Stop when it has stopped changing (relative change at most
// kLanczosTolerance between two checks two steps apart) or the Krylov space is exhausted. The
// start vector is pseudo-random from a fixed seed: deterministic, and not orthogonal to a
// symmetric mode by construction.
double lanczos_sigma(const Eigen::MatrixXd& a)
{
    const Eigen::Index rows = a.rows(), cols = a.cols(), full = std::min(rows, cols);
    const Eigen::Index max_k = std::min<Eigen::Index>(full, kLanczosMaxSteps);
    Eigen::MatrixXd u(rows, max_k), v(cols, max_k + 1);
    Eigen::VectorXd alpha(max_k), beta(max_k);
    std::mt19937_64 rng(20261201);
    std::uniform_real_distribution<double> uniform(-1, 1);
    for (Eigen::Index i = 0; i < cols; ++i) v(i, 0) = uniform(rng);
    v.col(0).normalize();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> tridiagonal;
    Eigen::VectorXd diagonal, off_diagonal;
    double previous = -1;
    for (Eigen::Index k = 0; k < max_k; ++k) {
        // u_k = (A v_k - beta_{k-1} u_{k-1}) / alpha_k, reorthogonalised twice
        Eigen::VectorXd w = a * v.col(k);
        if (k > 0) w -= beta[k - 1] * u.col(k - 1);
        for (int pass = 0; pass < 2; ++pass) w -= u.leftCols(k) * (u.leftCols(k).transpose() * w);
        alpha[k] = w.norm();
        const bool breakdown = !(alpha[k] > 0); // invariant subspace: B_k holds the answer
        if (!breakdown) u.col(k) = w / alpha[k];
        // v_{k+1} = (A^T u_k - alpha_k v_k) / beta_k
        Eigen::VectorXd z = breakdown ? Eigen::VectorXd::Zero(cols) : Eigen::VectorXd(a.transpose() * u.col(k) - alpha[k] * v.col(k));
        for (int pass = 0; pass < 2; ++pass) z -= v.leftCols(k + 1) * (v.leftCols(k + 1).transpose() * z);
        beta[k] = z.norm();
        const bool last = breakdown || !(beta[k] > 0) || k + 1 == full;
        if (last || k % 2 == 1) {
            // B^T B: diagonal alpha_i^2 + beta_{i-1}^2, off-diagonal alpha_i beta_i
            const Eigen::Index n = k + 1;
            diagonal = alpha.head(n).cwiseAbs2();
            diagonal.tail(n - 1) += beta.head(n - 1).cwiseAbs2();
            off_diagonal = alpha.head(n - 1).cwiseProduct(beta.head(n - 1));
            tridiagonal.computeFromTridiagonal(diagonal, off_diagonal, Eigen::EigenvaluesOnly);
            const double sigma = std::sqrt(std::max(tridiagonal.eigenvalues()[n - 1], 0.0));
            if (last || std::abs(sigma - previous) <= kLanczosTolerance * sigma) return sigma;
            previous = sigma;
        }
        v.col(k + 1) = z / beta[k];
    }
    return dense_sigma(a); // not converged within kLanczosMaxSteps
}

} // namespace

double largest_singular_value(const Eigen::MatrixXd& m)
{
    if (m.size() == 0) return 0;
    if (std::min(m.rows(), m.cols()) <= kDenseSigmaMaxSize) return dense_sigma(m);
    return lanczos_sigma(m);
}

GrowthAccumulator::GrowthAccumulator(int n) : m_product(Eigen::MatrixXd::Identity(n, n)), m_next(n, n) {}

void GrowthAccumulator::push(const Eigen::MatrixXd& a)
{
    assert(a.rows() == m_product.cols() && a.cols() == m_product.cols());
    ++m_steps;
    if (!std::isfinite(m_log_scale)) return; // the product vanished (stays zero) or is not finite
    m_next.noalias() = m_product * a;
    std::swap(m_product, m_next);
    // renormalise: Phi = e^c M with |M|_F = 1
    const double norm = m_product.norm();
    if (!std::isfinite(norm)) { // a non-finite transition: nothing more can be said
        m_log_scale = m_log_sigma = std::numeric_limits<double>::quiet_NaN();
        return;
    }
    if (norm == 0) {
        m_log_scale = m_log_sigma = -std::numeric_limits<double>::infinity();
        return;
    }
    m_product /= norm;
    m_log_scale += std::log(norm);
    m_log_sigma = m_log_scale + std::log(largest_singular_value(m_product));
}

} // namespace podsim::pods
