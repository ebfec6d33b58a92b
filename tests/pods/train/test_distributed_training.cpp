// Training spread over MPI ranks equals training in one process bit for bit: the epochs of every
// method and head, failed trajectories included, the test-bed evaluation, run_training's files,
// --resume and the time budget. Part of test_mpi, which ctest runs under mpiexec with 2 and 3
// ranks; each rank trains once spread over the ranks and once alone, and compares.
#include "common/input_error.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/cluster.hpp"
#include "pods/train/training_run.hpp"
#include "tests/paths.hpp"
#include "tests/scratch.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace podsim;
using podsim::test::source_path;

namespace {

const pods::Cluster& world() { return pods::Cluster::world(); }

pods::Scene small_scene(int horizon = 30)
{
    pods::Scene s = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    s.task.horizon = horizon;
    return s;
}

pods::TrainConfig small_config(pods::Method method, pods::Head head, int epochs = 2)
{
    pods::TrainConfig c;
    c.method = method;
    c.head = head;
    c.epochs = epochs;
    c.batch = 70; // three lockstep batches, the last one short
    c.test_episodes = 40;
    c.hidden = {8, 8};
    c.fit_steps = 10;
    c.minibatch = 64;
    c.ppo_epochs = 2;
    c.ppo_minibatch = 64;
    c.ndp_horizon = 5;
    c.ndp_basis = 4;
    return c;
}

void check_same(const pods::EpochStats& a, const pods::EpochStats& b)
{
    CHECK(a.sim_steps == b.sim_steps);
    CHECK(a.train_return == b.train_return);
    CHECK(a.improved_return == b.improved_return);
    CHECK(a.alpha_mean == b.alpha_mean);
    CHECK(a.fit_loss == b.fit_loss);
    CHECK(a.gradient_norm == b.gradient_norm);
    CHECK(a.value_loss == b.value_loss);
    CHECK(a.approx_kl == b.approx_kl);
    CHECK(a.mu == b.mu);
    REQUIRE(a.failures.size() == b.failures.size());
    for (std::size_t i = 0; i < a.failures.size(); ++i) {
        CHECK(a.failures[i].index == b.failures[i].index);
        CHECK(a.failures[i].step == b.failures[i].step);
        CHECK(a.failures[i].message == b.failures[i].message);
    }
}

void check_same(const pods::EvaluationSummary& a, const pods::EvaluationSummary& b)
{
    CHECK(a.failed == b.failed);
    CHECK(a.return_mean == b.return_mean);
    CHECK(a.return_std == b.return_std);
    CHECK(a.terminal_ke_mean == b.terminal_ke_mean);
    CHECK(a.final_distance_mean == b.final_distance_mean);
    CHECK(a.action_mag_mean == b.action_mag_mean);
}

// one directory for all ranks: rank 0's scratch directory
std::filesystem::path shared_scratch(const std::string& tag)
{
    std::string path = world().root() ? test::scratch_dir(tag).string() : std::string();
    world().broadcast(path);
    return path;
}


} // namespace

TEST_CASE("distributed training: every method and head gives the single-process epochs and evaluation")
{
    const pods::Scene scene = small_scene();
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp})
        for (pods::Method m : {pods::Method::kPods2, pods::Method::kPods1, pods::Method::kBptt, pods::Method::kPpo}) {
            INFO(pods::to_string(m) << " " << pods::to_string(head) << " on " << world().size() << " ranks");
            const pods::TrainConfig config = small_config(m, head);
            pods::Trainer alone(scene, config, 1), spread(scene, config, 2, world());
            for (int epoch = 0; epoch < config.epochs; ++epoch) check_same(alone.run_epoch(epoch), spread.run_epoch(epoch));
            CHECK(alone.policy().parameters() == spread.policy().parameters());
            CHECK(alone.learner_state() == spread.learner_state());
            check_same(alone.evaluate(), spread.evaluate());
        }
}

TEST_CASE("distributed training: GPS's conditions spread over the ranks give the single-process bits")
{
    const pods::Scene scene = small_scene();
    pods::TrainConfig config = small_config(pods::Method::kGps, pods::Head::kMlp, 3);
    config.gps_conditions = 5; // fewer than 2 per rank on 3 ranks for some
    config.gps_samples = 2;
    pods::Trainer alone(scene, config, 1), spread(scene, config, 2, world());
    for (int epoch = 0; epoch < config.epochs; ++epoch) check_same(alone.run_epoch(epoch), spread.run_epoch(epoch));
    CHECK(alone.policy().parameters() == spread.policy().parameters());
    CHECK(alone.learner_state() == spread.learner_state());
    check_same(alone.evaluate(), spread.evaluate());
}

