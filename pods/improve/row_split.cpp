// Products with a matrix split into unit rows and dense rows (see row_split.hpp).
#include "pods/improve/row_split.hpp"

#include <stdexcept>
#include <string>

namespace podsim::pods {

namespace {

void require(bool ok, const char* function, Eigen::Index got, int need)
{
    if (!ok)
        throw std::invalid_argument(std::string(function) + ": got a dimension of " + std::to_string(got) + ", need " +
                                    std::to_string(need));
}

} // namespace

void split_rows(const Eigen::MatrixXd& a, RowSplit& out)
{
    out.rows = int(a.rows());
    out.cols = int(a.cols());
    out.copies.clear();
    out.dense.clear();
    for (int i = 0; i < out.rows; ++i) {
        int column = -1;
        bool unit = true;
        for (int j = 0; j < out.cols && unit; ++j) {
            const double v = a(i, j);
            if (v == 0.0) continue;
            if (v == 1.0 && column < 0) column = j;
            else unit = false;
        }
        if (unit && column >= 0) out.copies.emplace_back(i, column);
        else out.dense.push_back(i);
    }
    out.dense_rows = a(out.dense, Eigen::all);
}

void times_split(const Eigen::MatrixXd& m, const RowSplit& a, Eigen::MatrixXd& gathered, Eigen::MatrixXd& out)
{
    require(m.cols() == a.rows, __func__, m.cols(), a.rows);
    gathered = m(Eigen::all, a.dense);
    out.resize(m.rows(), a.cols);
    out.noalias() = gathered * a.dense_rows;
    for (const auto& [i, j] : a.copies) out.col(j) += m.col(i);
}

void transpose_times_split(const RowSplit& a, const Eigen::MatrixXd& m, Eigen::MatrixXd& gathered,
                           Eigen::MatrixXd& out)
{
    require(m.rows() == a.rows, __func__, m.rows(), a.rows);
    gathered = m(a.dense, Eigen::all);
    out.resize(a.cols, m.cols());
    out.noalias() = a.dense_rows.transpose() * gathered;
    for (const auto& [i, j] : a.copies) out.row(j) += m.row(i);
}

void times_vector(const RowSplit& a, const Eigen::VectorXd& v, Eigen::VectorXd& out)
{
    require(v.size() == a.cols, __func__, v.size(), a.cols);
    out.resize(a.rows);
    for (std::size_t k = 0; k < a.dense.size(); ++k) out[a.dense[k]] = a.dense_rows.row(Eigen::Index(k)).dot(v);
    for (const auto& [i, j] : a.copies) out[i] = v[j];
}

void transpose_times_vector(const RowSplit& a, const Eigen::VectorXd& v, Eigen::VectorXd& out)
{
    require(v.size() == a.rows, __func__, v.size(), a.rows);
    out.resize(a.cols);
    out.noalias() = a.dense_rows.transpose() * v(a.dense);
    for (const auto& [i, j] : a.copies) out[j] += v[i];
}

} // namespace podsim::pods
