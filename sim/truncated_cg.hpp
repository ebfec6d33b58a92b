#pragma once
// Steihaug-Toint truncated conjugate gradients: the step of a trust-region Newton method on a
// symmetric, possibly indefinite matrix, preconditioned by a positive definite factorisation.

#include <Eigen/Core>

#include <functional>

namespace podsim::sim {

/// How truncated_cg ended.
enum class TruncatedCgExit {
    kConverged,          ///< |H d + g|_2 <= stop
    kBoundary,           ///< the step reached the trust-region boundary |d|_P = radius
    kNegativeCurvature,  ///< a direction p with p^T H p <= 0, followed to the boundary
    kIterationLimit,     ///< max_iterations without any of the above
};

/// Outcome of one truncated_cg call.
struct TruncatedCgResult {
    TruncatedCgExit exit = TruncatedCgExit::kIterationLimit;
    int iterations = 0;      ///< products with H
    double model = 0;        ///< m(d) = g^T d + 1/2 d^T H d (<= 0)
    double step_norm = 0;    ///< |d|_P = sqrt(d^T P d)
    double radius = 0;       ///< the radius used (the given one, or the one chosen when it was infinite)
    double residual = 0;     ///< |H d + g|_2 at exit
};

/// Approximately minimises the quadratic model m(d) = g^T d + 1/2 d^T H d over |d|_P <= radius by
/// conjugate gradients from d = 0 preconditioned with P (positive definite; apply_inverse(v)
/// overwrites v with P^-1 v), in the P-norm |d|_P = sqrt(d^T P d) (Steihaug 1983, Toint 1981;
/// Conn, Gould and Toint, "Trust-Region Methods", algorithm 7.5.1):
/// - every iterate lowers m, and |d_k|_P grows monotonically, so the first iterate past the
///   boundary is cut back onto it (kBoundary);
/// - at a direction of non-positive curvature p^T H p <= 0, d moves along p to the boundary
///   (kNegativeCurvature): m decreases along p without bound, so the step follows the negative
///   curvature instead of stopping. An infinite radius is then replaced by
///   max(|d|_P, |P^-1 g|_P), the P-norm of the preconditioned gradient step;
/// - otherwise it stops at |H d + g|_2 <= stop (kConverged) or after max_iterations.
/// With P = H positive definite, the first iterate is the Newton step -H^-1 g (cut back onto the
/// boundary when longer). H enters only through product(v, out): out = H v. The P-norms come
/// from the recurrences of the preconditioned iteration, without products with P.
class TruncatedCg {
public:
    using Product = std::function<void(const Eigen::VectorXd&, Eigen::VectorXd&)>;
    using ApplyInverse = std::function<void(Eigen::VectorXd&)>;

    /// Buffers for systems of size n (no allocation in solve()).
    explicit TruncatedCg(int n = 0);

    /// d (resized to g's size if needed) = the step for gradient g within `radius` (> 0, may be
    /// infinite).
    TruncatedCgResult solve(const Product& product, const ApplyInverse& apply_inverse, const Eigen::VectorXd& g,
                            double radius, double stop, int max_iterations, Eigen::VectorXd& d);

private:
    Eigen::VectorXd m_r, m_z, m_p, m_hp;
};

} // namespace podsim::sim
