// Highlights of a diagnostics run on hand-made series, and the summary paragraph's statements.
#include "pods/diagnose/highlights.hpp"
#include "tests/fd.hpp"

#include <cmath>

using namespace podsim;

namespace {

pods::Diagnostics synthetic(bool policy)
{
    pods::Diagnostics d;
    d.horizon = 10;
    d.dt = 0.1;
    d.n_x = 2;
    d.n_a = 1;
    d.gradient_norm = Eigen::VectorXd::LinSpaced(10, 10, 1); // largest at 0, smallest at 9
    d.open_loop.transition_sigma = Eigen::VectorXd::Constant(10, 1.5);
    d.open_loop.transition_sigma[3] = 4;
    d.open_loop.accumulated_log_sigma = Eigen::VectorXd::LinSpaced(10, 10, 1) * std::log(2.0);
    d.open_loop.ftle = Eigen::VectorXd::Constant(10, std::log(2.0) / 0.1);
    d.gauss_newton.computed = true;
    d.gauss_newton.order = 10;
    d.gauss_newton.eigenvalue_max = 20;
    d.gauss_newton.eigenvalue_min = 0.002;
    d.gauss_newton.condition = 1e4;
    d.gauss_newton.action_term = 0.002;
    if (policy) {
        d.has_policy = true;
        d.policy_type = "mlp";
        d.policy_horizon = 1;
        d.closed_loop.transition_sigma = Eigen::VectorXd::Constant(10, 0.9);
        d.closed_loop.accumulated_log_sigma = -Eigen::VectorXd::LinSpaced(10, 10, 1) * std::log(10.0);
        d.closed_loop.ftle = Eigen::VectorXd::Constant(10, -std::log(10.0) / 0.1);
        d.closed_gradient_norm = Eigen::VectorXd::Ones(10);
        d.bptt.norm = Eigen::VectorXd::Zero(10);
        d.bptt.norm[0] = 6; // the first step holds 60% of the sum
        d.bptt.norm[1] = 3;
        d.bptt.norm[9] = 1;
        d.bptt.total = Eigen::VectorXd::Constant(1, 5); // partly cancelling: 5 of 10
        d.bptt.share = Eigen::VectorXd::Zero(10);
    }
    return d;
}

} // namespace

TEST_CASE("diagnose highlights: extremes, growth and BPTT statistics of known series")
{
    const pods::Diagnostics d = synthetic(true);
    const pods::SeriesExtremes g = pods::extremes(d.gradient_norm);
    CHECK(g.max == 10);
    CHECK(g.max_step == 0);
    CHECK(g.min == 1);
    CHECK(g.min_step == 9);
    const pods::GrowthHighlights open = pods::growth_highlights(d.open_loop);
    CHECK(open.log10_growth == doctest::Approx(10 * std::log10(2.0)));
    CHECK(open.transition.max_step == 3);
    const pods::BpttHighlights b = pods::bptt_highlights(d.bptt, 1);
    CHECK(b.norm == 5);
    CHECK(b.coherence == doctest::Approx(0.5));
    CHECK(b.half_steps == 1);
    CHECK(b.most_steps == 2);
    CHECK(b.contribution.max_step == 0);
    // NDP-like profile: decisions every 4 steps
    pods::BpttProfile p;
    p.norm = Eigen::VectorXd::Zero(9);
    p.norm[0] = 1;
    p.norm[4] = 5;
    p.norm[8] = 2;
    p.total = Eigen::VectorXd::Constant(1, 8);
    const pods::BpttHighlights ndp = pods::bptt_highlights(p, 4);
    CHECK(ndp.contribution.max_step == 4);
    CHECK(ndp.contribution.min_step == 0);
    CHECK(ndp.contribution.min == 1);
    CHECK(ndp.half_steps == 5);
    CHECK(ndp.coherence == doctest::Approx(1));
}

TEST_CASE("diagnose highlights: the summary states growth, gradient spread, conditioning and where BPTT's gradient comes from")
{
    const std::string open = pods::diagnostics_summary(synthetic(false));
    CHECK(open.find("grows perturbations by up to a factor of 10^3.0") != std::string::npos);
    CHECK(open.find("largest at step 0") != std::string::npos);
    CHECK(open.find("condition number 1e+04") != std::string::npos);
    CHECK(open.find("action weight") != std::string::npos);
    CHECK(open.find("--policy") != std::string::npos);
    const std::string closed = pods::diagnostics_summary(synthetic(true));
    CHECK(closed.find("shrinks every perturbation to at most 10^-10.0") != std::string::npos);
    CHECK(closed.find("stabilises") != std::string::npos);
    CHECK(closed.find("first 1 steps") != std::string::npos);
    CHECK(closed.find("partly cancel") != std::string::npos);
    CHECK(closed.find("Early steps dominate") != std::string::npos);
    CHECK(closed.find('\n') == std::string::npos); // one paragraph
}
