// Distributed-training benchmark (docs/PERFORMANCE.md, docs/distributed.md): run it under
// `mpirun -np R`; every rank trains the same epochs spread over the ranks and rank 0 prints one
// JSON line: median epoch time, the per-trajectory simulation cost, the regression / update time
// every rank repeats, and the exchanges' calls, bytes and seconds per epoch (waiting included).
#include "pods/task/scene.hpp"
#include "pods/train/cluster.hpp"
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

} // namespace

int main(int argc, char** argv)
{
    const pods::ClusterSession mpi(argc, argv);
    const pods::Cluster& world = pods::Cluster::world();
    CLI::App app{"bench_mpi: a training epoch spread over mpirun's ranks"};
    std::string scene_path = "scenes/pendulum_2d_stop.json", method = "pods2";
    int batch = 512, horizon = 100, repeats = 5, threads = 1;
    app.add_option("scene", scene_path, "Scene JSON file (the default is relative: run from the source tree)")->capture_default_str();
    app.add_option("--method", method, "pods2, pods1, bptt or ppo")->capture_default_str();
    app.add_option("--batch", batch, "Trajectories per epoch")->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_option("--horizon", horizon, "Horizon N")->check(CLI::Range(1, 10000))->capture_default_str();
    app.add_option("--repeats", repeats, "Timed epochs (median reported)")->check(CLI::Range(1, 1000))->capture_default_str();
    app.add_option("--threads", threads, "OpenMP threads per rank")->check(CLI::Range(1, 1024))->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    pods::Scene scene = pods::load_scene(scene_path);
    scene.task.horizon = horizon;
    pods::TrainConfig c;
    c.method = pods::method_from_string(method);
    c.batch = batch;
    pods::Trainer t(scene, c, threads, world);
    t.run_epoch(0); // warm-up: sizes every buffer
    std::vector<double> wall, per_trajectory, replicated, comm_s, comm_bytes, comm_calls;
    for (int r = 0; r < repeats; ++r) {
        const pods::Cluster::Traffic before = pods::Cluster::traffic();
        const auto start = std::chrono::steady_clock::now();
        const pods::EpochStats s = t.run_epoch(r + 1);
        wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        const pods::Cluster::Traffic after = pods::Cluster::traffic();
        per_trajectory.push_back((s.rollout_cpu_s + s.improve_cpu_s) / batch);
        replicated.push_back(s.fit_s);
        comm_s.push_back(after.seconds - before.seconds);
        comm_bytes.push_back(double(after.bytes - before.bytes));
        comm_calls.push_back(double(after.exchanges - before.exchanges));
    }
    if (world.root())
        std::cout << nlohmann::json{{"method", method},
                                    {"batch", batch},
                                    {"horizon", horizon},
                                    {"ranks", world.size()},
                                    {"threads", threads},
                                    {"epoch_ms", 1e3 * median(wall)},
                                    {"trajectory_cpu_ms", 1e3 * median(per_trajectory)},
                                    {"replicated_ms", 1e3 * median(replicated)},
                                    {"exchange_ms", 1e3 * median(comm_s)},
                                    {"exchange_bytes", median(comm_bytes)},
                                    {"exchanges", median(comm_calls)},
                                    {"repeats", repeats}}
                         .dump()
                  << "\n";
    return 0;
}