TEST_CASE("distributed training: SHAC's batches spread over the ranks give the single-process bits")
{
    const pods::Scene scene = small_scene();
    pods::TrainConfig config = small_config(pods::Method::kShac, pods::Head::kMlp, 2);
    config.shac_window = 8;
    config.shac_critic_iters = 2;
    pods::Trainer alone(scene, config, 1), spread(scene, config, 2, world());
    for (int epoch = 0; epoch < config.epochs; ++epoch) check_same(alone.run_epoch(epoch), spread.run_epoch(epoch));
    CHECK(alone.policy().parameters() == spread.policy().parameters());
    CHECK(alone.learner_state() == spread.learner_state());
    check_same(alone.evaluate(), spread.evaluate());
}

TEST_CASE("distributed training: the regression's proximal term, the fit guard and the replay (following the policy for pods2) give the single-process bits")
{
    const pods::Scene scene = small_scene();
    for (pods::Method m : {pods::Method::kPods2, pods::Method::kPods1}) {
        INFO(pods::to_string(m) << " on " << world().size() << " ranks");
        pods::TrainConfig config = small_config(m, pods::Head::kMlp, 3);
        config.fit_proximal = 2;
        config.fit_guard = 3;
        config.fit_replay = 2;
        config.fit_replay_follow = m == pods::Method::kPods2 ? 0.5 : 0.0;
        config.fit_lr = 0.03;
        pods::Trainer alone(scene, config, 1), spread(scene, config, 2, world());
        for (int epoch = 0; epoch < config.epochs; ++epoch) {
            const pods::EpochStats a = alone.run_epoch(epoch), b = spread.run_epoch(epoch);
            check_same(a, b);
            CHECK(a.guard_scale == b.guard_scale);
        }
        CHECK(alone.policy().parameters() == spread.policy().parameters());
        CHECK(alone.adam().second_moment() == spread.adam().second_moment());
        CHECK(alone.learner_state() == spread.learner_state());
        check_same(alone.evaluate(), spread.evaluate());
    }
}

TEST_CASE("distributed training: the on-policy target of both PODS variants, and PODS2's adaptive damping, give the single-process bits")
{
    const pods::Scene scene = small_scene();
    struct Case {
        pods::Method method;
        pods::PodsTarget target;
        pods::PodsDamping damping;
    };
    // the open-loop target searches along the arc: there the adaptive damping moves mu
    for (const Case& k : {Case{pods::Method::kPods2, pods::PodsTarget::kOnPolicy, pods::PodsDamping::kAdaptive},
                          Case{pods::Method::kPods1, pods::PodsTarget::kOnPolicy, pods::PodsDamping::kFixed},
                          Case{pods::Method::kPods2, pods::PodsTarget::kOpenLoop, pods::PodsDamping::kAdaptive}}) {
        INFO(pods::to_string(k.method) << " " << pods::to_string(k.target) << " on " << world().size() << " ranks");
        pods::TrainConfig config = small_config(k.method, pods::Head::kMlp, 4);
        config.pods_target = k.target;
        config.pods_damping = k.damping;
        config.mu = 1e-4;
        config.fit_replay = 2;
        pods::Trainer alone(scene, config, 1), spread(scene, config, 2, world());
        bool moved = false;
        for (int epoch = 0; epoch < config.epochs; ++epoch) {
            const pods::EpochStats a = alone.run_epoch(epoch), b = spread.run_epoch(epoch);
            check_same(a, b);
            moved = moved || (a.mu != 0 && a.mu != config.mu); // pods1: no damping
        }
        CHECK(moved == (k.target == pods::PodsTarget::kOpenLoop)); // the rule moved mu only there
        CHECK(alone.policy().parameters() == spread.policy().parameters());
        CHECK(alone.learner_state() == spread.learner_state());
        check_same(alone.evaluate(), spread.evaluate());
    }
}

TEST_CASE("distributed training: H-NDP iterations give the single-process bits, either way of fitting the locals")
{
    const pods::Scene scene = small_scene(20);
    for (const char* mode : {"regions", "trajectories"})
        for (pods::Method local : {pods::Method::kPods2, pods::Method::kPpo}) {
            INFO(mode << ", locals by " << pods::to_string(local) << " on " << world().size() << " ranks");
            pods::TrainConfig c = small_config(pods::Method::kHndp, pods::Head::kNdp);
            c.batch = 20; // the global's 60 trajectories in two lockstep batches, one per local
            c.hndp_regions = 3;
            c.hndp_region_samples = 64;
            c.hndp_local_parallel = mode;
            c.hndp_local_method = local;
            c.hndp_success_fraction = 100; // every local pulled
            c.ppo_minibatch = 16;
            pods::Trainer alone(scene, c, 1), spread(scene, c, 2, world());
            for (int epoch = 0; epoch < c.epochs; ++epoch) {
                const pods::EpochStats a = alone.run_epoch(epoch), b = spread.run_epoch(epoch);
                check_same(a, b);
                CHECK(a.local_return == b.local_return);
                CHECK(a.bc_loss == b.bc_loss);
                CHECK(a.pull_loss == b.pull_loss);
                CHECK(a.pulled_regions == b.pulled_regions);
            }
            CHECK(alone.policy().parameters() == spread.policy().parameters());
            CHECK(alone.learner_state() == spread.learner_state());
            check_same(alone.evaluate(), spread.evaluate());
        }
}

