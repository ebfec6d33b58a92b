// The Trainer with every method on the real simulator: its epochs train, and the same seed gives
// the same bits for any thread count.
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
            test::check_thread_determinism(scene, test::small_config(m, head), 3);
        }
    pods::TrainConfig on_policy = test::small_config(pods::Method::kPods2);
    on_policy.pods_target = pods::PodsTarget::kOnPolicy;
    test::check_thread_determinism(scene, on_policy, 3);
}
