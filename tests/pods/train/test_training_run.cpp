// Training runs with files: an interrupted run resumed equals an uninterrupted one byte for byte
// (wall time aside), different settings or corrupt files are refused with a located message, and
// a finished run is never overwritten.
#include "common/input_error.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/learner_registry.hpp"
#include "pods/train/training_run.hpp"
#include "policy/policy_io.hpp"
#include "common/text_io.hpp"
#include "tests/paths.hpp"
#include "tests/scratch.hpp"

#include <doctest/doctest.h>


using namespace podsim;
using podsim::test::source_path;

namespace {

pods::Scene small_scene()
{
    pods::Scene s = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    s.task.horizon = 25;
    return s;
}

pods::TrainConfig small_config(pods::Method m, int epochs)
{
    pods::TrainConfig c;
    c.method = m;
    c.epochs = epochs;
    c.batch = 8;
    c.test_episodes = 8;
    c.hidden = {8, 8};
    c.fit_steps = 10;
    c.sac_buffer = 8 * 25 * 3; // full by SAC's third epoch: the resumed ring wraps
    c.gps_conditions = 4;
    c.gps_samples = 2;
    return c;
}

// runs `c` in one go into dir/once, and for 2 epochs then resumed to c.epochs on 2 threads into
// dir/part; returns the resumed run's result
pods::RunResult run_once_and_resumed(const pods::Scene& scene, const pods::TrainConfig& c, const std::filesystem::path& dir)
{
    pods::RunOptions once, part;
    once.out = (dir / "once").string();
    part.out = (dir / "part").string();
    part.threads = 2;
    pods::run_training(scene, c, once);
    pods::TrainConfig first = c;
    first.epochs = 2;
    pods::run_training(scene, first, part);
    part.resume = true;
    return pods::run_training(scene, c, part);
}

} // namespace

TEST_CASE("training_run: stopping after 2 epochs and resuming to 4 equals 4 epochs in one go")
{
    const pods::Scene scene = small_scene();
    for (pods::Method m :
         {pods::Method::kPods2, pods::Method::kBptt, pods::Method::kPpo, pods::Method::kSac, pods::Method::kGps,
          pods::Method::kShac}) {
        INFO(pods::to_string(m));
        const auto dir = test::scratch_dir("run");
        pods::RunOptions once, part;
        once.out = (dir / "once").string();
        part.out = (dir / "part").string();
        part.threads = 2;
        const pods::RunResult a = pods::run_training(scene, small_config(m, 4), once);
        CHECK(a.log.size() == 5);
        CHECK(a.stopped == "epochs");
        pods::run_training(scene, small_config(m, 2), part);
        part.resume = true;
        const pods::RunResult b = pods::run_training(scene, small_config(m, 4), part);
        CHECK(b.resumed_from == 2);
        CHECK(b.log.size() == 5);
        // policy.json holds the training state, including the wall time: compare the policies
        const auto policy_a = nlohmann::json::parse(test::read_text(dir / "once/policy.json"));
        const auto policy_b = nlohmann::json::parse(test::read_text(dir / "part/policy.json"));
        CHECK(policy_a["parameters"] == policy_b["parameters"]);
        CHECK(policy_a["training"]["adam"] == policy_b["training"]["adam"]);
        CHECK(policy_a["training"]["sim_steps"] == policy_b["training"]["sim_steps"]);
        // PPO's log-std, value network, optimisers and reward scale, SAC's critics, targets,
        // temperature, optimisers and replay buffer, GPS's step sizes and last costs, SHAC's critic,
        // its Adam, target and reward scale are restored too (PODS without a replay keeps none)
        const std::string key(pods::learner_entry(m).checkpoint_key);
        CHECK(key.empty() == (m == pods::Method::kBptt));
        CHECK(policy_a["training"].contains("pods") == false);
        if (!key.empty() && m != pods::Method::kPods2) CHECK(policy_a["training"][key] == policy_b["training"][key]);
        if (m == pods::Method::kSac) CHECK(policy_a["training"]["sac"]["replay"]["episodes_added"] == 32);
        if (m == pods::Method::kShac) CHECK(policy_a["training"]["shac"]["critic_adam"]["steps"] == 4 * 4 * 4);
        // the whole file, wall time aside
        auto same_a = policy_a, same_b = policy_b;
        same_a["training"].erase("wall_s");
        same_b["training"].erase("wall_s");
        CHECK(same_a.dump() == same_b.dump());
        CHECK(test::without_column(test::read_text(dir / "once/log.csv"), 1) ==
              test::without_column(test::read_text(dir / "part/log.csv"), 1));
        std::filesystem::remove_all(dir);
    }
}

