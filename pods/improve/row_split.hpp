#pragma once
// Products with a matrix most of whose rows are unit rows, such as the linearised BDF2 step A_t
// (pods/improve/lq_model.hpp): its x_prev, v_prev and p rows copy x, v and p, only the x and v
// rows are dense. Split once, the products of the Riccati pass with A_t cost n_z^2 n_d flops
// instead of n_z^3, with n_d the dense rows (2 n_x of 4 n_x + n_p).

#include <Eigen/Core>

#include <utility>
#include <vector>

namespace podsim::pods {

/// A matrix A (rows x cols) split into its unit rows (exactly one entry 1, the others 0) and the rest.
struct RowSplit {
    std::vector<std::pair<int, int>> copies; ///< (row i, column j) with A's row i = e_j^T
    std::vector<int> dense;                  ///< the other rows, ascending
    Eigen::MatrixXd dense_rows;              ///< A's dense rows, dense.size() x cols
    int rows = 0, cols = 0;
};

/// Splits `a` into `out`, reusing its storage.
void split_rows(const Eigen::MatrixXd& a, RowSplit& out);

/// out = m A (m: r x a.rows); `gathered` is scratch (r x n_d).
void times_split(const Eigen::MatrixXd& m, const RowSplit& a, Eigen::MatrixXd& gathered, Eigen::MatrixXd& out);

/// out = A^T m (m: a.rows x c); `gathered` is scratch (n_d x c).
void transpose_times_split(const RowSplit& a, const Eigen::MatrixXd& m, Eigen::MatrixXd& gathered,
                           Eigen::MatrixXd& out);

/// out = A v.
void times_vector(const RowSplit& a, const Eigen::VectorXd& v, Eigen::VectorXd& out);

/// out = A^T v.
void transpose_times_vector(const RowSplit& a, const Eigen::VectorXd& v, Eigen::VectorXd& out);

} // namespace podsim::pods
