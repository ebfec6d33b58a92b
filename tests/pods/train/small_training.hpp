#pragma once
// The small scene and training configuration of the trainer's and the learners' tests (the 2D
// pendulum with a short horizon, a 12-trajectory batch and a 16-16 network), and their check that
// a run gives the same bits for any thread count.

#include "pods/task/scene.hpp"
#include "pods/train/train_config.hpp"
#include "pods/train/trainer.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

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

/// Trains `config` on `scene` for `epochs` epochs with 1 and with `threads` threads: the epochs
/// must change the policy, and every epoch's statistics (the timings aside), the policy, the
/// learner's state and the test return must be the same bits. Returns the learner's state.
inline nlohmann::json check_thread_determinism(const pods::Scene& scene, const pods::TrainConfig& config, int epochs,
                                               int threads = 2)
{
    pods::Trainer one(scene, config, 1), many(scene, config, threads);
    const Eigen::VectorXd initial = one.policy().parameters();
    for (int e = 0; e < epochs; ++e) {
        INFO("epoch " << e);
        const pods::EpochStats a = one.run_epoch(e), b = many.run_epoch(e);
        CHECK(a.sim_steps == b.sim_steps);
        CHECK(a.failed == b.failed);
        for (double pods::EpochStats::*field :
             {&pods::EpochStats::train_return, &pods::EpochStats::alpha_mean, &pods::EpochStats::improved_return,
              &pods::EpochStats::fit_loss, &pods::EpochStats::gradient_norm, &pods::EpochStats::policy_std,
              &pods::EpochStats::approx_kl, &pods::EpochStats::clip_fraction, &pods::EpochStats::value_loss,
              &pods::EpochStats::temperature, &pods::EpochStats::entropy, &pods::EpochStats::local_return,
              &pods::EpochStats::global_return, &pods::EpochStats::bc_loss, &pods::EpochStats::pull_loss,
              &pods::EpochStats::guard_scale, &pods::EpochStats::mu})
            CHECK(a.*field == b.*field);
    }
    CHECK(one.policy().parameters() != initial); // the epochs trained
    CHECK(one.policy().parameters() == many.policy().parameters());
    CHECK(one.learner_state() == many.learner_state());
    CHECK(one.evaluate().return_mean == many.evaluate().return_mean);
    return one.learner_state();
}

} // namespace podsim::test
