#pragma once
// Conjugate gradients for a symmetric positive (semi-)definite operator restricted to the free
// components of a vector (docs/optimization.md, "Matrix-free Gauss-Newton"): the reduced solves of
// the matrix-free box-aware Gauss-Newton step.

#include <Eigen/Core>

#include <functional>

namespace podsim::pods {

/// y = A x for a symmetric PSD A (x and y of the same length; y is overwritten).
using LinearOperator = std::function<void(const Eigen::VectorXd& x, Eigen::VectorXd& y)>;

struct CgOptions {
    double tolerance = 1e-8; ///< stop when |r_F| <= tolerance |b_F| (r = b - A x, relative to the right-hand side)
    int max_iterations = 0;  ///< iterations (one product each) at most; 0: the number of free components
};

struct CgResult {
    int iterations = 0;           ///< products with A after the initial residual's
    double relative_residual = 0; ///< |r_F| / |b_F| at exit (0 when b_F = 0)
    bool converged = false;       ///< relative_residual <= tolerance
    bool zero_curvature = false;  ///< stopped at a direction with p^T A p <= 0 (A singular on the free set)
};

/// Solves A_FF x_F = (b - A_FC x_C)_F for the free components F (fixed[i] false), the fixed ones
/// C keeping their values in `x`: on entry `x` is the start (its free part a warm start), on exit
/// the iterate. Plain CG from that start: every iterate lowers 1/2 x^T A x - b^T x over the free
/// subspace, so a truncated solve (iteration cap, zero curvature) still returns a point no worse
/// than the start. One product with A for the initial residual, then one per iteration; the
/// product's fixed rows are ignored and the operator only ever sees vectors that are zero on C
/// (besides the start).
CgResult masked_conjugate_gradient(const LinearOperator& a, const Eigen::VectorXd& b,
                                   const Eigen::Array<bool, Eigen::Dynamic, 1>& fixed, Eigen::VectorXd& x,
                                   const CgOptions& options);

} // namespace podsim::pods
