// `podsim evaluate`: a policy on a test bed of unseen initial states, one JSON object on stdout.
#include "apps/commands.hpp"
#include "common/text_io.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/evaluation.hpp"
#include "pods/train/optimality.hpp"
#include "pods/train/policy_factory.hpp"
#include "pods/train/train_config.hpp"
#include "policy/policy_io.hpp"

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
    const pods::Scene scene = pods::load_scene(o.scene);
    const std::unique_ptr<policy::Policy> p = policy::read_policy_json(o.policy);
    pods::check_policy_fits(*p, scene.model, scene.task, o.policy);
    const pods::QuadraticCost cost = pods::quadratic_cost(scene.model, scene.task);
    const pods::ObservationMap obs = pods::observation_map(scene.model, scene.task);
    const std::vector<sim::State> initial = pods::test_bed(scene.model, scene.task, o.seed, o.episodes);
    pods::Workers workers(scene.model, o.threads);
    std::vector<pods::ClosedLoopRollout> rollouts;
    pods::EvaluationSummary s = pods::evaluate_policy(workers, *p, obs, scene.task, cost, initial, &rollouts);
    std::vector<double> optimal;
    if (o.optimality) {
        optimal = pods::open_loop_optimal_costs(workers, scene.task, cost, initial);
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
