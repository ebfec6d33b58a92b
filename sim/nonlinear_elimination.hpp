#pragma once
// The kernels of Newton's nonlinear elimination (docs/simulation.md, "Newton"): the nodes that
// hold the residual, and the Newton matrix restricted to them.

#include "sim/block_matrix.hpp"

#include <Eigen/Core>

#include <vector>

namespace podsim::sim {

/// The `count` nodes (of g.size() / dim, node i owning g[i*dim .. i*dim+dim)) with the largest
/// |g_i|_2, in ascending node order, into `nodes`; `order` is a work buffer (resized to the node
/// count once). Returns the share of |g|_2^2 they hold (1 when g = 0). Allocates nothing once the
/// buffers have their sizes.
double largest_residual_nodes(const Eigen::VectorXd& g, int dim, int count, std::vector<int>& order,
                              std::vector<int>& nodes);

/// out = the principal submatrix of `a` on the DOFs of `nodes` (count*dim square, node blocks in
/// the order of `nodes`); blocks outside a's pattern are 0.
void gather_node_block(const BlockMatrix& a, const std::vector<int>& nodes, Eigen::MatrixXd& out);

} // namespace podsim::sim
