#pragma once
// The total potential energy U(q) of a model (springs, cables, gravity) over the stacked
// positions q = [x (free), p (handles), fixed] (length n_nodes*dim), with gradient and Hessian,
// and a fast assembler of the free-free Hessian block d2U/dx2 into a BlockMatrix.

#include "sim/block_matrix.hpp"
#include "sim/model.hpp"

#include <Eigen/SparseCore>

#include <array>
#include <vector>

namespace podsim::sim {

/// U(q).
double potential_energy(const Model& model, const Eigen::VectorXd& q);

/// U(q) and dU/dq (all nodes; handle and fixed entries included) in `gradient`.
double potential_energy_gradient(const Model& model, const Eigen::VectorXd& q,
                                 Eigen::VectorXd& gradient);

/// d2U/dq2 over all nodes (n_nodes*dim square). With `project`, every element block is made
/// positive semi-definite (compressed springs' transverse term clamped at 0).
Eigen::SparseMatrix<double> potential_energy_hessian(const Model& model, const Eigen::VectorXd& q,
                                                     bool project);

/// out += scale * U_xp * in, with U_xp = d2U/dx dp the exact free-handle block of the Hessian at
/// q (n_x x n_p); `in` is n_p x k, `out` n_x x k.
void add_free_handle_product(const Model& model, const Eigen::VectorXd& q, double scale,
                             const Eigen::Ref<const Eigen::MatrixXd>& in, Eigen::Ref<Eigen::MatrixXd> out);

/// out += scale * U_px * in with U_px = U_xp^T; `in` is n_x x k, `out` n_p x k.
void add_handle_free_product(const Model& model, const Eigen::VectorXd& q, double scale,
                             const Eigen::Ref<const Eigen::MatrixXd>& in, Eigen::Ref<Eigen::MatrixXd> out);

/// Adds `scale * d2U/dx2` (free-free block only) into a BlockMatrix whose pattern it sets up.
class FreeHessianAssembler {
public:
    /// Initialises `matrix` (n_free nodes, dense or sparse) with the coupling pattern of the
    /// model's springs and records the block slots of every spring touching a free node.
    FreeHessianAssembler(const Model& model, BlockMatrix& matrix, bool sparse);

    /// matrix += scale * d2U/dx2 at q. Call matrix.set_zero() / add_diagonal() before as needed.
    void add(const Model& model, const Eigen::VectorXd& q, double scale, bool project,
             BlockMatrix& matrix) const;

private:
    struct Element {
        int spring = 0;
        bool i_free = false;
        bool j_free = false;
        std::array<BlockMatrix::Slot, 4> slots{}; ///< (i,i), (i,j), (j,i), (j,j)
    };
    std::vector<Element> m_elements;
};

} // namespace podsim::sim
