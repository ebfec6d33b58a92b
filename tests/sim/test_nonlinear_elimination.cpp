// Kernels of Newton's nonlinear elimination: the nodes that hold the residual (and their share of
// it), and the Newton matrix restricted to them, dense and sparse.
#include "sim/nonlinear_elimination.hpp"

#include <doctest/doctest.h>

#include <random>

using namespace podsim::sim;

TEST_CASE("nonlinear elimination: the nodes with the largest gradient and their share of it")
{
    // 5 nodes in 3D with gradient norms^2 1, 16, 4, 25, 0
    Eigen::VectorXd g = Eigen::VectorXd::Zero(15);
    g.segment<3>(0) << 1, 0, 0;
    g.segment<3>(3) << 0, 4, 0;
    g.segment<3>(6) << 0, 0, -2;
    g.segment<3>(9) << 3, 4, 0;
    std::vector<int> order, nodes = {7, 7, 7}; // overwritten
    const double share = largest_residual_nodes(g, 3, 2, order, nodes);
    CHECK(nodes == std::vector<int>{1, 3}); // ascending node order
    CHECK(share == doctest::Approx(41.0 / 46.0));
    // more nodes asked for than there are: all of them
    CHECK(largest_residual_nodes(g, 3, 9, order, nodes) == doctest::Approx(1.0));
    CHECK(nodes == std::vector<int>{0, 1, 2, 3, 4});
    // 2D layout
    const Eigen::VectorXd g2 = (Eigen::VectorXd(6) << 0, 1, 2, 0, 0, 0.5).finished();
    CHECK(largest_residual_nodes(g2, 2, 1, order, nodes) == doctest::Approx(4.0 / 5.25));
    CHECK(nodes == std::vector<int>{1});
    // g = 0 holds nothing to share
    CHECK(largest_residual_nodes(Eigen::VectorXd::Zero(6), 3, 1, order, nodes) == 1.0);
}

TEST_CASE("nonlinear elimination: the node block of the Newton matrix, dense and sparse")
{
    // a 4-node chain in 3D with seeded blocks; the gathered block equals the dense submatrix
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> u(-1, 1);
    for (bool sparse : {false, true}) {
        INFO((sparse ? "sparse" : "dense"));
        BlockMatrix a;
        a.init(4, 3, {{0, 1}, {1, 2}, {2, 3}}, sparse);
        a.set_zero();
        for (int node = 0; node < 4; ++node) {
            Mat<3> b;
            for (int i = 0; i < 9; ++i) b.data()[i] = u(rng);
            a.add<3>(a.diagonal_slot(node), Mat<3>(b + b.transpose()));
        }
        for (auto [r, c] : {std::pair{0, 1}, std::pair{1, 2}, std::pair{2, 3}}) {
            Mat<3> b;
            for (int i = 0; i < 9; ++i) b.data()[i] = u(rng);
            a.add<3>(a.slot(r, c), b);
            a.add<3>(a.slot(c, r), Mat<3>(b.transpose()));
        }
        const Eigen::MatrixXd full = a.to_dense();
        // nodes 1 and 3 (not coupled: a zero block) and node 2 between them
        const std::vector<int> nodes = {1, 2, 3};
        Eigen::MatrixXd block(1, 1);
        gather_node_block(a, nodes, block);
        REQUIRE(block.rows() == 9);
        REQUIRE(block.cols() == 9);
        for (int br = 0; br < 3; ++br)
            for (int bc = 0; bc < 3; ++bc)
                CHECK((block.block<3, 3>(3 * br, 3 * bc) - full.block<3, 3>(3 * nodes[br], 3 * nodes[bc])).norm() == 0.0);
        CHECK(block.block<3, 3>(0, 6).norm() == 0.0); // nodes 1 and 3
        CHECK(block.norm() > 0);
    }
}
