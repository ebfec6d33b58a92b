// H-NDP iteration benchmark (docs/hndp.md, "Reinforcement learning"): the time split of
// one `--method hndp` iteration between the rollouts and improvement of the global and every
// local, the locals' fits, the global's fit and the test-bed evaluation, with the locals fitted in
// parallel over regions or one after another over their samples, on 1 and 2 threads. One JSON
// line per case, medians over the repeats.
#include "pods/task/scene.hpp"
#include "pods/train/trainer.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>

using namespace podsim;

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v)
{
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    return v[v.size() / 2];
}

nlohmann::json measure(const pods::Scene& scene, pods::TrainConfig c, const std::string& parallel, int threads,
                       int repeats)
{
    c.hndp_local_parallel = parallel;
    pods::Trainer t(scene, c, threads);
    t.run_epoch(0); // warm-up: sizes every buffer
    std::vector<double> wall, simulate, local, global, evaluate;
    for (int r = 0; r < repeats; ++r) {
        const auto start = Clock::now();
        const pods::EpochStats s = t.run_epoch(r + 1);
        const auto mid = Clock::now();
        t.evaluate();
        evaluate.push_back(std::chrono::duration<double>(Clock::now() - mid).count());
        wall.push_back(std::chrono::duration<double>(mid - start).count());
        simulate.push_back(s.simulate_s);
        local.push_back(s.local_fit_s);
        global.push_back(s.global_fit_s);
    }
    return {{"regions", c.hndp_regions}, {"batch_per_region", c.batch}, {"horizon", scene.task.horizon},
            {"local_parallel", parallel}, {"threads", threads}, {"iteration_ms", 1e3 * median(wall)},
            {"simulate_ms", 1e3 * median(simulate)}, {"local_fit_ms", 1e3 * median(local)},
            {"global_fit_ms", 1e3 * median(global)}, {"evaluate_ms", 1e3 * median(evaluate)},
            {"test_episodes", c.test_episodes}, {"repeats", repeats}};
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"bench_hndp: the time split of an H-NDP iteration"};
    std::string scene_path = "scenes/double_pendulum_3d_stop_origin.json";
    pods::TrainConfig c;
    c.method = pods::Method::kHndp;
    c.head = pods::Head::kNdp;
    c.batch = 16;
    c.hndp_regions = 4;
    c.test_episodes = 32;
    int repeats = 5;
    app.add_option("scene", scene_path, "Scene JSON file (the default is relative: run from the source tree)")->capture_default_str();
    app.add_option("--batch", c.batch, "Trajectories per region and iteration")->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_option("--regions", c.hndp_regions, "Regions M")->check(CLI::Range(1, 1000))->capture_default_str();
    app.add_option("--fit-steps", c.fit_steps, "Adam steps of every fit")->check(CLI::Range(0, 100000))->capture_default_str();
    app.add_option("--minibatch", c.minibatch, "Samples per Adam step")->check(CLI::Range(1, 1000000))->capture_default_str();
    app.add_option("--test-episodes", c.test_episodes, "Test-bed size")->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_option("--repeats", repeats, "Timed iterations (median reported)")->check(CLI::Range(1, 1000))->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    const pods::Scene scene = pods::load_scene(scene_path);
    for (int threads : {1, 2})
        for (const char* parallel : {"regions", "trajectories"})
            std::cout << measure(scene, c, parallel, threads, repeats).dump() << "\n";
    return 0;
}
