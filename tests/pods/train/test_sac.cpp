// SAC epochs on the real simulator: the epoch's episodes go into the buffer with the updates the
// setting asks for, the exploration is the squashed Gaussian with each step's noise, SAC raises
// the test return on the 2D pendulum, the same seed gives the same bits for 1 and 2 threads (a
// resumed run: test_training_run), and the NDP head is refused.
#include "pods/train/ppo.hpp"
#include "pods/train/sac.hpp"
#include "pods/train/trainer.hpp"
#include "policy/mlp_policy.hpp"
#include "tests/pods/train/small_training.hpp"

#include <doctest/doctest.h>

using namespace podsim;

namespace {

pods::TrainConfig sac_config()
{
    pods::TrainConfig c = test::small_config(pods::Method::kSac);
    c.sac_minibatch = 64;
    c.sac_updates = 0.1;
    return c;
}

const pods::SacLearner& sac_of(const pods::Trainer& t)
{
    const auto* sac = dynamic_cast<const pods::SacLearner*>(&t.learner());
    REQUIRE(sac != nullptr);
    return *sac;
}

} // namespace

TEST_CASE("sac: an epoch stores its episodes and makes sac_updates x transitions updates")
{
    const pods::Scene scene = test::small_scene(20);
    pods::TrainConfig c = sac_config();
    c.sac_buffer = 12 * 20 + 10; // 12 episode slots: the second epoch overwrites the first
    pods::Trainer t(scene, c, 1);
    const pods::SacLearner& sac = sac_of(t);
    CHECK(sac.replay().size() == 0);
    const Eigen::VectorXd q_before = sac.critic(0).parameters(), target_before = sac.target(0).parameters();
    CHECK(target_before == q_before);
    const pods::EpochStats s = t.run_epoch(0);
    CHECK(s.failed == 0);
    CHECK(s.sim_steps == 12 * 20);
    CHECK(sac.replay().size() == 12 * 20);
    CHECK(sac.replay().episodes_added() == 12);
    // the optimisers took 0.1 x 240 = 24 steps
    const nlohmann::json state = sac.state_json();
    CHECK(state["q1_adam"]["steps"] == 24);
    CHECK(state["log_alpha_adam"]["steps"] == 24);
    CHECK(t.adam().steps() == 24);
    // the targets trail the critics
    CHECK(sac.critic(0).parameters() != q_before);
    CHECK(sac.target(0).parameters() != q_before);
    CHECK(sac.target(0).parameters() != sac.critic(0).parameters());
    CHECK(s.value_loss > 0);
    CHECK(s.temperature > 0);
    CHECK(s.temperature != c.sac_alpha_init);
    CHECK(s.policy_std > 0);
    CHECK(s.train_return < 0);
    t.run_epoch(1);
    CHECK(sac.replay().size() == 12 * 20);
    CHECK(sac.replay().episodes_added() == 24);
}

TEST_CASE("sac: the exploration is a_max tanh(z + sigma eps) with the trajectory's noise of each step, inside the box")
{
    const pods::Scene scene = test::small_scene(30);
    pods::TrainConfig c = sac_config();
    c.sac_updates = 0.01;
    c.last_layer_scale = 1; // a policy far from zero
    pods::Trainer t(scene, c, 1);
    // the policy's network before the epoch's updates, with a linear output: z
    const auto& head = dynamic_cast<const policy::MlpPolicy&>(t.policy());
    policy::MlpConfig linear = head.network().config();
    linear.output_limit = 0;
    policy::Mlp z_net(linear, 0);
    z_net.set_parameters(head.parameters());
    t.run_epoch(0);
    // the noise of epoch 0, sigma = 1 (log-std 0) during its rollouts
    std::vector<Eigen::MatrixXd> eps;
    pods::trajectory_noise(c.seed, pods::kSacNoiseStream, 0, c.batch, scene.model.n_p(), 30, eps);
    pods::SacBatch batch;
    std::vector<int> all(static_cast<std::size_t>(sac_of(t).replay().size()));
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = int(i);
    sac_of(t).replay().gather(all, batch);
    REQUIRE(batch.size() == 12 * 30);
    Eigen::MatrixXd z;
    policy::MlpWorkspace ws;
    z_net.forward(batch.obs, z, ws);
    const double limit = scene.task.action_limit;
    double worst = 0;
    for (int i = 0; i < batch.size(); ++i) {
        const Eigen::VectorXd expected = limit * (z.col(i) + eps[std::size_t(i / 30)].col(i % 30)).array().tanh();
        worst = std::max(worst, (batch.action.col(i) - expected).cwiseAbs().maxCoeff());
    }
    CHECK(worst < 1e-12);
    CHECK(batch.action.cwiseAbs().maxCoeff() < limit);
    CHECK(batch.action.cwiseAbs().maxCoeff() > 0.5 * limit);
    CHECK(t.policy().type() == "mlp");
}

TEST_CASE("sac: training raises the test return on the 2D pendulum")
{
    // the 40-step pendulum from the initial policy (-96.2) to -52.7 in 10 epochs of 640 updates,
    // about 2 s on one thread (docs/training.md, SAC)
    const pods::Scene scene = test::small_scene(40);
    pods::TrainConfig c = test::small_config(pods::Method::kSac);
    c.batch = 16;
    c.sac_minibatch = 64;
    c.sac_updates = 1;
    pods::Trainer t(scene, c, 1);
    const double initial = t.evaluate().return_mean;
    pods::EpochStats s;
    for (int e = 0; e < 10; ++e) {
        s = t.run_epoch(e);
        CHECK(s.failed == 0);
    }
    CHECK(s.gradient_norm > 0);
    CHECK(s.entropy != 0);
    const double final = t.evaluate().return_mean;
    MESSAGE("test return " << initial << " -> " << final);
    CHECK(final > initial + 0.3 * std::abs(initial));
}

TEST_CASE("sac: the same seed gives bit-identical policies and learner states with 1 and 2 threads")
{
    const pods::Scene scene = test::small_scene(30);
    pods::TrainConfig c = sac_config();
    c.batch = 40; // two lockstep batches
    c.sac_minibatch = 150; // three chunks, one partial
    c.sac_updates = 0.02;
    test::check_thread_determinism(scene, c, 2);
}

TEST_CASE("sac: the NDP head is refused, naming the rule")
{
    pods::TrainConfig c = sac_config();
    c.head = pods::Head::kNdp;
    CHECK_THROWS_WITH_AS(pods::validate_train_config(c), "head: method sac trains MLP policies, must be mlp",
                         std::invalid_argument);
}
