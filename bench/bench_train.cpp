// Training-epoch benchmarks (docs/PERFORMANCE.md): the BPTT epoch on one thread (batch 256,
// horizon 100, MLP 64-64 tanh on the 2D pendulum by default), the PODS epochs' time split between
// rollouts, improvement (with line search and re-simulation) and regression, the PPO epochs' split
// between noisy rollouts, advantages and the minibatch passes (MLP and NDP heads), and their OpenMP
// speed-up on 2 threads. One JSON line per case, medians over the repeats.
#include "pods/task/scene.hpp"
#include "pods/train/trainer.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>

using namespace podsim;

namespace {

double median(std::vector<double> v)
{
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    return v[v.size() / 2];
}

nlohmann::json measure(const pods::Scene& scene, pods::Method method, int batch, int threads, int repeats,
                       pods::Head head = pods::Head::kMlp)
{
    pods::TrainConfig c;
    c.method = method;
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
    return {{"method", pods::to_string(method)}, {"head", pods::to_string(head)}, {"batch", batch},
            {"horizon", scene.task.horizon}, {"threads", threads},
            {"epoch_ms", 1e3 * median(wall)}, {"rollout_cpu_ms", 1e3 * median(rollout)},
            {bptt ? "backward_cpu_ms" : ppo ? "advantage_ms" : "improve_cpu_ms", 1e3 * median(improve)},
            {bptt ? "adam_ms" : ppo ? "update_ms" : "fit_ms", 1e3 * median(fit)}, {"repeats", repeats}};
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
    CLI11_PARSE(app, argc, argv);
    pods::Scene scene = pods::load_scene(scene_path);
    scene.task.horizon = horizon;
    std::cout << measure(scene, pods::Method::kBptt, batch, 1, repeats).dump() << "\n";
    for (pods::Method m : {pods::Method::kPods2, pods::Method::kPods1})
        for (int threads : {1, 2}) std::cout << measure(scene, m, batch, threads, repeats).dump() << "\n";
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp})
        for (int threads : {1, 2})
            std::cout << measure(scene, pods::Method::kPpo, batch, threads, repeats, head).dump() << "\n";
    return 0;
}
