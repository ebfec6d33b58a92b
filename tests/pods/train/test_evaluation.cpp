// The validation rule that picks a run's delivered policy. evaluate_policy itself runs under
// test_pods_learner.cpp (the test bed of every epoch) and its summary columns under
// test_training_log.cpp.
#include "pods/train/evaluation.hpp"

#include <doctest/doctest.h>

using namespace podsim;

namespace {

pods::EvaluationSummary validated(int failed, double return_mean)
{
    pods::EvaluationSummary s;
    s.episodes = 8;
    s.failed = failed;
    s.return_mean = return_mean;
    return s;
}

} // namespace

TEST_CASE("validates_better: fewer failed validation episodes win over any mean return")
{
    // the best so far: one failed episode, the others at -10
    CHECK(pods::validates_better(validated(0, -100.0), 1, -10.0));
    CHECK_FALSE(pods::validates_better(validated(2, -1.0), 1, -10.0));
    CHECK_FALSE(pods::validates_better(validated(1, -1.0), 0, -10.0));
}

TEST_CASE("validates_better: among equal failures the higher mean return wins and a tie keeps the earlier")
{
    CHECK(pods::validates_better(validated(0, -9.5), 0, -10.0));
    CHECK_FALSE(pods::validates_better(validated(0, -10.5), 0, -10.0));
    CHECK_FALSE(pods::validates_better(validated(0, -10.0), 0, -10.0));
    CHECK(pods::validates_better(validated(3, -2.0), 3, -2.5));
}
