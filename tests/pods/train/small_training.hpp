#pragma once
// The small scene and training configuration of the trainer's and the learners' tests: the 2D
// pendulum with a short horizon, a 12-trajectory batch and a 16-16 network.

#include "pods/task/scene.hpp"
#include "pods/train/train_config.hpp"
#include "tests/paths.hpp"

namespace podsim::test {

inline pods::Scene small_scene(int horizon = 40)
{
    pods::Scene s = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    s.task.horizon = horizon;
    return s;
}

inline pods::TrainConfig small_config(pods::Method method, pods::Head head = pods::Head::kMlp)
{
    pods::TrainConfig c;
    c.method = method;
    c.head = head;
    c.batch = 12;
    c.test_episodes = 16;
    c.hidden = {16, 16};
    c.fit_steps = 30;
    c.minibatch = 128;
    c.ndp_horizon = 5;
    c.ndp_basis = 4;
    return c;
}

} // namespace podsim::test
