// `podsim diagnose`: gradient-health diagnostics of one trajectory (open loop from given or zero
// actions, or a policy's closed loop), written as diagnostics.json and diagnostics.csv.
#include "apps/commands.hpp"
#include "common/input_error.hpp"
#include "common/limits.hpp"
#include "common/text_io.hpp"
#include "pods/diagnose/diagnostics_io.hpp"
#include "pods/task/episode_csv.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/policy_factory.hpp"
#include "policy/policy_io.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace podsim::apps {

namespace {

struct DiagnoseOptions {
    std::string scene;
    std::string policy;
    std::string actions;
    std::string out;
    int steps = -1;
    std::int64_t sample_seed = -1;
};

int run_diagnose(const DiagnoseOptions& o)
{
    pods::Scene scene = pods::load_scene(o.scene);
    const sim::Model& model = scene.model;
    // limits first: nothing large is built for a scene that cannot be diagnosed
    if (o.steps >= 0) {
        if (o.steps > pods::max_horizon(model))
            throw common::InputError("--steps: got " + std::to_string(o.steps) + ", must be <= " +
                                     std::to_string(pods::max_horizon(model)) + " for this scene (stored states limit)");
        scene.task.horizon = o.steps;
    }
    const std::string problem = pods::diagnose_size_problem(model);
    if (!problem.empty()) throw common::InputError(o.scene + ": " + problem);
    std::unique_ptr<policy::Policy> policy;
    if (!o.policy.empty()) {
        policy = policy::read_policy_json(o.policy);
        pods::check_policy_fits(*policy, model, scene.task, o.policy);
    }
    const Eigen::MatrixXd actions = o.actions.empty() ? Eigen::MatrixXd::Zero(model.n_p(), scene.task.horizon)
                                                      : pods::read_actions_csv(o.actions, model, scene.task.horizon);
    const sim::State z0 = o.sample_seed >= 0
                              ? pods::sample_initial_state(model, scene.task, std::uint64_t(o.sample_seed))
                              : sim::nominal_state(model);

    // everything is computed before anything is written. The analysis is serial; Eigen's
    // OpenMP matrix products (240 x 240 on the rope) spent 2/3 of the time waiting on a shared
    // 2-core machine (docs/PERFORMANCE.md), so they run on one thread
    Eigen::setNbThreads(1);
    sim::Simulator simulator(model);
    const pods::Diagnostics d = policy ? pods::diagnose_policy(simulator, scene.task, *policy, z0)
                                       : pods::diagnose_actions(simulator, scene.task, z0, actions);
    nlohmann::json j = {{"scene", o.scene},
                        {"initial_state", o.sample_seed >= 0 ? nlohmann::json({{"seed", o.sample_seed}}) : nlohmann::json("nominal")}};
    if (policy) j["policy"] = o.policy;
    else j["actions"] = o.actions.empty() ? nlohmann::json("zero") : nlohmann::json(o.actions);
    j.update(pods::diagnostics_json(d));

    common::ensure_directory(o.out);
    common::write_file_atomic(o.out + "/diagnostics.csv", pods::diagnostics_csv(d));
    common::write_file_atomic(o.out + "/diagnostics.json", j.dump(2) + "\n");
    std::printf("%s\nwrote %s/diagnostics.json, diagnostics.csv\n", j["summary"].get<std::string>().c_str(), o.out.c_str());
    if (!policy && d.clamped > 0)
        std::fprintf(stderr, "podsim: warning: %d action components were clamped to the limit %g; derivatives are taken at the clamped actions\n",
                     d.clamped, scene.task.action_limit);
    return 0;
}

} // namespace

void add_diagnose_command(CLI::App& app, int& exit_code)
{
    auto o = std::make_shared<DiagnoseOptions>();
    CLI::App* cmd = app.add_subcommand("diagnose", "Gradient health along the horizon: |dV/da_t|, transition growth, "
                                                   "Lyapunov exponents, Gauss-Newton conditioning, BPTT contributions");
    cmd->add_option("scene", o->scene, "Scene JSON file")->required();
    CLI::Option* pol = cmd->add_option("--policy", o->policy, "Policy JSON: diagnose its closed-loop rollout");
    CLI::Option* act = cmd->add_option("--actions", o->actions, "Action CSV of an open-loop trajectory (default: zero actions)");
    pol->excludes(act);
    cmd->add_option("--sample-initial", o->sample_seed, "Sample the initial state with this seed (default: the scene's)")
        ->check(seed_range());
    cmd->add_option("--steps", o->steps, "Number of steps (default: the task horizon)")->check(CLI::Range(1, common::kMaxHorizon));
    cmd->add_option("--out", o->out, "Output directory (diagnostics.json, diagnostics.csv)")->required();
    cmd->callback([o, &exit_code] { exit_code = run_diagnose(*o); });
}

} // namespace podsim::apps
