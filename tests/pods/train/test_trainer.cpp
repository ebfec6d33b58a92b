// The Trainer with every method on the real simulator: the same seed gives the same bits for any
// thread count, a different seed a different policy.
#include "pods/task/scene.hpp"
#include "pods/train/trainer.hpp"
#include "tests/pods/train/small_training.hpp"

#include <doctest/doctest.h>

using namespace podsim;

TEST_CASE("trainer: the same seed gives bit-identical policies with 1 and 2 threads (every method, both heads)")
{
    const pods::Scene scene = test::small_scene(30);
    for (pods::Method m : {pods::Method::kPods2, pods::Method::kPods1, pods::Method::kBptt, pods::Method::kPpo})
        for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
            INFO(pods::to_string(m) << " " << pods::to_string(head));
            pods::Trainer one(scene, test::small_config(m, head), 1), two(scene, test::small_config(m, head), 2);
            for (int e = 0; e < 3; ++e) {
                const pods::EpochStats a = one.run_epoch(e), b = two.run_epoch(e);
                CHECK(a.train_return == b.train_return);
                CHECK(a.fit_loss == b.fit_loss);
                CHECK(a.sim_steps == b.sim_steps);
            }
            CHECK(one.policy().parameters() == two.policy().parameters());
            CHECK(one.learner_state() == two.learner_state());
            CHECK(one.evaluate().return_mean == two.evaluate().return_mean);
            // and a different seed trains a different policy
            pods::TrainConfig other = test::small_config(m, head);
            other.seed = 2;
            pods::Trainer three(scene, other, 2);
            three.run_epoch(0);
            CHECK(three.policy().parameters() != one.policy().parameters());
        }
}
