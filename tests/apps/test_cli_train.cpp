// Command-line tests of the training commands on tiny budgets: train, evaluate, rollout and
// compare end to end, bad options and corrupt files (exit 2, one line), determinism across
// thread counts, and --resume.
#include "tests/apps/run_podsim.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

using podsim::test::podsim_cli;
using podsim::test::quoted;
using podsim::test::read_text;
using podsim::test::run_podsim;
using podsim::test::scratch_dir;
using podsim::test::source_path;
using podsim::test::write_text;

namespace {

// the 2D pendulum, quoted for the shell
std::string scene_arg() { return "'" + source_path("scenes/pendulum_2d_stop.json") + "'"; }
const std::string kTiny = " --epochs 2 --batch 6 --test-episodes 6 --hidden 8,8 --fit-steps 5 ";

int lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }


} // namespace

TEST_CASE("cli train: writes policy.json, log.csv and config.json, evaluate and rollout read the policy")
{
    const auto dir = scratch_dir("train");
    const auto r = run_podsim("train " + scene_arg() + " --method pods2" + kTiny + "--out " + quoted(dir / "run"));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("test return") != std::string::npos);
    const std::string log = read_text(dir / "run/log.csv");
    CHECK(log.rfind("epoch,wall_s,sim_steps,train_return,test_return_mean,test_return_std,terminal_ke,final_distance,"
                    "action_mag,alpha_mean,fit_loss,failed",
                    0) == 0);
    CHECK(lines(log) == 4); // header + epochs 0..2
    const auto config = nlohmann::json::parse(read_text(dir / "run/config.json"));
    CHECK(config["settings"]["batch"] == 6);
    CHECK(config["settings"]["method"] == "pods2");
    const auto policy = nlohmann::json::parse(read_text(dir / "run/policy.json"));
    CHECK(policy["type"] == "mlp");
    CHECK(policy["training"]["epoch"] == 2);

    const auto e = run_podsim("evaluate " + scene_arg() + " --policy " + quoted(dir / "run/policy.json") +
                              " --episodes 4 --optimality");
    REQUIRE(e.exit_code == 0);
    const auto j = nlohmann::json::parse(e.out);
    for (const char* key : {"episodes", "return_mean", "return_std", "terminal_ke_mean", "final_distance_mean",
                            "action_mag_mean", "optimality_ratio"})
        CHECK(j.contains(key));
    CHECK(j["episodes"] == 4);
    CHECK(j["optimality_ratio"].get<double>() > 0.5);

    const auto ro = run_podsim("rollout " + scene_arg() + " --policy " + quoted(dir / "run/policy.json") +
                               " --episodes 3 --out " + quoted(dir / "roll"));
    REQUIRE(ro.exit_code == 0);
    const std::string rewards = read_text(dir / "roll/rewards.csv");
    CHECK(lines(rewards) == 1 + 3 * 101);
    CHECK(rewards.find("\n2,100,") != std::string::npos);
    CHECK(lines(read_text(dir / "roll/actions.csv")) == 1 + 3 * 100);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli train: --fit-proximal, --fit-guard and --fit-replay reach config.json, off by default but pods2 replays 3 epochs, a bad value exits 2")
{
    const auto dir = scratch_dir("train");
    REQUIRE(run_podsim("train " + scene_arg() + " --method pods1 --fit-proximal 2.5 --fit-guard 3 --fit-replay 2 --fit-replay-follow 0.5" + kTiny +
                       "--out " + quoted(dir / "on")).exit_code == 0);
    const auto on = nlohmann::json::parse(read_text(dir / "on/config.json"));
    CHECK(on["settings"]["fit_proximal"] == 2.5);
    CHECK(on["settings"]["fit_guard"] == 3);
    CHECK(on["settings"]["fit_replay"] == 2);
    CHECK(on["settings"]["fit_replay_follow"] == 0.5);
    REQUIRE(run_podsim("train " + scene_arg() + " --method pods1" + kTiny + "--out " + quoted(dir / "off")).exit_code == 0);
    const auto off = nlohmann::json::parse(read_text(dir / "off/config.json"));
    CHECK(off["settings"]["fit_proximal"] == 0.0);
    CHECK(off["settings"]["fit_guard"] == 0);
    CHECK(off["settings"]["fit_replay"] == 0);
    CHECK(off["settings"]["fit_replay_follow"] == 0.0);
    check_usage_error(run_podsim("train " + scene_arg() + " --fit-replay 17" + kTiny + "--out " + quoted(dir / "bad")),
                      "--fit-replay");
    check_usage_error(run_podsim("train " + scene_arg() + " --fit-replay-follow 1.5" + kTiny + "--out " + quoted(dir / "bad")),
                      "--fit-replay-follow");
    // pods2 replays 3 epochs unless told otherwise; compare gives each method its own default
    REQUIRE(run_podsim("train " + scene_arg() + kTiny + "--out " + quoted(dir / "pods2")).exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(dir / "pods2/config.json"))["settings"]["fit_replay"] == 3);
    CHECK(nlohmann::json::parse(read_text(dir / "pods2/config.json"))["settings"]["pods_damping"] == "adaptive");
    REQUIRE(run_podsim("train " + scene_arg() + " --fit-replay 0" + kTiny + "--out " + quoted(dir / "pods2_0")).exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(dir / "pods2_0/config.json"))["settings"]["fit_replay"] == 0);
    REQUIRE(run_podsim("compare " + scene_arg() + " --methods pods2,pods1 --seeds 1 --epochs 1 --batch 2 --test-episodes 2 "
                       "--hidden 8 --out " + quoted(dir / "cmp")).exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(dir / "cmp/pods2_seed1/config.json"))["settings"]["fit_replay"] == 3);
    CHECK(nlohmann::json::parse(read_text(dir / "cmp/pods1_seed1/config.json"))["settings"]["fit_replay"] == 0);
    REQUIRE(run_podsim("compare " + scene_arg() + " --methods pods2,pods1 --seeds 1 --epochs 1 --batch 2 --test-episodes 2 "
                       "--hidden 8 --fit-replay 2 --out " + quoted(dir / "cmp2")).exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(dir / "cmp2/pods2_seed1/config.json"))["settings"]["fit_replay"] == 2);
    CHECK(nlohmann::json::parse(read_text(dir / "cmp2/pods1_seed1/config.json"))["settings"]["fit_replay"] == 2);
    // a run made with another replay resumes only when told so
    check_usage_error(run_podsim("train " + scene_arg() + kTiny + "--out " + quoted(dir / "pods2_0") + " --resume"),
                      "fit_replay 0 vs 3");
    CHECK(run_podsim("train " + scene_arg() + kTiny + "--fit-replay 0 --out " + quoted(dir / "pods2_0") + " --resume").exit_code == 0);
    const std::string help = run_podsim("train --help").out;
    CHECK(help.find("3 (pods2), 0 (pods1)") != std::string::npos);
    // the default a pods run starts from, not TrainConfig's
    CHECK(help.find("--pods-target TEXT:{open-loop,feedback,on-policy}=on-policy") != std::string::npos);
    CHECK(help.find("--pods-damping TEXT:{fixed,adaptive}=adaptive\n") != std::string::npos);
    // the two runs train different policies
    CHECK(nlohmann::json::parse(read_text(dir / "on/policy.json"))["parameters"] !=
          nlohmann::json::parse(read_text(dir / "off/policy.json"))["parameters"]);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli train: --pods-target, --pods-metric and --pods-damping reach config.json, on-policy and euclidean by default for pods2 and pods1 and adaptive for pods2, each target changes the policy")
{
    const auto dir = scratch_dir("train");
    const std::string scene = "'" + source_path("scenes/cable_payload_2d_stop.json") + "'";
    auto params = [&](const std::string& name) { return nlohmann::json::parse(read_text(dir / name / "policy.json"))["parameters"]; };
    REQUIRE(run_podsim("train " + scene + " --pods-target open-loop" + kTiny + "--out " + quoted(dir / "paper")).exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(dir / "paper/config.json"))["settings"]["pods_target"] == "open-loop");
    REQUIRE(run_podsim("train " + scene + kTiny + "--out " + quoted(dir / "fb")).exit_code == 0);
    const auto fb = nlohmann::json::parse(read_text(dir / "fb/config.json"));
    CHECK(fb["settings"]["pods_target"] == "on-policy");
    CHECK(fb["settings"]["pods_metric"] == "euclidean");
    CHECK(fb["settings"]["pods_damping"] == "adaptive");
    // the damping is pods2's: a fixed one reaches config.json
    REQUIRE(run_podsim("train " + scene + " --pods-damping fixed" + kTiny + "--out " + quoted(dir / "fixed")).exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(dir / "fixed/config.json"))["settings"]["pods_damping"] == "fixed");
    REQUIRE(run_podsim("train " + scene + " --pods-target feedback" + kTiny + "--out " + quoted(dir / "both")).exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(dir / "both/config.json"))["settings"]["pods_target"] == "feedback");
    REQUIRE(run_podsim("train " + scene + " --method pods1" + kTiny + "--out " + quoted(dir / "p1")).exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(dir / "p1/config.json"))["settings"]["pods_target"] == "on-policy");
    CHECK(nlohmann::json::parse(read_text(dir / "p1/config.json"))["settings"]["pods_damping"] == "fixed"); // not pods1's
    REQUIRE(run_podsim("train " + scene + " --pods-target open-loop --pods-metric control-hessian" + kTiny + "--out " +
                       quoted(dir / "ch")).exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(dir / "ch/config.json"))["settings"]["pods_metric"] == "control-hessian");
    CHECK(params("fb") != params("paper"));
    CHECK(params("fb") != params("both"));
    CHECK(params("both") != params("paper"));
    CHECK(params("ch") != params("paper"));
    // another target refuses --resume of the run
    const auto r = run_podsim("train " + scene + " --resume" + kTiny + "--out " + quoted(dir / "paper"));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("pods_target") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli train: --init-policy starts from a saved policy with a new optimiser, a policy of another shape exits 2")
{
    const auto dir = scratch_dir("train");
    REQUIRE(run_podsim("train " + scene_arg() + " --method bptt" + kTiny + "--out " + quoted(dir / "bptt")).exit_code == 0);
    const auto saved = nlohmann::json::parse(read_text(dir / "bptt/policy.json"));
    // zero epochs: the run's policy is the saved one, its row 0 the saved policy's test return
    REQUIRE(run_podsim("train " + scene_arg() + " --epochs 0 --batch 6 --test-episodes 6 --hidden 8,8 --init-policy " +
                       quoted(dir / "bptt/policy.json") + " --out " + quoted(dir / "zero")).exit_code == 0);
    const auto zero = nlohmann::json::parse(read_text(dir / "zero/policy.json"));
    CHECK(zero["parameters"] == saved["parameters"]);
    CHECK(zero["training"]["adam"]["steps"] == 0);
    CHECK(nlohmann::json::parse(read_text(dir / "zero/config.json"))["init_policy"] ==
          (dir / "bptt/policy.json").string());
    // such a run resumes (from its checkpoint) and config.json keeps where it started; another
    // --init-policy on the resume is refused
    const std::string resume = "train " + scene_arg() + " --epochs 1 --batch 6 --test-episodes 6 --hidden 8,8 --resume ";
    const auto other = run_podsim(resume + "--init-policy " + quoted(dir / "zero/policy.json") + " --out " + quoted(dir / "zero"));
    CHECK(other.exit_code == 2);
    CHECK(lines(other.err) == 1);
    CHECK(other.err.find("the run started from") != std::string::npos);
    REQUIRE(run_podsim(resume + "--out " + quoted(dir / "zero")).exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(dir / "zero/config.json"))["init_policy"] ==
          (dir / "bptt/policy.json").string());
    const std::string bptt_log = read_text(dir / "bptt/log.csv"), zero_log = read_text(dir / "zero/log.csv");
    const auto field = [](const std::string& log, int line, int column) {
        std::istringstream in(log);
        std::string row, cell;
        for (int i = 0; i <= line; ++i) std::getline(in, row);
        std::istringstream cells(row);
        for (int c = 0; c <= column; ++c) std::getline(cells, cell, ',');
        return cell;
    };
    CHECK(field(zero_log, 1, 4) == field(bptt_log, 3, 4)); // test_return_mean of the saved policy
    // PODS fine-tunes it
    REQUIRE(run_podsim("train " + scene_arg() + " --method pods2" + kTiny + "--init-policy " + quoted(dir / "bptt/policy.json") +
                       " --out " + quoted(dir / "tuned")).exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(dir / "tuned/policy.json"))["parameters"] != saved["parameters"]);
    // another architecture, a missing file: exit 2 with one line naming the file
    for (const std::string& args : {std::string(" --hidden 16 --init-policy ") + quoted(dir / "bptt/policy.json"),
                                    std::string(" --head ndp --init-policy ") + quoted(dir / "bptt/policy.json"),
                                    std::string(" --init-policy ") + quoted(dir / "none.json")}) {
        INFO(args);
        const auto r = run_podsim("train " + scene_arg() + " --epochs 1 --batch 6 --test-episodes 6" + args + " --out " +
                                  quoted(dir / "bad"));
        CHECK(r.exit_code == 2);
        CHECK(r.err.rfind("podsim: error: ", 0) == 0);
        CHECK(lines(r.err) == 1);
        CHECK(r.err.find(".json") != std::string::npos);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli train: --time-budget without --epochs trains until the budget, an explicit --epochs still caps it")
{
    const auto dir = scratch_dir("train");
    const std::string small = " --batch 4 --test-episodes 4 --hidden 8 --fit-steps 2 --method pods1 ";
    const auto budget = run_podsim("train " + scene_arg() + small + "--time-budget 1.5 --out " + quoted(dir / "budget"));
    REQUIRE(budget.exit_code == 0);
    CHECK(budget.out.find("stopped by time budget") != std::string::npos);
    // The epoch cap is lifted rather than left at the default of 30; how many epochs fit in the
    // budget depends on the machine's load, so the cap is checked, not the count.
    const auto config = nlohmann::json::parse(read_text(dir / "budget/config.json"));
    CHECK(config["settings"]["epochs"].get<int>() > 30);
    const auto capped = run_podsim("train " + scene_arg() + small + "--time-budget 60 --epochs 3 --out " + quoted(dir / "capped"));
    REQUIRE(capped.exit_code == 0);
    CHECK(capped.out.find("stopped by epochs") != std::string::npos);
    CHECK(lines(read_text(dir / "capped/log.csv")) == 1 + 4);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli train: --validation delivers best_policy.json and names its epoch, evaluate reads it")
{
    const auto dir = scratch_dir("train");
    const auto r = run_podsim("train " + scene_arg() + " --validation 4" + kTiny + "--out " + quoted(dir / "run"));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("delivered policy: epoch ") != std::string::npos);
    CHECK(r.out.find("best_policy.json") != std::string::npos);
    CHECK(nlohmann::json::parse(read_text(dir / "run/config.json"))["settings"]["validation"] == 4);
    const auto e = run_podsim("evaluate " + scene_arg() + " --policy " + quoted(dir / "run/best_policy.json") + " --episodes 3");
    CHECK(e.exit_code == 0);
    for (const char* args : {" --validation -1", " --validation-every 2", " --validation 4 --validation-every 0"}) {
        INFO(args);
        const auto bad = run_podsim("train " + scene_arg() + " --epochs 1" + args + " --out " + quoted(dir / "bad"));
        CHECK(bad.exit_code == 2);
        CHECK(lines(bad.err) == 1);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli train: --method ppo writes its learner state into policy.json, --no-reward-scaling reaches config.json, evaluate runs the mean policy")
{
    const auto dir = scratch_dir("train");
    const auto r = run_podsim("train " + scene_arg() + " --method ppo --ppo-epochs 2 --no-reward-scaling" + kTiny + "--out " +
                              quoted(dir / "run"));
    REQUIRE(r.exit_code == 0);
    const auto policy = nlohmann::json::parse(read_text(dir / "run/policy.json"));
    CHECK(policy["type"] == "mlp");
    for (const char* key : {"log_std", "log_std_adam", "value", "value_adam", "reward_scale"})
        CHECK(policy["training"]["ppo"].contains(key));
    CHECK(nlohmann::json::parse(read_text(dir / "run/config.json"))["settings"]["ppo_epochs"] == 2);
    CHECK(nlohmann::json::parse(read_text(dir / "run/config.json"))["settings"]["scale_rewards"] == false);
    const auto e1 = run_podsim("evaluate " + scene_arg() + " --policy " + quoted(dir / "run/policy.json") + " --episodes 3");
    const auto e2 = run_podsim("evaluate " + scene_arg() + " --policy " + quoted(dir / "run/policy.json") + " --episodes 3");
    REQUIRE(e1.exit_code == 0);
    CHECK(e1.out == e2.out); // deterministic: the mean, no exploration noise
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli train: --method sac, gps and shac write their learner state, the same files with 1 and 2 threads and "
          "after a resume, and compare runs them")
{
    struct Case {
        const char* method;
        std::string options;                 // the method's own settings, small
        std::vector<const char*> state_keys; // its checkpoint state in policy.json's "training"
    };
    const std::vector<Case> cases{
        {"sac", "--sac-updates 0.05 --sac-minibatch 32", {"log_std", "log_alpha", "q1", "q2", "q1_target", "q2_target", "replay"}},
        {"gps", "--gps-conditions 3 --gps-samples 2", {"step", "eta", "policy_cost", "controller_cost", "previous"}},
        {"shac", "--shac-window 30 --shac-critic-iters 2", {"critic", "critic_adam", "target", "reward_scale"}},
    };
    const auto dir = scratch_dir("train");
    const auto read_json = [&](const std::filesystem::path& file) { return nlohmann::json::parse(read_text(dir / file)); };
    const std::string tiny = " --batch 6 --test-episodes 6 --hidden 8,8 --fit-steps 5 --seed 5 ";
    for (const Case& c : cases) {
        INFO(c.method);
        const std::string m = c.method;
        const std::string common = "train " + scene_arg() + " --method " + m + " " + c.options + tiny;
        REQUIRE(run_podsim(common + "--epochs 3 --out " + quoted(dir / (m + "_one"))).exit_code == 0);
        const auto policy = read_json(m + "_one/policy.json");
        CHECK(policy["type"] == "mlp");
        for (const char* key : c.state_keys) CHECK(policy["training"][m].contains(key));
        const auto settings = read_json(m + "_one/config.json")["settings"];
        CHECK(settings["method"] == m);
        CHECK_FALSE(settings.contains("hndp_regions"));
        // two threads, and two epochs resumed to three, give the same files (wall time aside)
        REQUIRE(run_podsim(common + "--epochs 3 --threads 2 --out " + quoted(dir / (m + "_two"))).exit_code == 0);
        REQUIRE(run_podsim(common + "--epochs 2 --out " + quoted(dir / (m + "_part"))).exit_code == 0);
        REQUIRE(run_podsim(common + "--epochs 3 --resume --out " + quoted(dir / (m + "_part"))).exit_code == 0);
        auto p1 = policy;
        p1["training"].erase("wall_s");
        for (const std::string other : {"_two", "_part"}) {
            INFO(other);
            CHECK(podsim::test::without_column(read_text(dir / (m + "_one/log.csv")), 1) ==
                  podsim::test::without_column(read_text(dir / (m + other) / "log.csv"), 1));
            auto p2 = read_json(m + other + "/policy.json");
            p2["training"].erase("wall_s");
            CHECK(p1.dump() == p2.dump());
        }
        // compare accepts it
        const auto cmp = run_podsim("compare " + scene_arg() + " --methods " + m + ",bptt " + c.options + kTiny +
                                    "--no-optimality --out " + quoted(dir / (m + "_cmp")));
        REQUIRE(cmp.exit_code == 0);
        CHECK(cmp.out.find("| " + m + " | 1 |") != std::string::npos);
    }
    // SAC: its replay holds every epoch's episodes, its columns are logged, evaluate runs the mean action
    CHECK(read_json("sac_one/policy.json")["training"]["sac"]["replay"]["episodes_added"] == 18);
    CHECK(read_text(dir / "sac_one/log.csv").find(",temperature,entropy,") != std::string::npos);
    const auto e1 = run_podsim("evaluate " + scene_arg() + " --policy " + quoted(dir / "sac_one/policy.json") + " --episodes 3");
    const auto e2 = run_podsim("evaluate " + scene_arg() + " --policy " + quoted(dir / "sac_one/policy.json") + " --episodes 3");
    REQUIRE(e1.exit_code == 0);
    CHECK(e1.out == e2.out);
    // GPS: one step size, temperature and cost per condition; a scene too large for the Riccati pass is refused
    for (const char* key : {"step", "eta", "policy_cost", "controller_cost", "previous"})
        CHECK(read_json("gps_one/policy.json")["training"]["gps"][key].size() == 3);
    const auto rope = run_podsim("train '" + source_path("scenes/rope_3d_stop.json") + "' --method gps" + kTiny +
                                 "--out " + quoted(dir / "rope"));
    CHECK(rope.exit_code == 2);
    CHECK(lines(rope.err) == 1);
    CHECK(rope.err.find("method gps needs the box-DDP Riccati pass") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli train: the same seed gives a byte-identical policy.json and log.csv (wall time aside) for 1 and 2 threads")
{
    const auto dir = scratch_dir("train");
    for (const char* head : {"mlp", "ndp"})
        for (const char* method : {"pods2", "pods2 --pods-target feedback", "bptt", "ppo"}) {
            INFO(method << " " << head);
            const std::string common = "train " + scene_arg() + " --method " + method + " --head " + head + kTiny + "--seed 5 ";
            REQUIRE(run_podsim(common + "--threads 1 --out " + quoted(dir / "one")).exit_code == 0);
            REQUIRE(run_podsim(common + "--threads 2 --out " + quoted(dir / "two")).exit_code == 0);
            auto strip = [](std::string text) {
                // drop wall_s (column 2) of every row and the checkpoint's wall_s
                std::istringstream in(text);
                std::string line, out;
                while (std::getline(in, line)) {
                    const std::size_t a = line.find(','), b = line.find(',', a + 1);
                    out += line.substr(0, a) + line.substr(b) + "\n";
                }
                return out;
            };
            CHECK(strip(read_text(dir / "one/log.csv")) == strip(read_text(dir / "two/log.csv")));
            auto p1 = nlohmann::json::parse(read_text(dir / "one/policy.json"));
            auto p2 = nlohmann::json::parse(read_text(dir / "two/policy.json"));
            p1["training"].erase("wall_s");
            p2["training"].erase("wall_s");
            CHECK(p1.dump() == p2.dump());
            std::filesystem::remove_all(dir / "one");
            std::filesystem::remove_all(dir / "two");
        }
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli train: --method hndp writes the global policy, the locals' state and the H-NDP log columns")
{
    const auto dir = scratch_dir("train");
    const std::string common = "train " + scene_arg() + " --method hndp --regions 2 --region-samples 32 --ndp-basis 4" + kTiny;
    const auto r = run_podsim(common + "--out " + quoted(dir / "run"));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("hndp/ndp") != std::string::npos);
    const std::string log = read_text(dir / "run/log.csv");
    CHECK(log.find(",local_return,global_return,bc_loss,pull_loss,pulled_regions,") != std::string::npos);
    const auto policy = nlohmann::json::parse(read_text(dir / "run/policy.json"));
    CHECK(policy["type"] == "ndp");
    CHECK(policy["training"]["hndp"]["locals"].size() == 2);
    const auto config = nlohmann::json::parse(read_text(dir / "run/config.json"));
    CHECK(config["settings"]["hndp_regions"] == 2);
    CHECK(config["settings"]["hndp_local_method"] == "pods2");
    // the global policy is an ordinary NDP policy for evaluate
    CHECK(run_podsim("evaluate " + scene_arg() + " --policy " + quoted(dir / "run/policy.json") + " --episodes 2").exit_code == 0);
    // the same bits with 2 threads, the locals fitted one after another
    REQUIRE(run_podsim(common + "--threads 2 --local-parallel trajectories --out " + quoted(dir / "two")).exit_code == 0);
    auto two = nlohmann::json::parse(read_text(dir / "two/policy.json")), one = policy;
    two.erase("training");
    one.erase("training");
    CHECK(two == one);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli train: --resume continues a run, other settings or an existing run are refused with exit 2")
{
    const auto dir = scratch_dir("train");
    const std::string out = " --out " + quoted(dir / "run");
    REQUIRE(run_podsim("train " + scene_arg() + " --method bptt" + kTiny + out).exit_code == 0);
    const auto again = run_podsim("train " + scene_arg() + " --method bptt" + kTiny + out);
    CHECK(again.exit_code == 2);
    CHECK(again.err.find("already holds a training run") != std::string::npos);
    CHECK(lines(again.err) == 1);
    const auto other = run_podsim("train " + scene_arg() + " --method bptt --epochs 4 --batch 7 --test-episodes 6 --hidden 8,8 "
                                  "--fit-steps 5 --resume" + out);
    CHECK(other.exit_code == 2);
    CHECK(other.err.find("batch 6 vs 7") != std::string::npos);
    CHECK(lines(other.err) == 1);
    const auto more = run_podsim("train " + scene_arg() + " --method bptt --epochs 4 --batch 6 --test-episodes 6 --hidden 8,8 "
                                 "--fit-steps 5 --resume" + out);
    REQUIRE(more.exit_code == 0);
    CHECK(more.out.find("resumed from epoch 2") != std::string::npos);
    CHECK(lines(read_text(dir / "run/log.csv")) == 6);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli train: bad options and corrupt policy files exit 2 with one line")
{
    const auto dir = scratch_dir("train");
    for (const std::string& args : {std::string("--method td3"), std::string("--head cnn"), std::string("--batch 0"),
                                    std::string("--hidden 8,x"), std::string("--time-budget nan"),
                                    std::string("--fit-lr 0"), std::string("--fit-proximal -1"),
                                    std::string("--fit-proximal nan"), std::string("--fit-guard 61"),
                                    std::string("--fit-guard 1.5"), std::string("--pods-target closed-loop"),
                                    std::string("--pods-metric l1"), std::string("--seed -1"), std::string("--ppo-clip 1"),
                                    std::string("--gamma 0"), std::string("--ppo-epochs 0"),
                                    std::string("--method hndp --head mlp"), std::string("--method hndp --regions 0"),
                                    std::string("--method hndp --local-method bptt"),
                                    std::string("--method hndp --local-parallel ranks"),
                                    std::string("--method hndp --regions 5 --region-samples 4"),
                                    std::string("--method hndp --success-fraction -1"),
                                    std::string("--method sac --head ndp"), std::string("--sac-tau 0"),
                                    std::string("--sac-buffer 0"), std::string("--sac-target-entropy 1"),
                                    std::string("--sac-updates nan"), std::string("--sac-minibatch 1.5"),
                                    std::string("--method gps --head ndp"), std::string("--gps-conditions 0"),
                                    std::string("--gps-samples 1001"), std::string("--gps-step 0"),
                                    std::string("--gps-step 5"), std::string("--gps-noise -0.1"),
                                    std::string("--gps-noise nan"), std::string("--gps-conditions 2.5"),
                                    std::string("--method shac --head ndp"), std::string("--shac-window 0"),
                                    std::string("--shac-lambda 1.5"), std::string("--shac-critic-iters 0"),
                                    std::string("--shac-critic-minibatches -1"), std::string("--shac-critic-lr 0"),
                                    std::string("--shac-target-alpha 1"), std::string("--shac-noise nan"),
                                    std::string("--shac-lr 2"), std::string("--shac-window 2.5")}) {
        INFO(args);
        const auto r = run_podsim("train " + scene_arg() + " " + args + " --out " + quoted(dir / "x"));
        CHECK(r.exit_code == 2);
        CHECK(r.err.rfind("podsim: error: ", 0) == 0);
        CHECK(lines(r.err) == 1);
    }
    write_text(dir / "bad.json", "{\"type\": \"mlp\", \"inputs\": 6,");
    write_text(dir / "wrong.json", read_text(source_path("scenes/pendulum_2d_stop.json")));
    for (const char* file : {"bad.json", "wrong.json", "missing.json"}) {
        INFO(file);
        const auto r = run_podsim("evaluate " + scene_arg() + " --policy " + quoted(dir / file));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(file) != std::string::npos);
        CHECK(lines(r.err) == 1);
    }
    // a policy trained for another scene
    REQUIRE(run_podsim("train " + scene_arg() + " --epochs 0 --test-episodes 2 --out " + quoted(dir / "run")).exit_code == 0);
    const auto r = run_podsim("evaluate '" + source_path("scenes/double_pendulum_3d_stop.json") + "' --policy " +
                              quoted(dir / "run/policy.json"));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("another scene") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli compare: every method and seed, compare.csv with method and seed columns, and the table")
{
    const auto dir = scratch_dir("compare");
    const auto r = run_podsim("compare " + scene_arg() + " --methods pods2,bptt,ppo --seeds 1,2" + kTiny + "--out " +
                              quoted(dir / "cmp"));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("| pods2 | 2 |") != std::string::npos);
    CHECK(r.out.find("| bptt | 2 |") != std::string::npos);
    CHECK(r.out.find("| ppo | 2 |") != std::string::npos);
    const std::string csv = read_text(dir / "cmp/compare.csv");
    CHECK(csv.rfind("method,seed,epoch,wall_s,", 0) == 0);
    CHECK(lines(csv) == 1 + 6 * 3);
    CHECK(csv.find("\nppo,1,2,") != std::string::npos);
    CHECK(csv.find("\nbptt,2,2,") != std::string::npos);
    CHECK(std::filesystem::exists(dir / "cmp/pods2_seed1/policy.json"));
    CHECK(read_text(dir / "cmp/table.md").find("optimality ratio") != std::string::npos);
    for (const std::string& args : {std::string("--methods pods2,td3"), std::string("--methods bptt,bptt"),
                                    std::string("--seeds 1,x"), std::string("--seeds 3,3")}) {
        INFO(args);
        const auto bad = run_podsim("compare " + scene_arg() + " " + args + " --out " + quoted(dir / "cmp2"));
        CHECK(bad.exit_code == 2);
        CHECK(bad.err.find(args.substr(0, args.find(' '))) != std::string::npos);
        CHECK(lines(bad.err) == 1);
        CHECK_FALSE(std::filesystem::exists(dir / "cmp2"));
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli compare: every registered method is accepted, H-NDP with its NDP head")
{
    const auto dir = scratch_dir("compare");
    const auto r = run_podsim("compare " + scene_arg() + " --methods hndp,pods1 --regions 2 --region-samples 32 --ndp-basis 4" +
                              kTiny + "--no-optimality --out " + quoted(dir / "cmp"));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("| hndp | 1 |") != std::string::npos);
    CHECK(r.out.find("| pods1 | 1 |") != std::string::npos);
    CHECK(read_text(dir / "cmp/compare.csv").find("\nhndp,1,2,") != std::string::npos);
    const nlohmann::json config = nlohmann::json::parse(read_text(dir / "cmp/hndp_seed1/config.json"));
    CHECK(config["settings"]["head"] == "ndp");
    CHECK(config["settings"]["hndp_regions"] == 2);
    CHECK(nlohmann::json::parse(read_text(dir / "cmp/hndp_seed1/policy.json"))["training"].contains("hndp"));
    // the refusal lists every registered method
    const auto bad = run_podsim("compare " + scene_arg() + " --methods td3 --out " + quoted(dir / "cmp2"));
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("must be a comma-separated list of pods2, pods1, bptt, ppo, hndp, sac, gps, shac") !=
          std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli train: killed with SIGKILL mid-run, the run's files are readable and --resume finishes it")
{
    const auto dir = scratch_dir("train");
    const std::string args = "train " + scene_arg() + " --method pods2 --epochs 100000 --batch 6 --test-episodes 6 "
                             "--hidden 8,8 --fit-steps 5 --out " + quoted(dir / "run");
    // timeout sends SIGKILL after 1.5 s: the run is somewhere inside an epoch or a file write
    const std::string cmd = "timeout -s KILL 1.5 '" + podsim_cli() + "' " + args + " >/dev/null 2>&1";
    const int status = std::system(cmd.c_str());
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 137); // killed, not finished
    const auto policy = nlohmann::json::parse(read_text(dir / "run/policy.json"));
    const int epoch = policy["training"]["epoch"].get<int>();
    CHECK(epoch >= 1);
    const int rows = lines(read_text(dir / "run/log.csv"));
    CHECK((rows == epoch + 2 || rows == epoch + 3)); // header + epochs 0..E, maybe one ahead
    const auto more = run_podsim("train " + scene_arg() + " --method pods2 --epochs " + std::to_string(epoch + 2) +
                                 " --batch 6 --test-episodes 6 --hidden 8,8 --fit-steps 5 --resume --out " +
                                 quoted(dir / "run"));
    REQUIRE(more.exit_code == 0);
    CHECK(more.out.find("resumed from epoch " + std::to_string(epoch)) != std::string::npos);
    CHECK(lines(read_text(dir / "run/log.csv")) == epoch + 4);
    std::filesystem::remove_all(dir);
}

TEST_CASE("cli train: a corrupt log.csv or config.json refuses --resume with exit 2 and one line")
{
    const auto dir = scratch_dir("train");
    const std::string out = " --out " + quoted(dir / "run");
    REQUIRE(run_podsim("train " + scene_arg() + kTiny + out).exit_code == 0);
    const std::string log = read_text(dir / "run/log.csv"), config = read_text(dir / "run/config.json");
    write_text(dir / "run/log.csv", log + "3,oops\n");
    auto r = run_podsim("train " + scene_arg() + " --epochs 4 --batch 6 --test-episodes 6 --hidden 8,8 --fit-steps 5 --resume" + out);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("log.csv: line 5") != std::string::npos);
    CHECK(lines(r.err) == 1);
    write_text(dir / "run/log.csv", log);
    write_text(dir / "run/config.json", config.substr(0, 20));
    r = run_podsim("train " + scene_arg() + " --epochs 4 --batch 6 --test-episodes 6 --hidden 8,8 --fit-steps 5 --resume" + out);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("config.json") != std::string::npos);
    CHECK(lines(r.err) == 1);
    std::filesystem::remove_all(dir);
}
