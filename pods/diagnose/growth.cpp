// Largest singular values of one-step and accumulated transitions (see growth.hpp).
#include "pods/diagnose/growth.hpp"

#include <Eigen/SVD>

#include <cassert>
#include <cmath>
#include <limits>

namespace podsim::pods {

double largest_singular_value(const Eigen::MatrixXd& m)
{
    if (m.size() == 0) return 0;
    // BDCSVD falls back to Jacobi for small matrices; values only
    const Eigen::BDCSVD<Eigen::MatrixXd> svd(m);
    return svd.singularValues()[0];
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
