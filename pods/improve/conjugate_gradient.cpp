// Conjugate gradients on the free components (see conjugate_gradient.hpp).
#include "pods/improve/conjugate_gradient.hpp"

#include <cassert>
#include <cmath>

namespace podsim::pods {

CgResult masked_conjugate_gradient(const LinearOperator& a, const Eigen::VectorXd& b,
                                   const Eigen::Array<bool, Eigen::Dynamic, 1>& fixed, Eigen::VectorXd& x,
                                   const CgOptions& options)
{
    const Eigen::Index n = b.size();
    assert(x.size() == n && fixed.size() == n);
    CgResult result;
    const Eigen::VectorXd b_free = fixed.select(0.0, b.array()).matrix();
    const double reference = b_free.norm();
    const int free_count = int((!fixed).count());
    const int cap = options.max_iterations > 0 ? options.max_iterations : free_count;
    if (free_count == 0 || !(reference > 0)) {
        result.converged = true;
        return result;
    }
    // initial residual r = (b - A x)_F
    Eigen::VectorXd ap(n);
    a(x, ap);
    Eigen::VectorXd r = fixed.select(0.0, (b - ap).array()).matrix();
    Eigen::VectorXd p = r;
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
        ++result.iterations;
        const double alpha = rr / curvature;
        x.noalias() += alpha * p;
        r.noalias() -= alpha * ap;
        const double rr_next = r.squaredNorm();
        p = r + (rr_next / rr) * p;
        rr = rr_next;
    }
    result.relative_residual = std::sqrt(rr) / reference;
    result.converged = result.relative_residual <= options.tolerance;
    return result;
}

} // namespace podsim::pods
