// Conjugate gradients on the free components, the limited-memory preconditioner (see
// conjugate_gradient.hpp).
#include "pods/improve/conjugate_gradient.hpp"

#include <Eigen/Cholesky>

#include <cassert>
#include <cmath>

namespace podsim::pods {

namespace {

// S^T Y of the leading pairs is accepted when its Cholesky succeeds with at least this
// reciprocal condition
constexpr double kMinPairCondition = 1e-8;

} // namespace

LimitedMemoryPreconditioner::LimitedMemoryPreconditioner(const CgHistory& history)
{
    // the most leading pairs whose S^T Y is well-conditioned positive definite
    for (int k = history.kept(); k > 0; --k) {
        Eigen::MatrixXd sty = history.s.leftCols(k).transpose() * history.y.leftCols(k);
        sty = 0.5 * (sty + sty.transpose()).eval();
        const Eigen::LLT<Eigen::MatrixXd> llt(sty);
        if (llt.info() != Eigen::Success || !(llt.rcond() >= kMinPairCondition)) continue;
        m_s = history.s.leftCols(k);
        m_y = history.y.leftCols(k);
        m_w = llt.solve(Eigen::MatrixXd::Identity(k, k));
        m_w = 0.5 * (m_w + m_w.transpose()).eval();
        return;
    }
}

void LimitedMemoryPreconditioner::apply(const Eigen::VectorXd& r, Eigen::VectorXd& out) const
{
    if (m_s.cols() == 0) {
        out = r;
        return;
    }
    // (I - S W Y^T) (I - Y W S^T) r + S W S^T r
    const Eigen::VectorXd wsr = m_w * (m_s.transpose() * r);
    out = r;
    out.noalias() -= m_y * wsr;
    const Eigen::VectorXd wyu = m_w * (m_y.transpose() * out);
    out.noalias() -= m_s * wyu;
    out.noalias() += m_s * wsr;
}

MaskedCgStart start_masked_cg(const Eigen::VectorXd& b, const Eigen::Array<bool, Eigen::Dynamic, 1>& fixed,
                              const CgOptions& options)
{
    MaskedCgStart start;
    start.b_free = fixed.select(0.0, b.array()).matrix();
    start.reference = start.b_free.norm();
    const int free_count = int((!fixed).count());
    start.cap = options.max_iterations > 0 ? options.max_iterations : free_count;
    if (options.history) {
        options.history->s.resize(b.size(), 0);
        options.history->y.resize(b.size(), 0);
    }
    start.done = free_count == 0 || !(start.reference > 0);
    return start;
}

CgResult masked_conjugate_gradient(const LinearOperator& a, const Eigen::VectorXd& b,
                                   const Eigen::Array<bool, Eigen::Dynamic, 1>& fixed, Eigen::VectorXd& x,
                                   const CgOptions& options)
{
    const Eigen::Index n = b.size();
    assert(x.size() == n && fixed.size() == n);
    CgResult result;
    const MaskedCgStart start = start_masked_cg(b, fixed, options);
    if (start.done) {
        result.converged = true;
        return result;
    }
    const double reference = start.reference;
    const int cap = start.cap;
    CgHistory* history = options.history;
    // z = (M r)_F, or r without a preconditioner
    Eigen::VectorXd z(n);
    const auto precondition = [&](const Eigen::VectorXd& r) {
        if (!options.preconditioner) return;
        (*options.preconditioner)(r, z);
        z = fixed.select(0.0, z.array()).matrix();
    };
    // initial residual r = (b - A x)_F
    Eigen::VectorXd ap(n);
    a(x, ap);
    Eigen::VectorXd r = fixed.select(0.0, (b - ap).array()).matrix();
    precondition(r);
    Eigen::VectorXd p = options.preconditioner ? z : r;
    double rz = options.preconditioner ? r.dot(z) : r.squaredNorm();
    double rr = r.squaredNorm();
    const double target = options.tolerance * reference;
    while (std::sqrt(rr) > target && result.iterations < cap) {
        a(p, ap);
        ap = fixed.select(0.0, ap.array()).matrix();
        const double curvature = p.dot(ap);
        if (!(curvature > 0)) {
            result.zero_curvature = true;
            break;
        }
        if (history) history->record(p, ap);
        ++result.iterations;
        const double alpha = rz / curvature;
        x.noalias() += alpha * p;
        r.noalias() -= alpha * ap;
        rr = r.squaredNorm();
        if (options.preconditioner) {
            precondition(r);
            const double rz_next = r.dot(z);
            p = z + (rz_next / rz) * p;
            rz = rz_next;
        } else {
            p = r + (rr / rz) * p;
            rz = rr;
        }
    }
    result.relative_residual = std::sqrt(rr) / reference;
    result.converged = result.relative_residual <= options.tolerance;
    return result;
}

} // namespace podsim::pods
