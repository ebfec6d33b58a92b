// Largest singular values of one-step and accumulated transitions (see growth.hpp).
#include "pods/diagnose/growth.hpp"

#include <Eigen/SVD>

#include <algorithm>

#include <cassert>
#include <cmath>
#include <limits>

namespace podsim::pods {

namespace {

// the dense path: a values-only SVD (BDCSVD falls back to Jacobi for small matrices)
double dense_sigma(const Eigen::MatrixXd& m) { return Eigen::BDCSVD<Eigen::MatrixXd>(m).singularValues()[0]; }

// Golub-Kahan-Lanczos bidiagonalisation with full reorthogonalisation: after k steps
// A V_k = U_k B_k and sigma_1(B_k) <= sigma_1(A) converges from below; stop when the residual of
// the top Ritz pair, beta_k |e_k^T p_1| (p_1 the top left singular vector of B_k), is below
// kLanczosTolerance sigma_1(B_k), or when the Krylov space is exhausted
double lanczos_sigma(const Eigen::MatrixXd& a)
{
    const Eigen::Index rows = a.rows(), cols = a.cols(), full = std::min(rows, cols);
    const Eigen::Index max_k = std::min<Eigen::Index>(full, kLanczosMaxSteps);
    Eigen::MatrixXd u(rows, max_k), v(cols, max_k + 1);
    Eigen::MatrixXd b = Eigen::MatrixXd::Zero(max_k, max_k);
    // a fixed start vector: deterministic results
    for (Eigen::Index i = 0; i < cols; ++i) v(i, 0) = 1.0 + 0.5 * std::sin(double(i + 1));
    v.col(0).normalize();
    double beta = 0;
    for (Eigen::Index k = 0; k < max_k; ++k) {
        // u_k = (A v_k - beta_{k-1} u_{k-1}) / alpha_k, reorthogonalised twice
        Eigen::VectorXd w = a * v.col(k);
        if (k > 0) w -= beta * u.col(k - 1);
        for (int pass = 0; pass < 2; ++pass) w -= u.leftCols(k) * (u.leftCols(k).transpose() * w);
        const double alpha = w.norm();
        b(k, k) = alpha;
        if (!(alpha > 0)) return dense_sigma(b.topLeftCorner(k + 1, k + 1)); // invariant subspace
        u.col(k) = w / alpha;
        // v_{k+1} = (A^T u_k - alpha_k v_k) / beta_k
        Eigen::VectorXd z = a.transpose() * u.col(k) - alpha * v.col(k);
        for (int pass = 0; pass < 2; ++pass) z -= v.leftCols(k + 1) * (v.leftCols(k + 1).transpose() * z);
        beta = z.norm();
        // the top Ritz value and its residual, every step at first, then every 4th
        const bool last = !(beta > 0) || k + 1 == full;
        if (last || k < 8 || k % 4 == 3) {
            const Eigen::JacobiSVD<Eigen::MatrixXd> svd(b.topLeftCorner(k + 1, k + 1), Eigen::ComputeFullU);
            const double sigma = svd.singularValues()[0];
            if (last || beta * std::abs(svd.matrixU()(k, 0)) <= kLanczosTolerance * sigma) return sigma;
        }
        v.col(k + 1) = z / beta;
        if (k + 1 < max_k) b(k, k + 1) = beta;
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