TEST_CASE("training_run: a PODS run with the proximal term, the fit guard and the replay resumed equals one in one "
          "go, and a config.json without the three settings reads as all off")
{
    const pods::Scene scene = small_scene();
    pods::TrainConfig c = small_config(pods::Method::kPods1, 4);
    c.fit_proximal = 3;
    c.fit_guard = 2;
    c.fit_replay = 2;
    c.fit_replay_follow = 0.5;
    c.fit_lr = 0.01;
    const auto dir = test::scratch_dir("run");
    CHECK(run_once_and_resumed(scene, c, dir).resumed_from == 2);
    const auto policy_a = nlohmann::json::parse(test::read_text(dir / "once/policy.json"));
    const auto policy_b = nlohmann::json::parse(test::read_text(dir / "part/policy.json"));
    CHECK(policy_a["parameters"] == policy_b["parameters"]);
    CHECK(policy_a["training"]["adam"] == policy_b["training"]["adam"]);
    CHECK(policy_a["training"]["sim_steps"] == policy_b["training"]["sim_steps"]);
    CHECK(policy_a["training"]["pods"]["fit_replay"].size() == 2);
    CHECK(policy_a["training"]["pods"] == policy_b["training"]["pods"]);
    CHECK(test::without_column(test::read_text(dir / "once/log.csv"), 1) ==
          test::without_column(test::read_text(dir / "part/log.csv"), 1));
    // resuming with another beta is refused, naming it
    pods::TrainConfig other = c;
    other.fit_proximal = 1;
    other.epochs = 5;
    pods::RunOptions part;
    part.out = (dir / "part").string();
    part.resume = true;
    CHECK_THROWS_WITH_AS(pods::run_training(scene, other, part), doctest::Contains("fit_proximal 3.0 vs 1.0"),
                         common::InputError);
    // settings of a run made before the three existed: read as 0, and such a run resumes with the defaults
    nlohmann::json settings = pods::train_config_to_json(small_config(pods::Method::kPods1, 2));
    CHECK(settings.at("fit_proximal") == 0.0);
    settings.erase("fit_proximal");
    settings.erase("fit_guard");
    settings.erase("fit_replay");
    settings.erase("fit_replay_follow");
    const pods::TrainConfig old = pods::train_config_from_json(common::JsonNode(settings, "config.json"));
    CHECK(old.fit_proximal == 0);
    CHECK(old.fit_guard == 0);
    CHECK(old.fit_replay == 0);
    CHECK(old.fit_replay_follow == 0);
    CHECK(pods::config_differences(old, small_config(pods::Method::kPods1, 2)).empty());
    std::filesystem::remove_all(dir);
}

TEST_CASE("training_run: a PODS2 run with the on-policy target and the replay resumed equals one in one go")
{
    const pods::Scene scene = small_scene();
    pods::TrainConfig c = small_config(pods::Method::kPods2, 4);
    c.pods_target = pods::PodsTarget::kOnPolicy;
    c.fit_replay = 2;
    const auto dir = test::scratch_dir("run");
    CHECK(run_once_and_resumed(scene, c, dir).resumed_from == 2);
    const auto policy_a = nlohmann::json::parse(test::read_text(dir / "once/policy.json"));
    const auto policy_b = nlohmann::json::parse(test::read_text(dir / "part/policy.json"));
    CHECK(policy_a["parameters"] == policy_b["parameters"]);
    CHECK(policy_a["training"]["pods"] == policy_b["training"]["pods"]);
    CHECK(test::without_column(test::read_text(dir / "once/log.csv"), 1) ==
          test::without_column(test::read_text(dir / "part/log.csv"), 1));
    std::filesystem::remove_all(dir);
}

