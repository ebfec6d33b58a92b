// `podsim evaluate`: a policy on a test bed of unseen initial states, one JSON object on stdout.
#include "apps/commands.hpp"
#include "common/text_io.hpp"
#include "pods/train/optimality.hpp"
#include "pods/train/policy_test_bed.hpp"
#include "pods/train/train_config.hpp"

#include <cmath>
#include <iostream>
#include <memory>

namespace podsim::apps {

namespace {

struct EvaluateOptions {
    std::string scene;
    std::string policy;
    int episodes = pods::TrainConfig{}.test_episodes;
    std::uint64_t seed = pods::TrainConfig{}.test_seed;
    int threads = 1;
    bool optimality = false;
    std::string episodes_csv;
};

int run_evaluate(const EvaluateOptions& o)
{
    pods::PolicyTestBed bed = pods::run_policy_test_bed(o.scene, o.policy, o.seed, o.episodes, o.threads);
    const pods::Scene& scene = bed.scene;
    const std::vector<pods::ClosedLoopRollout>& rollouts = bed.rollouts;
    pods::EvaluationSummary& s = bed.summary;
    std::vector<double> optimal;
    if (o.optimality) {
        optimal = pods::open_loop_optimal_costs(*bed.workers, scene.task, bed.cost, bed.initial);
        s.optimality_ratio = pods::optimality_ratio(rollouts, optimal);
        s.optimal_cost_mean = pods::mean_optimal_cost(optimal);
    }
    if (!o.episodes_csv.empty()) {
        // one row per episode: its return and, with --optimality, the open-loop optimal return
        std::string csv = "episode,ok,return,terminal_ke,final_distance,action_mag,optimal_return\n";
        for (std::size_t i = 0; i < rollouts.size(); ++i) {
            const pods::ClosedLoopRollout& r = rollouts[i];
            csv += std::to_string(i) + (r.ok ? ",1," : ",0,");
            for (double v : {r.ok ? -r.cost : 0.0,
                             r.ok ? pods::terminal_kinetic_energy(scene.model, scene.task, r.states.back()) : 0.0,
                             r.ok ? pods::final_distance(scene.model, scene.task, r.states.back()) : 0.0,
                             r.ok ? pods::action_magnitude(r.actions) : 0.0,
                             optimal.empty() ? std::nan("") : -optimal[i]}) {
                common::append_double(csv, v);
                csv += ',';
            }
            csv.back() = '\n';
        }
        common::write_file_atomic(o.episodes_csv, csv);
    }
    nlohmann::json j = pods::to_json(s);
    j["scene"] = scene.name;
    j["policy"] = o.policy;
    j["seed"] = o.seed;
    std::cout << j.dump() << "\n";
    return 0;
}

} // namespace

void add_evaluate_command(CLI::App& app, int& exit_code)
{
    auto o = std::make_shared<EvaluateOptions>();
    CLI::App* cmd = app.add_subcommand("evaluate", "Evaluate a policy on a test bed of unseen initial states (JSON on stdout)");
    cmd->add_option("scene", o->scene, "Scene JSON file")->required();
    cmd->add_option("--policy", o->policy, "Policy JSON (policy.json of a training run)")->required();
    cmd->add_option("--episodes", o->episodes, "Test-bed size")->check(CLI::Range(1, 100000))->capture_default_str();
    cmd->add_option("--seed", o->seed, "Seed of the test bed (default: the one training uses)")->check(seed_range())->capture_default_str();
    cmd->add_option("--threads", o->threads, "OpenMP threads")->check(CLI::Range(1, 1024))->capture_default_str();
    cmd->add_flag("--optimality", o->optimality,
                  "Also report optimality_ratio: mean policy cost / open-loop optimal cost from the same states");
    cmd->add_option("--episodes-csv", o->episodes_csv, "Also write one row per episode to this CSV file");
    cmd->callback([o, &exit_code] { exit_code = run_evaluate(*o); });
}

} // namespace podsim::apps
