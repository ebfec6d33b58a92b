// Steihaug-Toint truncated conjugate gradients (see truncated_cg.hpp).
#include "sim/truncated_cg.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace podsim::sim {

namespace {

// tau >= 0 with |d + tau p|_P = radius, from d^T P d, d^T P p, p^T P p (d inside: d^T P d <= radius^2)
double to_boundary(double dpd, double dpp, double ppp, double radius)
{
    const double c = std::max(radius * radius - dpd, 0.0);
    return (-dpp + std::sqrt(dpp * dpp + ppp * c)) / ppp;
}

} // namespace

TruncatedCg::TruncatedCg(int n)
{
    for (Eigen::VectorXd* b : {&m_r, &m_z, &m_p, &m_hp}) b->setZero(n);
}

TruncatedCgResult TruncatedCg::solve(const Product& product, const ApplyInverse& apply_inverse,
                                     const Eigen::VectorXd& g, double radius, double stop, int max_iterations,
                                     Eigen::VectorXd& d)
{
    assert(radius > 0);
    const Eigen::Index n = g.size();
    for (Eigen::VectorXd* b : {&m_r, &m_z, &m_p, &m_hp})
        if (b->size() != n) b->resize(n);
    if (d.size() != n) d.resize(n);

    TruncatedCgResult out;
    out.radius = radius;
    // r = -g - H d (d = 0), z = P^-1 r, p = z
    d.setZero();
    m_r = -g;
    m_z = m_r;
    apply_inverse(m_z);
    m_p = m_z;
    double rz = m_r.dot(m_z);
    const double rz0 = rz;
    // P-norm recurrences: d^T P d, d^T P p, p^T P p
    double dpd = 0, dpp = 0, ppp = rz;
    const auto finish = [&](TruncatedCgExit exit) {
        out.exit = exit;
        out.step_norm = std::sqrt(std::max(dpd, 0.0));
        out.residual = m_r.norm();
        // m(d) = g^T d + 1/2 d^T H d with H d = -g - r
        out.model = 0.5 * (g.dot(d) - d.dot(m_r));
        return out;
    };
    // moves d by tau p (H p in m_hp) and keeps r and d^T P d
    const auto move = [&](double tau) {
        d += tau * m_p;
        m_r -= tau * m_hp;
        dpd += 2 * tau * dpp + tau * tau * ppp;
    };
    if (!(rz > 0)) return finish(TruncatedCgExit::kConverged); // g = 0
    for (int k = 0; k < max_iterations; ++k) {
        ++out.iterations;
        product(m_p, m_hp);
        const double php = m_p.dot(m_hp);
        if (!(php > 0)) {
            if (!std::isfinite(out.radius)) out.radius = std::max(std::sqrt(dpd), std::sqrt(rz0));
            move(to_boundary(dpd, dpp, ppp, out.radius));
            dpd = out.radius * out.radius;
            return finish(TruncatedCgExit::kNegativeCurvature);
        }
        const double alpha = rz / php;
        if (dpd + 2 * alpha * dpp + alpha * alpha * ppp >= out.radius * out.radius) {
            move(to_boundary(dpd, dpp, ppp, out.radius));
            dpd = out.radius * out.radius;
            return finish(TruncatedCgExit::kBoundary);
        }
        move(alpha);
        if (m_r.norm() <= stop) return finish(TruncatedCgExit::kConverged);
        m_z = m_r;
        apply_inverse(m_z);
        const double rz_next = m_r.dot(m_z);
        const double beta = rz_next / rz;
        dpp = beta * (dpp + alpha * ppp);
        ppp = rz_next + beta * beta * ppp;
        m_p = m_z + beta * m_p;
        rz = rz_next;
    }
    return finish(TruncatedCgExit::kIterationLimit);
}

} // namespace podsim::sim