TEST_CASE("training_run: with validation states the run delivers the policy of the best validation return so "
          "far, best_policy.json holds it, and a resumed run equals one in one go")
{
    const pods::Scene scene = small_scene();
    pods::TrainConfig c = small_config(pods::Method::kPods1, 6);
    c.fit_lr = 1; // large steps: a later epoch validates worse than an earlier one
    c.validation = 6;
    const auto dir = test::scratch_dir("run");
    pods::RunOptions once, part;
    once.out = (dir / "once").string();
    part.out = (dir / "part").string();
    const pods::RunResult a = pods::run_training(scene, c, once);
    // best_epoch: the first epoch of the largest validation return up to the row
    int best = 0, kept_earlier = 0;
    for (const pods::LogRow& r : a.log) {
        INFO("epoch " << r.epoch);
        CHECK(r.validation_return < 0);
        if (r.validation_return > a.log[std::size_t(best)].validation_return) best = r.epoch;
        CHECK(r.best_epoch == best);
        kept_earlier += r.best_epoch < r.epoch;
    }
    CHECK(kept_earlier > 0);
    CHECK(a.delivered_epoch == best);
    // the delivered policy: best_policy.json, the checkpoint's "best" entry, the run's result
    const auto delivered = nlohmann::json::parse(test::read_text(dir / "once/best_policy.json"));
    const auto checkpoint = nlohmann::json::parse(test::read_text(dir / "once/policy.json"));
    CHECK(delivered == checkpoint["training"]["best"]["policy"]);
    CHECK(checkpoint["training"]["best"]["epoch"] == best);
    CHECK(delivered["parameters"] == policy::policy_to_json(*a.policy)["parameters"]);
    if (best < c.epochs) CHECK(delivered["parameters"] != checkpoint["parameters"]);

    pods::TrainConfig first = c;
    first.epochs = 3;
    pods::run_training(scene, first, part);
    part.resume = true;
    const pods::RunResult b = pods::run_training(scene, c, part);
    CHECK(b.resumed_from == 3);
    CHECK(b.delivered_epoch == a.delivered_epoch);
    CHECK(test::read_text(dir / "once/best_policy.json") == test::read_text(dir / "part/best_policy.json"));
    // a best_policy.json one step behind policy.json (killed between the writes) is rewritten on resume
    common::write_file_atomic((dir / "part/best_policy.json").string(), "{}\n");
    pods::run_training(scene, c, part);
    CHECK(test::read_text(dir / "once/best_policy.json") == test::read_text(dir / "part/best_policy.json"));
    CHECK(test::without_column(test::read_text(dir / "once/log.csv"), 1) ==
          test::without_column(test::read_text(dir / "part/log.csv"), 1));
    // validating every second epoch: the odd epochs are neither validated nor delivered
    pods::TrainConfig every = c;
    every.epochs = 5;
    every.validation_every = 2;
    pods::RunOptions sparse;
    sparse.out = (dir / "every").string();
    const pods::RunResult e = pods::run_training(scene, every, sparse);
    for (const pods::LogRow& r : e.log) {
        INFO("epoch " << r.epoch);
        CHECK((r.validation_return == 0) == (r.epoch % 2 == 1));
        CHECK(r.best_epoch % 2 == 0);
        if (r.epoch % 2 == 0) CHECK(r.validation_return == a.log[std::size_t(r.epoch)].validation_return);
    }
    // a checkpoint without its "best" entry is refused with its location
    auto broken = nlohmann::json::parse(test::read_text(dir / "part/policy.json"));
    broken["training"].erase("best");
    common::write_file_atomic((dir / "part/policy.json").string(), broken.dump());
    pods::TrainConfig more = c;
    more.epochs = 7;
    CHECK_THROWS_WITH_AS(pods::run_training(scene, more, part), doctest::Contains("training: missing required key \"best\""), common::InputError);
    std::filesystem::remove_all(dir);
}

