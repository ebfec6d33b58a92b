#pragma once
// The elastic and gravitational potential U(q) of a model (springs, cables, bending elements,
// gravity) over the stacked positions q = [x (free), p (handles), fixed] (length n_nodes*dim),
// with gradient and Hessian, a fast assembler of the free-free Hessian block d2U/dx2 into a BlockMatrix, and the
// same energy as a step's EnergyTerm (with its free-handle products). Contact is in contact.hpp.

#include "sim/block_matrix.hpp"
#include "sim/energy_term.hpp"
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

/// Adds `scale * d2U/dx2` (free-free block only) into a BlockMatrix whose pattern it sets up.
class FreeHessianAssembler {
public:
    /// Initialises `matrix` (n_free nodes, dense or sparse) with the coupling pattern of the
    /// model's springs and bending elements and records the block slots of every spring and
    /// element touching a free node.
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
    struct BendElement {
        int bend = 0;
        std::vector<std::pair<BlockMatrix::Slot, double>> blocks; ///< free-free slot, weight w_r w_s
    };
    std::vector<BendElement> m_bend_elements;
};

/// Springs, cables, bending elements and gravity as a term of the step's potential: U(x, p) above
/// (independent of the start-of-step positions y), its free-free Hessian through a
/// FreeHessianAssembler and its exact free-handle block U_xp (per free-handle spring, -B of the
/// spring's Hessian block B; per free node r and handle s of a bending element, k w_r w_s I).
class SpringsAndGravityTerm final : public EnergyTerm {
public:
    /// Sets up `matrix`'s pattern (see FreeHessianAssembler).
    SpringsAndGravityTerm(const Model& model, BlockMatrix& matrix, bool sparse);

    void add_energy(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double& energy,
                    Eigen::VectorXd* gradient) const override;
    void add_hessian(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale, bool project,
                     BlockMatrix& matrix) const override;
    void add_handle_product(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale,
                            const Eigen::Ref<const Eigen::MatrixXd>& in,
                            Eigen::Ref<Eigen::MatrixXd> out) const override;
    void add_handle_product_transpose(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale,
                                      const Eigen::Ref<const Eigen::MatrixXd>& in,
                                      Eigen::Ref<Eigen::MatrixXd> out) const override;

private:
    const Model* m_model;
    FreeHessianAssembler m_assembler;
};

} // namespace podsim::sim
