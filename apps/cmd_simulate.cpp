// `podsim simulate`: one open-loop episode of a scene, written as states/actions/rewards CSV.
#include "apps/commands.hpp"
#include "pods/task/episode_csv.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/task/scene.hpp"
#include "common/input_error.hpp"
#include "common/limits.hpp"
#include "common/text_io.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

namespace podsim::apps {

namespace {

struct SimulateOptions {
    std::string scene;
    int steps = -1;
    std::string actions;
    std::int64_t sample_seed = -1;
    std::string out;
};

int run_simulate(const SimulateOptions& o)
{
    pods::Scene scene = pods::load_scene(o.scene);
    const sim::Model& model = scene.model;
    const int steps = o.steps >= 0 ? o.steps : scene.task.horizon;
    if (steps > pods::max_horizon(model))
        throw common::InputError("--steps: got " + std::to_string(steps) + ", must be <= " +
                              std::to_string(pods::max_horizon(model)) + " for this scene (stored states limit)");
    const Eigen::MatrixXd actions = o.actions.empty() ? Eigen::MatrixXd::Zero(model.n_p(), steps)
                                                      : pods::read_actions_csv(o.actions, model, steps);
    const sim::State z0 = o.sample_seed >= 0
                              ? pods::sample_initial_state(model, scene.task, std::uint64_t(o.sample_seed))
                              : sim::nominal_state(model);

    sim::Simulator simulator(model);
    int clamped = 0;
    const auto start = std::chrono::steady_clock::now();
    const pods::Episode e = pods::run_episode(simulator, scene.task, z0, actions, &clamped);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (!o.out.empty()) {
        std::string states = pods::kStatesHeader, acts = pods::kActionsHeader, rewards = pods::kRewardsHeader;
        pods::append_states_csv(states, model, e, 0);
        pods::append_actions_csv(acts, model, e, 0);
        pods::append_rewards_csv(rewards, e, 0);
        common::ensure_directory(o.out);
        common::write_file_atomic(o.out + "/states.csv", states);
        common::write_file_atomic(o.out + "/actions.csv", acts);
        common::write_file_atomic(o.out + "/rewards.csv", rewards);
        common::write_file_atomic(o.out + "/springs.csv", pods::springs_csv(model));
    }

    const pods::CostTerms& terminal = e.costs.back();
    std::printf("%s: %d steps of %g s, %d free DOFs (%s solver), %.3f ms, %.2f Newton iterations and %.2f factorisations per step\n",
                scene.name.empty() ? o.scene.c_str() : scene.name.c_str(), steps, model.dt, model.n_x(),
                simulator.uses_sparse_solver() ? "sparse" : "dense", seconds * 1e3, e.stats.mean_iterations(),
                e.stats.mean_factorizations());
    std::printf("return %.10g (terminal cost %.6g)\n", 0.0 - e.total_cost(), terminal.total());
    if (clamped > 0)
        std::fprintf(stderr, "podsim: warning: %d action components were clamped to the limit %g\n", clamped,
                     scene.task.action_limit);
    if (!o.out.empty()) std::printf("wrote %s/states.csv, actions.csv, rewards.csv, springs.csv\n", o.out.c_str());
    return 0;
}

} // namespace

void add_simulate_command(CLI::App& app, int& exit_code)
{
    auto o = std::make_shared<SimulateOptions>();
    CLI::App* cmd = app.add_subcommand("simulate", "Simulate one episode of a scene (zero or given actions)");
    cmd->add_option("scene", o->scene, "Scene JSON file")->required();
    cmd->add_option("--steps", o->steps, "Number of steps (default: the task horizon)")
        ->check(CLI::Range(0, common::kMaxHorizon));
    cmd->add_option("--actions", o->actions, "Action CSV (step,handle,ax,ay,az); missing steps are zero");
    cmd->add_option("--sample-initial", o->sample_seed, "Sample the initial state with this seed")
        ->check(seed_range());
    cmd->add_option("--out", o->out, "Output directory for states.csv, actions.csv, rewards.csv, springs.csv");
    cmd->callback([o, &exit_code] { exit_code = run_simulate(*o); });
}

} // namespace podsim::apps