TEST_CASE("training_run: an H-NDP run stopped after 2 iterations and resumed to 3 equals 3 in one go")
{
    const pods::Scene scene = small_scene();
    pods::TrainConfig c = small_config(pods::Method::kHndp, 3);
    c.head = pods::Head::kNdp;
    c.batch = 4;
    c.ndp_basis = 4;
    c.hndp_regions = 2;
    c.hndp_region_samples = 32;
    const auto dir = test::scratch_dir("run");
    pods::RunOptions once, part;
    once.out = (dir / "once").string();
    part.out = (dir / "part").string();
    part.threads = 2;
    const pods::RunResult a = pods::run_training(scene, c, once);
    pods::TrainConfig two = c;
    two.epochs = 2;
    two.hndp_local_parallel = "trajectories"; // not a setting that changes results: resumable
    pods::run_training(scene, two, part);
    part.resume = true;
    const pods::RunResult b = pods::run_training(scene, c, part);
    CHECK(b.resumed_from == 2);
    REQUIRE(a.log.size() == 4);
    REQUIRE(b.log.size() == 4);
    auto policy_a = nlohmann::json::parse(test::read_text(dir / "once/policy.json"));
    auto policy_b = nlohmann::json::parse(test::read_text(dir / "part/policy.json"));
    REQUIRE(policy_a["training"].contains("hndp"));
    CHECK(policy_a["training"]["adam"] == policy_b["training"]["adam"]);
    CHECK(policy_a["training"]["hndp"] == policy_b["training"]["hndp"]);
    CHECK(policy_a["training"]["hndp"]["locals"].size() == 2);
    // the global NDP policy itself
    policy_a.erase("training");
    policy_b.erase("training");
    CHECK(policy_a == policy_b);
    for (std::size_t e = 0; e < 4; ++e) {
        CHECK(a.log[e].test.return_mean == b.log[e].test.return_mean);
        CHECK(a.log[e].local_return == b.log[e].local_return);
        CHECK(a.log[e].global_return == b.log[e].global_return);
        CHECK(a.log[e].bc_loss == b.log[e].bc_loss);
        CHECK(a.log[e].pulled_regions == b.log[e].pulled_regions);
    }
    CHECK(a.log[3].bc_loss > 0);
    // log.csv holds the H-NDP columns, read back as written
    const std::vector<pods::LogRow> rows = pods::read_log_csv((dir / "part/log.csv").string());
    REQUIRE(rows.size() == 4);
    CHECK(rows[3].global_return == b.log[3].global_return);
    CHECK(rows[3].local_return == b.log[3].local_return);
    CHECK(rows[3].bc_loss == b.log[3].bc_loss);
    // resuming with other H-NDP settings is refused, naming them
    pods::TrainConfig other = c;
    other.hndp_regions = 3;
    other.epochs = 4;
    CHECK_THROWS_WITH_AS(pods::run_training(scene, other, part), doctest::Contains("hndp_regions 2 vs 3"),
                         common::InputError);
}

TEST_CASE("training_run: a log.csv one epoch ahead of policy.json (killed between the two writes) resumes")
{
    const pods::Scene scene = small_scene();
    const auto dir = test::scratch_dir("run");
    pods::RunOptions o;
    o.out = dir.string();
    pods::run_training(scene, small_config(pods::Method::kPods2, 2), o);
    const std::string log = test::read_text(dir / "log.csv");
    const std::string policy = test::read_text(dir / "policy.json");
    pods::run_training(scene, small_config(pods::Method::kPods2, 3), {o.out, true});
    const std::string log3 = test::read_text(dir / "log.csv"), policy3 = test::read_text(dir / "policy.json");
    test::write_text(dir / "policy.json", policy); // as if killed after log.csv of epoch 3 was written
    const pods::RunResult r = pods::run_training(scene, small_config(pods::Method::kPods2, 3), {o.out, true});
    CHECK(r.resumed_from == 2);
    CHECK(r.log.size() == 4);
    const auto a = nlohmann::json::parse(policy3), b = nlohmann::json::parse(test::read_text(dir / "policy.json"));
    CHECK(a["parameters"] == b["parameters"]);
    std::filesystem::remove_all(dir);
}

