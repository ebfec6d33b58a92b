// Kernels of Newton's nonlinear elimination (see nonlinear_elimination.hpp).
#include "sim/nonlinear_elimination.hpp"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace podsim::sim {

double largest_residual_nodes(const Eigen::VectorXd& g, int dim, int count, std::vector<int>& order,
                              std::vector<int>& nodes)
{
    const int n = int(g.size()) / dim;
    assert(count >= 1 && n * dim == g.size());
    count = std::min(count, n);
    order.resize(std::size_t(n));
    std::iota(order.begin(), order.end(), 0);
    const auto norm2 = [&](int i) { return g.segment(Eigen::Index(i) * dim, dim).squaredNorm(); };
    std::partial_sort(order.begin(), order.begin() + count, order.end(),
                      [&](int a, int b) { return norm2(a) > norm2(b) || (norm2(a) == norm2(b) && a < b); });
    nodes.assign(order.begin(), order.begin() + count);
    std::sort(nodes.begin(), nodes.end());
    double held = 0;
    for (int i : nodes) held += norm2(i);
    const double total = g.squaredNorm();
    return total > 0 ? held / total : 1.0;
}

void gather_node_block(const BlockMatrix& a, const std::vector<int>& nodes, Eigen::MatrixXd& out)
{
    const int d = a.dim();
    const int m = int(nodes.size()) * d;
    out.resize(m, m);
    for (int bc = 0; bc < int(nodes.size()); ++bc)
        for (int c = 0; c < d; ++c) {
            const int col = nodes[std::size_t(bc)] * d + c;
            for (int br = 0; br < int(nodes.size()); ++br)
                for (int r = 0; r < d; ++r) {
                    const int row = nodes[std::size_t(br)] * d + r;
                    out(br * d + r, bc * d + c) = a.is_sparse() ? a.sparse().coeff(row, col) : a.dense()(row, col);
                }
        }
}

} // namespace podsim::sim
