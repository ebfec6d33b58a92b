// Products with a matrix split into unit rows and dense rows, against the plain dense products:
// a random matrix with unit rows mixed in, and the LQ model's A_t of a shipped scene.
#include "pods/improve/row_split.hpp"
#include "pods/improve/box_step.hpp"
#include "pods/improve/lq_model.hpp"
#include "sim/rollout.hpp"
#include "tests/pods/improve/box_fixture.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <random>
#include <stdexcept>

using namespace podsim;

namespace {

// a matrix with uniform entries in [-1, 1]
Eigen::MatrixXd random_matrix(std::mt19937_64& rng, Eigen::Index rows, Eigen::Index cols)
{
    return test::random_vector(rng, rows * cols).reshaped(rows, cols);
}

// every product of the split against the dense one, to round-off
void check_products(const Eigen::MatrixXd& a)
{
    std::mt19937_64 rng(7);
    pods::RowSplit split;
    split_rows(a, split);
    Eigen::MatrixXd gathered, out;
    const Eigen::MatrixXd m = random_matrix(rng, 5, a.rows());
    pods::times_split(m, split, gathered, out);
    CHECK((out - m * a).norm() <= 1e-12 * (1 + (m * a).norm()));
    const Eigen::MatrixXd w = random_matrix(rng, a.rows(), 4);
    pods::transpose_times_split(split, w, gathered, out);
    CHECK((out - a.transpose() * w).norm() <= 1e-12 * (1 + (a.transpose() * w).norm()));
    const Eigen::VectorXd v = test::random_vector(rng, a.cols()), y = test::random_vector(rng, a.rows());
    Eigen::VectorXd r;
    pods::times_vector(split, v, r);
    CHECK((r - a * v).norm() <= 1e-12 * (1 + (a * v).norm()));
    pods::transpose_times_vector(split, y, r);
    CHECK((r - a.transpose() * y).norm() <= 1e-12 * (1 + (a.transpose() * y).norm()));
}

} // namespace

TEST_CASE("row_split: unit rows become copies, the others stay dense, and every product equals the dense one")
{
    std::mt19937_64 rng(3);
    Eigen::MatrixXd a = random_matrix(rng, 7, 6);
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
    check_products(random_matrix(rng, 3, 5));
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

TEST_CASE("row_split: a scaled state selection (not unit rows) gives the Riccati pass the same step")
{
    // S' = 2 S with Q' = Q / 4 and dC/ds' = dC/ds / 2 is the same cost: the pass's dense-S branch
    // must give the selection branch's step
    const test::BoxFixture f = test::box_fixture("double_pendulum_3d_stop.json", 12, 5, 0.15, 0.0);
    sim::Simulator sim(f.scene.model);
    const pods::LqModel lq = pods::lq_model(sim, f.cost, f.states, f.actions);
    pods::LqModel scaled = lq;
    scaled.selection *= 2;
    scaled.q /= 4;
    scaled.d_s /= 2;
    const pods::ActionMask none = pods::ActionMask::Constant(f.actions.rows(), f.actions.cols(), false);
    const double inf = std::numeric_limits<double>::infinity();
    const pods::BoxStepResult a = pods::box_riccati_step(lq, f.actions, inf, 0.1, none);
    const pods::BoxStepResult b = pods::box_riccati_step(scaled, f.actions, inf, 0.1, none);
    REQUIRE(a.delta.norm() > 1e-3);
    CHECK((a.delta - b.delta).norm() <= 1e-10 * a.delta.norm());
    CHECK((a.feedback.gain[3] - b.feedback.gain[3]).norm() <= 1e-10 * (1 + a.feedback.gain[3].norm()));
}