TEST_CASE("training_run: different settings, corrupt files and an existing run are refused with one line")
{
    const pods::Scene scene = small_scene();
    const auto dir = test::scratch_dir("run");
    pods::RunOptions o;
    o.out = dir.string();
    pods::run_training(scene, small_config(pods::Method::kPods2, 1), o);
    const std::string log = test::read_text(dir / "log.csv"), policy = test::read_text(dir / "policy.json");

    // a fresh run over an existing one
    CHECK_THROWS_WITH_AS(pods::run_training(scene, small_config(pods::Method::kPods2, 1), o),
                         doctest::Contains("already holds a training run"), common::InputError);
    o.resume = true;
    // other settings
    pods::TrainConfig other = small_config(pods::Method::kPods2, 3);
    other.batch = 9;
    CHECK_THROWS_WITH_AS(pods::run_training(scene, other, o), doctest::Contains("batch 8 vs 9"), common::InputError);
    CHECK_THROWS_WITH_AS(pods::run_training(scene, small_config(pods::Method::kBptt, 3), o),
                         doctest::Contains("method \"pods2\" vs \"bptt\""), common::InputError);
    // corrupt policy.json: truncated, and a parameter that is not a number
    test::write_text(dir / "policy.json", policy.substr(0, policy.size() / 2));
    CHECK_THROWS_WITH_AS(pods::run_training(scene, small_config(pods::Method::kPods2, 3), o),
                         doctest::Contains("policy.json"), common::InputError);
    std::string bad = policy;
    const std::size_t first = bad.find("\"parameters\":[") + 14;
    bad.replace(first, bad.find(',', first) - first, "\"x\"");
    test::write_text(dir / "policy.json", bad);
    CHECK_THROWS_WITH_AS(pods::run_training(scene, small_config(pods::Method::kPods2, 3), o),
                         doctest::Contains("parameters[0]"), common::InputError);
    test::write_text(dir / "policy.json", policy);
    // corrupt log.csv: a bad number, a missing row
    test::write_text(dir / "log.csv", log.substr(0, log.rfind(",0,")) + ",zz,0\n");
    CHECK_THROWS_WITH_AS(pods::run_training(scene, small_config(pods::Method::kPods2, 3), o),
                         doctest::Contains("log.csv: line 3"), common::InputError);
    test::write_text(dir / "log.csv", log.substr(0, log.find('\n', log.find('\n') + 1) + 1));
    CHECK_THROWS_WITH_AS(pods::run_training(scene, small_config(pods::Method::kPods2, 3), o),
                         doctest::Contains("policy.json is at epoch 1"), common::InputError);
    // the intact run still resumes
    test::write_text(dir / "log.csv", log);
    CHECK(pods::run_training(scene, small_config(pods::Method::kPods2, 2), o).log.size() == 3);
    std::filesystem::remove_all(dir);
}

TEST_CASE("training_run: a time budget stops starting epochs")
{
    const pods::Scene scene = small_scene();
    const auto dir = test::scratch_dir("run");
    pods::RunOptions o;
    o.out = dir.string();
    o.time_budget = 1e-9;
    const pods::RunResult r = pods::run_training(scene, small_config(pods::Method::kPods2, 100), o);
    CHECK(r.stopped == "time budget");
    CHECK(r.log.size() == 2); // the initial row and the one epoch that used the budget up
    std::filesystem::remove_all(dir);
}
