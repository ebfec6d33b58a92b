// Training-epoch benchmarks (docs/PERFORMANCE.md): the BPTT epoch on one thread (batch 256,
// horizon 100, MLP 64-64 tanh on the 2D pendulum by default), the PODS epochs' time split between
// rollouts, improvement (with line search and re-simulation) and regression (each method with its
// `podsim train` defaults; PODS2 also, on one thread, with the feedback and the paper's open-loop
// targets), the PPO epochs' split
// between noisy rollouts, advantages and the minibatch passes (MLP and NDP heads), and their OpenMP
// speed-up on 2 threads; one SAC update (replay sample, critics, actor, temperature, targets) at
// minibatch 256. One JSON line per case, medians over the repeats.
#include "pods/task/scene.hpp"
#include "pods/train/learner_registry.hpp"
#include "pods/train/sac.hpp"
#include "pods/train/trainer.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>

using namespace podsim;

namespace {

double median(std::vector<double> v)
{
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    return v[v.size() / 2];
}

// one epoch of `method` with its defaults (as `podsim train` runs it) but for head and PODS target
nlohmann::json measure(const pods::Scene& scene, pods::Method method, int batch, int threads, int repeats,
                       pods::Head head = pods::Head::kMlp, std::optional<pods::PodsTarget> target = std::nullopt)
{
    pods::TrainConfig c = pods::method_defaults(method);
    if (target) c.pods_target = *target;
    c.head = head;
    c.batch = batch;
    pods::Trainer t(scene, c, threads);
    t.run_epoch(0); // warm-up: sizes every buffer
    std::vector<double> wall, rollout, improve, fit;
    for (int r = 0; r < repeats; ++r) {
        const auto start = std::chrono::steady_clock::now();
        const pods::EpochStats s = t.run_epoch(r + 1);
        wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        rollout.push_back(s.rollout_cpu_s);
        improve.push_back(s.improve_cpu_s);
        fit.push_back(s.fit_s);
    }
    const bool bptt = method == pods::Method::kBptt, ppo = method == pods::Method::kPpo;
    nlohmann::json row = {{"method", pods::to_string(method)}, {"head", pods::to_string(head)}, {"batch", batch},
            {"horizon", scene.task.horizon}, {"threads", threads},
            {"epoch_ms", 1e3 * median(wall)}, {"rollout_cpu_ms", 1e3 * median(rollout)},
            {bptt ? "backward_cpu_ms" : ppo ? "advantage_ms" : "improve_cpu_ms", 1e3 * median(improve)},
            {bptt ? "adam_ms" : ppo ? "update_ms" : "fit_ms", 1e3 * median(fit)}, {"repeats", repeats}};
    if (method == pods::Method::kPods2) {
        row["pods_target"] = pods::to_string(c.pods_target);
        row["fit_replay"] = c.fit_replay;
    }
    return row;
}

// one SAC update at minibatch 256 with the default MLP 64-64 after an epoch of `batch`
// trajectories has filled the buffer: the median over `repeats` blocks of `updates` updates
nlohmann::json measure_sac_update(const pods::Scene& scene, int batch, int threads, int repeats, int updates)
{
    pods::TrainConfig c;
    c.method = pods::Method::kSac;
    c.batch = batch;
    c.sac_minibatch = 256;
    c.sac_updates = 1e-6; // the epoch makes one update
    pods::Trainer t(scene, c, threads);
    t.run_epoch(0);
    pods::SacLearner sac = dynamic_cast<const pods::SacLearner&>(t.learner());
    const std::unique_ptr<policy::Policy> policy = t.policy().clone();
    policy::Adam adam = t.adam();
    std::mt19937_64 rng(7);
    sac.update(*policy, adam, rng); // warm-up: sizes every buffer
    std::vector<double> per_update;
    for (int r = 0; r < repeats; ++r) {
        const auto start = std::chrono::steady_clock::now();
        for (int u = 0; u < updates; ++u) sac.update(*policy, adam, rng);
        per_update.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / updates);
    }
    return {{"method", "sac"}, {"case", "update"}, {"minibatch", c.sac_minibatch}, {"hidden", c.hidden},
            {"buffer", sac.replay().size()}, {"threads", threads}, {"update_ms", 1e3 * median(per_update)},
            {"updates", updates}, {"repeats", repeats}};
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"bench_train: BPTT, PODS and PPO epoch times"};
    std::string scene_path = "scenes/pendulum_2d_stop.json";
    int batch = 256, horizon = 100, repeats = 7;
    app.add_option("scene", scene_path, "Scene JSON file (the default is relative: run from the source tree)")->capture_default_str();
    app.add_option("--batch", batch, "Trajectories per epoch")->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_option("--horizon", horizon, "Horizon N")->check(CLI::Range(1, 10000))->capture_default_str();
    app.add_option("--repeats", repeats, "Timed epochs (median reported)")->check(CLI::Range(1, 1000))->capture_default_str();
    bool sac_only = false, bptt_only = false;
    int sac_updates = 200;
    app.add_flag("--sac-only", sac_only, "Only the SAC update");
    app.add_flag("--bptt-only", bptt_only, "Only the BPTT epoch");
    app.add_option("--sac-updates", sac_updates, "Timed SAC updates per repeat")->check(CLI::Range(1, 1000000))->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    pods::Scene scene = pods::load_scene(scene_path);
    scene.task.horizon = horizon;
    if (bptt_only) {
        std::cout << measure(scene, pods::Method::kBptt, batch, 1, repeats).dump() << "\n";
        return 0;
    }
    for (int threads : {1, 2}) std::cout << measure_sac_update(scene, 64, threads, repeats, sac_updates).dump() << "\n";
    if (sac_only) return 0;
    std::cout << measure(scene, pods::Method::kBptt, batch, 1, repeats).dump() << "\n";
    for (pods::Method m : {pods::Method::kPods2, pods::Method::kPods1})
        for (int threads : {1, 2}) std::cout << measure(scene, m, batch, threads, repeats).dump() << "\n";
    // the feedback target (twice the samples) and the paper's open-loop PODS2, for the cost of the
    // default target's search and samples
    for (pods::PodsTarget target : {pods::PodsTarget::kFeedback, pods::PodsTarget::kOpenLoop})
        std::cout << measure(scene, pods::Method::kPods2, batch, 1, repeats, pods::Head::kMlp, target).dump() << "\n";
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp})
        for (int threads : {1, 2})
            std::cout << measure(scene, pods::Method::kPpo, batch, threads, repeats, head).dump() << "\n";
    return 0;
}
