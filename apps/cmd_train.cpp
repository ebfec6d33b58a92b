// `podsim train`: a PODS, BPTT, PPO or H-NDP training run with log.csv, policy.json and config.json in
// --out; under mpirun its epochs are spread over the ranks (docs/distributed.md).
#include "apps/commands.hpp"
#include "apps/train_options.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/training_run.hpp"

#include <cstdio>
#include <memory>

namespace podsim::apps {

namespace {

struct TrainCommand {
    std::string scene;
    std::string out;
    bool resume = false;
    TrainOptions options;
};

int run_train(const TrainCommand& o)
{
    // under mpirun every rank loads the scene and checks the options; a rank that fails stops
    // them all
    const pods::Cluster& cluster = pods::Cluster::world();
    pods::Scene scene;
    pods::TrainConfig config;
    cluster.agree([&] {
        scene = pods::load_scene(o.scene);
        config = train_config(o.options, o.options.method);
    });
    pods::RunOptions run;
    run.cluster = cluster;
    run.out = o.out;
    run.resume = o.resume;
    run.threads = o.options.threads;
    run.time_budget = o.options.time_budget;
    run.init_policy = o.options.init_policy;
    pods::RunCallbacks cb;
    cb.on_epoch = [](const pods::LogRow& row, int epochs, double eta) { print_progress("", row, epochs, eta); };
    cb.on_failure = [](int epoch, const pods::TrajectoryFailure& f) {
        end_progress();
        std::fprintf(stderr, "podsim: warning: epoch %d, trajectory %d%s: %s (left out)\n", epoch, f.index,
                     f.step >= 0 ? (", step " + std::to_string(f.step)).c_str() : "", f.message.c_str());
    };
    const pods::RunResult r = pods::run_training(scene, config, run, cb);
    end_progress();
    const pods::LogRow& last = r.log.back();
    if (r.resumed_from >= 0) std::printf("resumed from epoch %d\n", r.resumed_from);
    std::printf("%s %s/%s: %d epochs (stopped by %s), %.2f s training, %lld simulated steps\n", scene.name.c_str(),
                pods::to_string(config.method).c_str(), pods::to_string(config.head).c_str(), last.epoch,
                r.stopped.c_str(), last.wall_s, last.sim_steps);
    std::printf("test return %.6g +- %.3g over %d episodes (initial %.6g)\n", last.test.return_mean, last.test.return_std,
                config.test_episodes, r.log.front().test.return_mean);
    if (config.validation > 0) {
        const pods::LogRow& delivered = r.log[std::size_t(r.delivered_epoch)];
        std::printf("delivered policy: epoch %d (validation return %.6g over %d states), test return %.6g +- %.3g\n",
                    r.delivered_epoch, delivered.validation_return, config.validation, delivered.test.return_mean,
                    delivered.test.return_std);
        std::printf("wrote %s/best_policy.json (delivered), policy.json (last, checkpoint), log.csv, config.json\n",
                    o.out.c_str());
    } else {
        std::printf("wrote %s/policy.json, log.csv, config.json\n", o.out.c_str());
    }
    return 0;
}

} // namespace

void add_train_command(CLI::App& app, int& exit_code)
{
    auto o = std::make_shared<TrainCommand>();
    CLI::App* cmd = app.add_subcommand("train", "Train a policy with PODS (pods2, pods1), BPTT, PPO, H-NDP (hndp), SAC, GPS or SHAC");
    cmd->add_option("scene", o->scene, "Scene JSON file")->required();
    cmd->add_option("--out", o->out, "Output directory (policy.json, log.csv, config.json)")->required();
    cmd->add_flag("--resume", o->resume, "Continue the run in --out from its last finished epoch (same settings)");
    cmd->add_option("--init-policy", o->options.init_policy,
                    "Start from this policy.json's policy (any method's; same head and shape) with a new optimiser "
                    "state instead of a new network");
    add_train_options(*cmd, o->options, true);
    cmd->callback([o, &exit_code] { exit_code = run_train(*o); });
}

} // namespace podsim::apps