TEST_CASE("distributed training: trajectories that fail on some ranks are left out as in one process")
{
    // fast swings and a Newton capped at 2 (PPO's noisy actions: 3) iterations at a tight
    // tolerance: some trajectories fail, others not
    nlohmann::json doc = nlohmann::json::parse(test::read_text(source_path("scenes/pendulum_2d_stop.json")));
    doc["task"]["initial_state"]["angular_velocity"] = {-6, 6};
    for (pods::Method m : {pods::Method::kPods2, pods::Method::kBptt, pods::Method::kPpo}) {
        INFO(pods::to_string(m));
        doc["solver"] = {{"max_iterations", m == pods::Method::kPpo ? 3 : 2}, {"tolerance", 1e-14}};
        pods::Scene scene = pods::parse_scene(doc, "failing.json");
        scene.task.horizon = 30;
        const pods::TrainConfig config = small_config(m, pods::Head::kMlp);
        pods::Trainer alone(scene, config, 1), spread(scene, config, 1, world());
        const pods::EpochStats a = alone.run_epoch(0), b = spread.run_epoch(0);
        CHECK(a.failed > 0);
        CHECK(a.failed < config.batch);
        check_same(a, b);
        CHECK(alone.policy().parameters() == spread.policy().parameters());
        check_same(alone.evaluate(), spread.evaluate());
    }
}

TEST_CASE("distributed training: run_training writes the single-process files, resumes across rank counts and "
          "agrees on the time budget")
{
    const pods::Scene scene = small_scene(20);
    const auto dir = shared_scratch("mpi_run");
    for (pods::Method m : {pods::Method::kPods2, pods::Method::kPpo}) {
        INFO(pods::to_string(m));
        const std::string tag = pods::to_string(m);
        // PODS2 also selects its delivered policy on validation states, spread over the ranks too
        const auto config = [m](int epochs) {
            pods::TrainConfig c = small_config(m, pods::Head::kMlp, epochs);
            if (m == pods::Method::kPods2) c.validation = 12;
            return c;
        };
        // one process, 3 epochs
        pods::RunOptions alone;
        alone.out = (dir / (tag + "_alone")).string();
        if (world().root()) pods::run_training(scene, config(3), alone);
        // every rank: 2 epochs, then resumed to 3
        pods::RunOptions spread;
        spread.out = (dir / (tag + "_spread")).string();
        spread.cluster = world();
        pods::run_training(scene, config(2), spread);
        spread.resume = true;
        const pods::RunResult r = pods::run_training(scene, config(3), spread);
        CHECK(r.resumed_from == 2);
        REQUIRE(r.log.size() == 4); // every rank holds the whole log
        world().agree([] {});       // rank 0's files are complete
        if (world().root()) {
            CHECK(test::without_column(test::read_text(dir / (tag + "_alone/log.csv")), 1) ==
                  test::without_column(test::read_text(dir / (tag + "_spread/log.csv")), 1));
            auto p1 = nlohmann::json::parse(test::read_text(dir / (tag + "_alone/policy.json")));
            auto p2 = nlohmann::json::parse(test::read_text(dir / (tag + "_spread/policy.json")));
            p1["training"].erase("wall_s");
            p2["training"].erase("wall_s");
            CHECK(p1.dump() == p2.dump());
            if (m == pods::Method::kPods2)
                CHECK(test::read_text(dir / (tag + "_alone/best_policy.json")) ==
                      test::read_text(dir / (tag + "_spread/best_policy.json")));
        }
        // a second fresh run into the same directory is refused on every rank
        spread.resume = false;
        CHECK_THROWS_WITH_AS(pods::run_training(scene, config(3), spread),
                             doctest::Contains("already holds a training run"), common::InputError);
    }
    // a budget already spent after one epoch: every rank stops there (rank 0's clock decides)
    pods::RunOptions budget;
    budget.out = (dir / "budget").string();
    budget.cluster = world();
    budget.time_budget = 1e-9;
    const pods::RunResult r = pods::run_training(scene, small_config(pods::Method::kBptt, pods::Head::kMlp, 5), budget);
    CHECK(r.stopped == "time budget");
    CHECK(r.log.size() == 2);
    pods::WireWriter w;
    w.put(r.log.back().wall_s);
    for (const std::string& part : world().allgather(w.bytes())) CHECK(pods::WireReader(part).get<double>() == r.log.back().wall_s);
    world().agree([] {});
    if (world().root()) std::filesystem::remove_all(dir);
}
