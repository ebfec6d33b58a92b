// The dense path's feedforward and control Hessians: each step's against its tail problem solved
// directly, and against the Riccati pass's law on the same fixed set.
#include "pods/improve/dense_feedforward.hpp"
#include "pods/improve/improvement.hpp"
#include "sim/sensitivity.hpp"
#include "tests/pods/improve/box_fixture.hpp"

#include <Eigen/Cholesky>

#include <limits>
#include <vector>

using namespace podsim;

namespace {

const char* kScenes[] = {"pendulum_2d_stop.json", "cable_pendulum_2d.json", "double_pendulum_3d_stop.json"};

} // namespace

TEST_CASE("dense_feedforward: k_t and H_uu,t are the tail problem's first step and Schur complement, with fixed components off zero")
{
    int checked = 0, fixed_in_tails = 0;
    for (const char* file : kScenes) {
        INFO(std::string(file));
        const test::BoxFixture f = test::box_fixture(file, 20, 5, 0.9, 0.2);
        sim::Simulator sim(f.scene.model);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
        const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(f.scene.model, f.cost, f.states, f.actions, j);
        const pods::ActionMask held = pods::active_set(f.actions, grad, f.limit(), 1e-9);
        const int n = int(f.actions.cols()), na = int(f.actions.rows());
        const double mu = 0.02;
        // the box passes fix components on a bound with a nonzero step
        const pods::BoxStepResult step = pods::box_newton_step_dense(f.cost, j, grad, f.actions, f.limit(), mu, held, 3, true);
        REQUIRE(step.clamped > 0);
        const pods::FeedbackLaw& law = step.feedback;
        REQUIRE(law.feedforward.rows() == na);
        REQUIRE(law.feedforward.cols() == n);
        REQUIRE(int(law.control_hessian.size()) == n);
        CHECK(!law.has_gains());
        // the whole step's first action is the tail from 0
        test::check_close(law.feedforward.col(0), step.delta.col(0), 1e-9);
        const Eigen::MatrixXd g = pods::gauss_newton_matrix(f.cost, j, n, mu);
        for (int t = 0; t < n; ++t) {
            INFO("step " << t);
            // the tail's free components, and the right-hand side with its fixed ones at their step
            std::vector<int> free, fixed;
            for (int i = t * na; i < n * na; ++i) (step.fixed.reshaped()[i] ? fixed : free).push_back(i);
            const int m = int(free.size());
            Eigen::MatrixXd gff(m, m);
            Eigen::VectorXd rhs(m);
            for (int a = 0; a < m; ++a) {
                rhs[a] = -grad.reshaped()[free[std::size_t(a)]];
                for (int c : fixed) rhs[a] -= g(free[std::size_t(a)], c) * step.delta.reshaped()[c];
                for (int b = 0; b < m; ++b) gff(a, b) = g(free[std::size_t(a)], free[std::size_t(b)]);
            }
            const Eigen::VectorXd tail = gff.llt().solve(rhs);
            // the components of step t: the first ones of the tail (free) or their fixed step
            int a = 0;
            std::vector<int> own; // positions of step t's free components in `free`
            for (int c = 0; c < na; ++c) {
                const int i = t * na + c;
                if (step.fixed(c, t)) {
                    CHECK(law.feedforward(c, t) == doctest::Approx(step.delta(c, t)).epsilon(1e-12));
                    ++fixed_in_tails;
                } else {
                    REQUIRE(free[std::size_t(a)] == i);
                    CHECK(law.feedforward(c, t) == doctest::Approx(tail[a]).scale(tail.cwiseAbs().maxCoeff()).epsilon(1e-8));
                    own.push_back(a++);
                }
            }
            // the Schur complement of the later free components, on step t's free ones
            const int k = int(own.size()), rest = m - k;
            if (k == 0) continue;
            const Eigen::MatrixXd schur = gff.topLeftCorner(k, k) - gff.block(0, k, k, rest) *
                                                                       gff.bottomRightCorner(rest, rest).llt().solve(gff.block(k, 0, rest, k));
            Eigen::MatrixXd h(k, k);
            std::vector<int> comps;
            for (int c = 0; c < na; ++c)
                if (!step.fixed(c, t)) comps.push_back(c);
            for (int x = 0; x < k; ++x)
                for (int y = 0; y < k; ++y) h(x, y) = law.control_hessian[std::size_t(t)](comps[std::size_t(x)], comps[std::size_t(y)]);
            test::check_close(h, schur, 1e-8);
        }
        ++checked;
    }
    CHECK(checked == 3);
    CHECK(fixed_in_tails > 0);
}

TEST_CASE("dense_feedforward: equals the Riccati pass's feedforward and control Hessians on the same held set")
{
    int checked = 0;
    for (const char* file : kScenes) {
        INFO(std::string(file));
        const test::BoxFixture f = test::box_fixture(file, 30, 7);
        sim::Simulator sim(f.scene.model);
        const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, f.states, f.cost.selection);
        const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(f.scene.model, f.cost, f.states, f.actions, j);
        const pods::ActionMask held = pods::active_set(f.actions, grad, f.limit(), 1e-9);
        REQUIRE(pods::count(held) > 2);
        const pods::LqModel lq = pods::lq_model(sim, f.cost, f.states, f.actions);
        const int n = int(f.actions.cols());
        for (double mu : {0.0, 0.1}) {
            INFO("mu " << mu);
            const pods::BoxStepResult riccati =
                pods::box_riccati_step(lq, f.actions, std::numeric_limits<double>::infinity(), mu, held);
            const pods::FeedbackLaw dense =
                pods::dense_feedforward(pods::gauss_newton_matrix(f.cost, j, n, mu), grad, held,
                                        Eigen::MatrixXd::Zero(f.actions.rows(), n), 2 * f.cost.action_weight + mu);
            REQUIRE(riccati.feedback.feedforward.norm() > 1e-3);
            test::check_close(dense.feedforward, riccati.feedback.feedforward, 1e-8);
            for (int t = 0; t < n; ++t)
                for (int c = 0; c < f.actions.rows(); ++c)
                    for (int d = 0; d < f.actions.rows(); ++d) {
                        if (held(c, t) || held(d, t)) continue; // Riccati: rows of held components differ in form
                        CHECK(dense.control_hessian[std::size_t(t)](c, d) ==
                              doctest::Approx(riccati.feedback.control_hessian[std::size_t(t)](c, d)).epsilon(1e-8));
                    }
        }
        ++checked;
    }
    CHECK(checked == 3);
}

TEST_CASE("dense_feedforward: shapes that do not match are refused")
{
    const Eigen::MatrixXd grad = Eigen::MatrixXd::Ones(2, 3);
    const pods::ActionMask none = pods::ActionMask::Constant(2, 3, false);
    CHECK_THROWS_AS(pods::dense_feedforward(Eigen::MatrixXd::Identity(5, 5), grad, none, Eigen::MatrixXd::Zero(2, 3), 1.0),
                    std::invalid_argument);
    CHECK_THROWS_AS(pods::dense_feedforward(Eigen::MatrixXd::Identity(6, 6), grad, none, Eigen::MatrixXd::Zero(3, 2), 1.0),
                    std::invalid_argument);
}
