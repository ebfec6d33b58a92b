#pragma once
// One term of a step's potential U(x, p, y): what every energy a step depends on provides
// (value, gradient, exact or projected Hessian, and products with its mixed second derivatives
// with respect to the handle positions p and the start-of-step positions y).

#include "sim/block_matrix.hpp"

#include <Eigen/Core>

namespace podsim::sim {

/// A term U_k(x, p, y) of the potential of the step x_t -> x_{t+1}:
/// - q = [x, p, fixed] are the stacked positions at the end of the step (length n_nodes*dim;
///   x the free unknowns, p the handle positions p_{t+1}),
/// - y = x_t are the free positions at the start of the step (length n_x); conservative terms
///   ignore it, dissipative ones (friction) depend on it.
/// Matrices of directions have one column per direction (k columns). Terms are per-thread
/// objects (their Hessian slots belong to one BlockMatrix); the Model they read is shared.
class EnergyTerm {
public:
    virtual ~EnergyTerm() = default;

    /// energy += U_k(q, y); with `gradient` (length n_nodes*dim), gradient += dU_k/dq
    /// (entries of handle and fixed nodes included where the term touches them).
    virtual void add_energy(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double& energy,
                            Eigen::VectorXd* gradient) const = 0;

    /// matrix += scale * d2U_k/dx2 (free-free blocks). With `project`, every element block is
    /// made positive semi-definite.
    virtual void add_hessian(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale,
                             bool project, BlockMatrix& matrix) const = 0;

    /// out += scale * U_xp in, U_xp = d2U_k/dx dp (n_x x n_p); `in` n_p x k, `out` n_x x k.
    virtual void add_handle_product(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale,
                                    const Eigen::Ref<const Eigen::MatrixXd>& in,
                                    Eigen::Ref<Eigen::MatrixXd> out) const;
    /// out += scale * U_xp^T in; `in` n_x x k, `out` n_p x k.
    virtual void add_handle_product_transpose(const Eigen::VectorXd& q, const Eigen::VectorXd& y,
                                              double scale, const Eigen::Ref<const Eigen::MatrixXd>& in,
                                              Eigen::Ref<Eigen::MatrixXd> out) const;

    /// out += scale * U_xy in, U_xy = d2U_k/dx dy (n_x x n_x); `in`, `out` n_x x k.
    virtual void add_start_product(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale,
                                   const Eigen::Ref<const Eigen::MatrixXd>& in,
                                   Eigen::Ref<Eigen::MatrixXd> out) const;
    /// out += scale * U_xy^T in; `in`, `out` n_x x k.
    virtual void add_start_product_transpose(const Eigen::VectorXd& q, const Eigen::VectorXd& y,
                                             double scale, const Eigen::Ref<const Eigen::MatrixXd>& in,
                                             Eigen::Ref<Eigen::MatrixXd> out) const;

    /// False when U_xy = 0 (the term ignores y): callers may skip the start products.
    virtual bool depends_on_start() const { return false; }
};

} // namespace podsim::sim
