#pragma once
// Conjugate gradients for a symmetric positive (semi-)definite operator restricted to the free
// components of a vector (docs/optimization.md, "Matrix-free Gauss-Newton"): the reduced solves of
// the matrix-free box-aware Gauss-Newton step, optionally preconditioned by a limited-memory
// preconditioner built from an earlier solve's directions.

#include <Eigen/Core>

#include <functional>
#include <vector>

namespace podsim::pods {

/// y = A x for a symmetric PSD A (x and y of the same length; y is overwritten).
using LinearOperator = std::function<void(const Eigen::VectorXd& x, Eigen::VectorXd& y)>;

/// The first search directions of a CG solve and their products, s_k and y_k = (A s_k)_F
/// (columns), kept to precondition later solves with the same operator.
struct CgHistory {
    int capacity = 0;         ///< directions to keep at most (0: none)
    Eigen::MatrixXd s, y;     ///< size x kept (kept <= capacity)
    int kept() const { return int(s.cols()); }
    /// Appends the pair (direction, its product) while fewer than `capacity` are kept.
    void record(const Eigen::VectorXd& direction, const Eigen::VectorXd& product)
    {
        if (kept() >= capacity) return;
        const Eigen::Index k = kept();
        s.conservativeResize(direction.size(), k + 1);
        y.conservativeResize(direction.size(), k + 1);
        s.col(k) = direction;
        y.col(k) = product;
    }
};

/// The limited-memory preconditioner of Gratton, Sartenaer and Tshimanga (2011) from pairs
/// (s_k, y_k = A s_k), S = [s_k], Y = [y_k], W = (S^T Y)^-1:
///   H = (I - S W Y^T) (I - Y W S^T) + S W S^T,
/// which maps A's action on span(S) back exactly (H A s = s) and is the identity on the
/// complement. Symmetric positive definite whenever S^T Y is (S of full rank), whatever A is:
/// pairs are dropped from the end until S^T Y is well-conditioned positive definite (CG loses
/// conjugacy, so late pairs are nearly dependent). Empty (H = I) without pairs.
class LimitedMemoryPreconditioner {
public:
    LimitedMemoryPreconditioner() = default;
    explicit LimitedMemoryPreconditioner(const CgHistory& history);
    int pairs() const { return int(m_s.cols()); }
    /// out = H r (r, out of the pairs' length; out overwritten).
    void apply(const Eigen::VectorXd& r, Eigen::VectorXd& out) const;

private:
    Eigen::MatrixXd m_s, m_y, m_w; // S, Y, (S^T Y)^-1
};

struct CgOptions {
    double tolerance = 1e-8; ///< stop when |r_F| <= tolerance |b_F| (r = b - A x, relative to the right-hand side)
    int max_iterations = 0;  ///< iterations (one product each) at most; 0: the number of free components
    /// Symmetric positive definite preconditioner M ~ A^-1 (restricted to the free components:
    /// z = (M r_F)_F); null: none. The stopping test stays on the unpreconditioned residual.
    const LinearOperator* preconditioner = nullptr;
    CgHistory* history = nullptr; ///< filled with the first history->capacity directions when not null
    /// box_newton_step_matrix_free without a coarse space: directions of its first solve kept to
    /// precondition the box passes' solves (LimitedMemoryPreconditioner; 0: unpreconditioned passes)
    int recycled_directions = 10;
    /// box_newton_step_matrix_free: grid spacing k (steps) of the time coarse space that deflates
    /// each of its solves (deflated_conjugate_gradient, coarse_space.hpp); 0: plain CG
    int coarse_spacing = 5;
};

struct CgResult {
    int iterations = 0;           ///< products with A after the initial residual's
    double relative_residual = 0; ///< |r_F| / |b_F| at exit (0 when b_F = 0)
    bool converged = false;       ///< relative_residual <= tolerance
    bool zero_curvature = false;  ///< stopped at a direction with p^T A p <= 0 (A singular on the free set)
    int coarse_columns = 0;       ///< deflated_conjugate_gradient: columns of its coarse space (0: none)
};

/// What every masked CG solve sets up before its first product (masked_conjugate_gradient,
/// deflated_conjugate_gradient): the right-hand side on the free components, its norm (the
/// tolerance's reference), the iteration cap (options.max_iterations, or the number of free
/// components) and options.history sized to n rows with no directions kept. `done` when nothing
/// is free or b_F = 0: the solve returns converged with `x` unchanged.
struct MaskedCgStart {
    Eigen::VectorXd b_free;
    double reference = 0;
    int cap = 0;
    bool done = false;
};
MaskedCgStart start_masked_cg(const Eigen::VectorXd& b, const Eigen::Array<bool, Eigen::Dynamic, 1>& fixed,
                              const CgOptions& options);

/// Solves A_FF x_F = (b - A_FC x_C)_F for the free components F (fixed[i] false), the fixed ones
/// C keeping their values in `x`: on entry `x` is the start (its free part a warm start), on exit
/// the iterate. (Preconditioned) CG from that start: every iterate lowers 1/2 x^T A x - b^T x
/// over the free subspace, so a truncated solve (iteration cap, zero curvature) still returns a
/// point no worse than the start. One product with A for the initial residual, then one per
/// iteration; the product's fixed rows are ignored and the operator only ever sees vectors that
/// are zero on C (besides the start).
CgResult masked_conjugate_gradient(const LinearOperator& a, const Eigen::VectorXd& b,
                                   const Eigen::Array<bool, Eigen::Dynamic, 1>& fixed, Eigen::VectorXd& x,
                                   const CgOptions& options);

} // namespace podsim::pods
