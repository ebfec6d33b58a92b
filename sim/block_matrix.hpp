#pragma once
// A symmetric matrix made of D x D node blocks, stored dense or sparse (compressed columns with
// the full symmetric pattern). Block "slots" are computed once from the pattern, so assembling
// a Hessian writes straight into the value array: no search and no allocation per step.

#include "sim/types.hpp"

#include <Eigen/SparseCore>

#include <utility>
#include <vector>

namespace podsim::sim {

class BlockMatrix {
public:
    /// Where a D x D block lives in the value array: entry (i, k) of the block is at
    /// values()[base + k * stride + i] (column-major in both storages).
    struct Slot {
        int base = 0;
        int stride = 0;
    };

    /// Sets up an (n_nodes*dim)^2 matrix whose non-zero blocks are the diagonal blocks and the
    /// blocks (r, c) and (c, r) of every pair in `coupled` (node indices, r != c). Values are 0.
    void init(int n_nodes, int dim, const std::vector<std::pair<int, int>>& coupled, bool sparse);

    /// Slot of block (r, c); the block must be in the pattern. For set-up code, not hot loops.
    Slot slot(int r, int c) const;

    /// Slot of the diagonal block of a node (precomputed, cheap in hot loops).
    const Slot& diagonal_slot(int node) const { return m_diagonal_slots[std::size_t(node)]; }

    int rows() const { return m_n; }
    int dim() const { return m_dim; }
    bool is_sparse() const { return m_sparse; }

    void set_zero();
    double* values() { return m_sparse ? m_sparse_matrix.valuePtr() : m_dense_matrix.data(); }

    /// Adds a D x D block at a slot.
    template <int D> void add(const Slot& s, const Mat<D>& block)
    {
        double* v = values() + s.base;
        for (int k = 0; k < D; ++k)
            for (int i = 0; i < D; ++i) v[k * s.stride + i] += block(i, k);
    }

    /// Adds a diagonal (length rows()) to the matrix.
    void add_diagonal(const Eigen::VectorXd& diagonal);

    const Eigen::MatrixXd& dense() const { return m_dense_matrix; }
    const Eigen::SparseMatrix<double>& sparse() const { return m_sparse_matrix; }
    /// A dense copy (either storage), for tests and small problems.
    Eigen::MatrixXd to_dense() const;

private:
    int m_n = 0;
    int m_dim = 0;
    bool m_sparse = false;
    Eigen::MatrixXd m_dense_matrix;
    Eigen::SparseMatrix<double> m_sparse_matrix;
    std::vector<Slot> m_diagonal_slots;
};

} // namespace podsim::sim
