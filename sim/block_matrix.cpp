// Dense / sparse block matrix with precomputed slots (see block_matrix.hpp).
#include "sim/block_matrix.hpp"

#include <algorithm>
#include <cassert>

namespace podsim::sim {

void BlockMatrix::init(int n_nodes, int dim, const std::vector<std::pair<int, int>>& coupled,
                       bool sparse)
{
    m_dim = dim;
    m_n = n_nodes * dim;
    m_sparse = sparse;
    if (sparse) {
        // pattern: every entry of every block, values zero (explicit zeros stay in the pattern)
        std::vector<Eigen::Triplet<double>> entries;
        entries.reserve(std::size_t(dim * dim) * (std::size_t(n_nodes) + 2 * coupled.size()));
        auto add_block = [&](int r, int c) {
            for (int k = 0; k < dim; ++k)
                for (int i = 0; i < dim; ++i) entries.emplace_back(r * dim + i, c * dim + k, 0.0);
        };
        for (int i = 0; i < n_nodes; ++i) add_block(i, i);
        for (const auto& [r, c] : coupled) {
            assert(r != c);
            add_block(r, c);
            add_block(c, r);
        }
        m_sparse_matrix.resize(m_n, m_n);
        m_sparse_matrix.setFromTriplets(entries.begin(), entries.end());
        m_sparse_matrix.makeCompressed();
        m_dense_matrix.resize(0, 0);
    } else {
        m_dense_matrix.setZero(m_n, m_n);
        m_sparse_matrix.resize(0, 0);
    }
    m_diagonal_slots.resize(std::size_t(n_nodes));
    for (int i = 0; i < n_nodes; ++i) m_diagonal_slots[std::size_t(i)] = slot(i, i);
}

BlockMatrix::Slot BlockMatrix::slot(int r, int c) const
{
    if (!m_sparse) return {c * m_dim * m_n + r * m_dim, m_n};
    // every column of block column c has the same row structure: find row r*dim in column c*dim
    const int col = c * m_dim;
    const int* outer = m_sparse_matrix.outerIndexPtr();
    const int* inner = m_sparse_matrix.innerIndexPtr();
    const int* begin = inner + outer[col];
    const int* end = inner + outer[col + 1];
    const int* it = std::lower_bound(begin, end, r * m_dim);
    assert(it != end && *it == r * m_dim && "block not in the pattern");
    return {int(it - inner), outer[col + 1] - outer[col]};
}

void BlockMatrix::set_zero()
{
    if (m_sparse)
        std::fill_n(m_sparse_matrix.valuePtr(), m_sparse_matrix.nonZeros(), 0.0);
    else
        m_dense_matrix.setZero();
}

void BlockMatrix::add_diagonal(const Eigen::VectorXd& diagonal)
{
    assert(diagonal.size() == m_n);
    double* v = values();
    for (std::size_t node = 0; node < m_diagonal_slots.size(); ++node) {
        const Slot& s = m_diagonal_slots[node];
        for (int k = 0; k < m_dim; ++k) v[s.base + k * s.stride + k] += diagonal[int(node) * m_dim + k];
    }
}

Eigen::MatrixXd BlockMatrix::to_dense() const
{
    return m_sparse ? Eigen::MatrixXd(m_sparse_matrix) : m_dense_matrix;
}

} // namespace podsim::sim
