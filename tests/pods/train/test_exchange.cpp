// Encodings of exchanged training results: what the combining step reads comes back exactly.
#include "pods/train/exchange.hpp"

#include <doctest/doctest.h>

using namespace podsim;

namespace {

pods::ClosedLoopRollout rollout(bool ok)
{
    pods::ClosedLoopRollout r;
    r.ok = ok;
    r.failed_step = ok ? -1 : 17;
    r.failure = ok ? "" : "Newton did not converge";
    r.cost = 12.25;
    r.obs = Eigen::MatrixXd::Random(6, 4);
    r.handle_velocity = Eigen::MatrixXd::Random(2, 4);
    r.requested = Eigen::MatrixXd::Random(2, 20);
    r.actions = r.requested.cwiseMax(-0.5).cwiseMin(0.5);
    r.states.resize(3);
    return r;
}

} // namespace

TEST_CASE("exchange: a rollout's outcome and decisions round-trip")
{
    for (bool ok : {true, false}) {
        const pods::ClosedLoopRollout r = rollout(ok);
        pods::WireWriter w;
        pods::put_outcome(w, r);
        pods::put_decisions(w, r);
        pods::WireReader in(w.bytes());
        pods::ClosedLoopRollout a, b;
        pods::get_outcome(in, a);
        pods::get_decisions(in, b);
        in.expect_end();
        for (const pods::ClosedLoopRollout* x : {&a, &b}) {
            CHECK(x->ok == r.ok);
            CHECK(x->failed_step == r.failed_step);
            CHECK(x->failure == r.failure);
            CHECK(x->cost == r.cost);
        }
        CHECK(a.obs.size() == 0); // the outcome alone carries no matrices
        CHECK(b.obs == r.obs);
        CHECK(b.handle_velocity == r.handle_velocity);
        CHECK(b.requested == r.requested);
        CHECK(b.actions == r.actions);
        CHECK(b.states.empty());
    }
}

TEST_CASE("exchange: regression samples round-trip, empty ones included")
{
    pods::RegressionData d;
    d.obs = Eigen::MatrixXd::Random(5, 3);
    d.hv = Eigen::MatrixXd::Random(2, 3);
    d.target = Eigen::MatrixXd::Random(4, 3);
    d.weight = Eigen::MatrixXd::Ones(4, 3);
    pods::WireWriter w;
    pods::put_samples(w, d);
    pods::put_samples(w, pods::RegressionData{});
    pods::WireReader in(w.bytes());
    pods::RegressionData e, f;
    pods::get_samples(in, e);
    pods::get_samples(in, f);
    in.expect_end();
    CHECK(e.obs == d.obs);
    CHECK(e.hv == d.hv);
    CHECK(e.target == d.target);
    CHECK(e.weight == d.weight);
    CHECK(f.size() == 0);
}
