// Products with a matrix split into unit rows and dense rows, against the plain dense products:
// a random matrix with unit rows mixed in, and the LQ model's A_t of a shipped scene.
#include "pods/improve/row_split.hpp"
#include "pods/improve/lq_model.hpp"
#include "sim/rollout.hpp"
#include "tests/pods/improve/box_fixture.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace podsim;

namespace {

// every product of the split against the dense one, to round-off
void check_products(const Eigen::MatrixXd& a)
{
    pods::RowSplit split;
    split_rows(a, split);
    Eigen::MatrixXd gathered, out;
    const Eigen::MatrixXd m = Eigen::MatrixXd::Random(5, a.rows());
    pods::times_split(m, split, gathered, out);
    CHECK((out - m * a).norm() <= 1e-12 * (1 + (m * a).norm()));
    const Eigen::MatrixXd w = Eigen::MatrixXd::Random(a.rows(), 4);
    pods::transpose_times_split(split, w, gathered, out);
    CHECK((out - a.transpose() * w).norm() <= 1e-12 * (1 + (a.transpose() * w).norm()));
    const Eigen::VectorXd v = Eigen::VectorXd::Random(a.cols()), y = Eigen::VectorXd::Random(a.rows());
    Eigen::VectorXd r;
    pods::times_vector(split, v, r);
    CHECK((r - a * v).norm() <= 1e-12 * (1 + (a * v).norm()));
    pods::transpose_times_vector(split, y, r);
    CHECK((r - a.transpose() * y).norm() <= 1e-12 * (1 + (a.transpose() * y).norm()));
}

} // namespace

TEST_CASE("row_split: unit rows become copies, the others stay dense, and every product equals the dense one")
{
    Eigen::MatrixXd a = Eigen::MatrixXd::Random(7, 6);
    a.row(1).setZero();
    a(1, 4) = 1.0; // a unit row
    a.row(3).setZero();
    a(3, 0) = 1.0; // another
    a.row(5).setZero();
    a(5, 2) = 2.0; // one entry, but not 1: dense
    a.row(6).setZero(); // a zero row: dense (no source)
    pods::RowSplit split;
    split_rows(a, split);
    REQUIRE(split.copies.size() == 2);
    CHECK(split.copies[0] == std::pair<int, int>{1, 4});
    CHECK(split.copies[1] == std::pair<int, int>{3, 0});
    CHECK(split.dense == std::vector<int>{0, 2, 4, 5, 6});
    check_products(a);
    // nothing dense, nothing copied
    check_products(Eigen::MatrixXd::Identity(4, 4));
    check_products(Eigen::MatrixXd::Random(3, 5));
    Eigen::MatrixXd out, scratch;
    CHECK_THROWS_AS(pods::times_split(Eigen::MatrixXd::Zero(2, 3), split, scratch, out), std::invalid_argument);
}

TEST_CASE("row_split: the BDF2 step has copies for its x_prev, v_prev and p rows, only its x and v rows are dense")
{
    const test::BoxFixture f = test::box_fixture("double_pendulum_3d_stop.json", 6, 3, 0.15, 0.0);
    sim::Simulator sim(f.scene.model);
    const pods::LqModel lq = pods::lq_model(sim, f.cost, f.states, f.actions);
    const int nx = f.scene.model.n_x(), np = f.scene.model.n_p();
    for (int t = 1; t < lq.horizon(); ++t) {
        pods::RowSplit split;
        split_rows(lq.a[std::size_t(t)], split);
        CHECK(split.dense.size() == std::size_t(2 * nx));
        CHECK(split.copies.size() == std::size_t(2 * nx + np));
        check_products(lq.a[std::size_t(t)]);
    }
}
