// `podsim compare`: every method and seed trained under the same epochs or time budget on the same
// test bed; compare.csv, table.md and one run directory per method and seed.
#include "apps/commands.hpp"
#include "apps/train_options.hpp"
#include "common/input_error.hpp"
#include "common/text_io.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/comparison.hpp"
#include "pods/train/evaluation.hpp"
#include "pods/train/learner_registry.hpp"
#include "pods/train/optimality.hpp"
#include "pods/train/training_run.hpp"

#include <cstdio>
#include <memory>
#include <sstream>

namespace podsim::apps {

namespace {

struct CompareCommand {
    std::string scene;
    std::string out;
    std::string methods = "pods2,pods1,bptt";
    std::string seeds = "1";
    bool resume = false;
    bool optimality = true;
    TrainOptions options;
};

std::vector<std::string> split_list(const std::string& s)
{
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string item;
    while (std::getline(in, item, ',')) out.push_back(item);
    return out;
}

int run_compare(const CompareCommand& o)
{
    // under mpirun every rank loads the scene and trains; rank 0 alone computes the optimality
    // ratios and writes the files
    const pods::Cluster& cluster = pods::Cluster::world();
    pods::Scene scene;
    std::vector<pods::TrainConfig> configs;
    std::vector<std::uint64_t> seeds;
    cluster.agree([&] {
        scene = pods::load_scene(o.scene);
        // every method's configuration first: a bad option fails before any training
        for (const std::string& m : split_list(o.methods)) {
            try {
                pods::learner_entry(m);
            } catch (const std::invalid_argument&) {
                throw common::InputError("--methods: got \"" + m + "\", must be a comma-separated list of " +
                                         pods::learner_names_text());
            }
            configs.push_back(train_config(o.options, m));
        }
        if (configs.empty()) throw common::InputError("--methods: must name at least one method");
        for (std::size_t i = 0; i < configs.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (configs[i].method == configs[j].method)
                    throw common::InputError("--methods: got \"" + o.methods + "\", names " + pods::to_string(configs[i].method) +
                                             " twice");
        for (const std::string& s : split_list(o.seeds)) {
            std::size_t used = 0;
            long long v = -1;
            try {
                v = std::stoll(s, &used);
            } catch (const std::exception&) {
                used = std::string::npos;
            }
            if (used != s.size() || v < 0 || v > (1LL << 53))
                throw common::InputError("--seeds: got \"" + o.seeds + "\", must be comma-separated integers in [0, 2^53]");
            seeds.push_back(std::uint64_t(v));
        }
        if (seeds.empty()) throw common::InputError("--seeds: must name at least one seed");
        for (std::size_t i = 0; i < seeds.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (seeds[i] == seeds[j])
                    throw common::InputError("--seeds: got \"" + o.seeds + "\", names " + std::to_string(seeds[i]) + " twice");
    });
    cluster.agree_on_root([&] { common::ensure_directory(o.out); });

    // the open-loop optimum of the shared test bed, once
    pods::Workers workers(scene.model, o.options.threads);
    const pods::QuadraticCost cost = pods::quadratic_cost(scene.model, scene.task);
    const pods::ObservationMap obs = pods::observation_map(scene.model, scene.task);
    const std::vector<sim::State> bed = pods::test_bed(scene.model, scene.task, configs[0].test_seed, configs[0].test_episodes);
    std::vector<double> optimal;
    const bool optimality = o.optimality && cluster.root();
    if (optimality) optimal = pods::open_loop_optimal_costs(workers, scene.task, cost, bed);

    std::vector<pods::ComparedRun> runs;
    for (pods::TrainConfig config : configs) {
        for (std::uint64_t seed : seeds) {
            config.seed = seed;
            const std::string label = pods::to_string(config.method) + " seed " + std::to_string(seed) + ": ";
            pods::RunOptions run;
            run.out = o.out + "/" + pods::to_string(config.method) + "_seed" + std::to_string(seed);
            run.resume = o.resume;
            run.threads = o.options.threads;
            run.time_budget = o.options.time_budget;
            run.cluster = cluster;
            pods::RunCallbacks cb;
            cb.on_epoch = [&](const pods::LogRow& row, int epochs, double eta) { print_progress(label, row, epochs, eta); };
            cb.on_failure = [&](int epoch, const pods::TrajectoryFailure& f) {
                end_progress();
                std::fprintf(stderr, "podsim: warning: %sepoch %d, trajectory %d: %s (left out)\n", label.c_str(), epoch,
                             f.index, f.message.c_str());
            };
            pods::RunResult r = pods::run_training(scene, config, run, cb);
            end_progress();
            pods::ComparedRun c{pods::to_string(config.method), seed, r.log};
            if (optimality) {
                std::vector<pods::ClosedLoopRollout> rollouts;
                pods::evaluate_policy(workers, *r.policy, obs, scene.task, cost, bed, &rollouts);
                c.optimality_ratio = pods::optimality_ratio(rollouts, optimal);
            }
            if (cluster.root())
                std::fprintf(stderr, "%s%d epochs, %.1f s, test return %.6g\n", label.c_str(), r.log.back().epoch,
                             r.log.back().wall_s, pods::delivered_return(r.log, r.log.size() - 1));
            runs.push_back(std::move(c));
        }
    }

    const std::string table = pods::markdown_table(pods::summarize(runs));
    cluster.agree_on_root([&] {
        common::write_file_atomic(o.out + "/compare.csv", pods::compare_csv(runs));
        common::write_file_atomic(o.out + "/table.md", table);
    });
    std::printf("%s", table.c_str());
    std::printf("wrote %s/compare.csv, table.md and one run directory per method and seed\n", o.out.c_str());
    return 0;
}

} // namespace

void add_compare_command(CLI::App& app, int& exit_code)
{
    auto o = std::make_shared<CompareCommand>();
    CLI::App* cmd = app.add_subcommand("compare", "Train several methods and seeds under the same budget and compare them");
    cmd->add_option("scene", o->scene, "Scene JSON file")->required();
    cmd->add_option("--out", o->out, "Output directory (compare.csv, table.md, <method>_seed<S>/)")->required();
    cmd->add_option("--methods", o->methods, "Comma-separated methods: " + pods::learner_names_text())->capture_default_str();
    cmd->add_option("--seeds", o->seeds, "Comma-separated training seeds")->capture_default_str();
    cmd->add_flag("--resume", o->resume, "Continue every run in --out from its last finished epoch");
    cmd->add_flag("!--no-optimality", o->optimality, "Skip the open-loop optimum and the optimality ratio");
    add_train_options(*cmd, o->options, false);
    cmd->callback([o, &exit_code] { exit_code = run_compare(*o); });
}

} // namespace podsim::apps
