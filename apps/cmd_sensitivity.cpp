// `podsim sensitivity`: value, value gradient dV/da (adjoint) and optionally the trajectory
// Jacobian and the Gauss-Newton step of one open-loop episode.
#include "apps/commands.hpp"
#include "pods/task/episode_csv.hpp"
#include "pods/improve/improvement.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/task/scene.hpp"
#include "pods/task/trajectory_csv.hpp"
#include "common/input_error.hpp"
#include "common/limits.hpp"
#include "sim/sensitivity.hpp"
#include "common/text_io.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

namespace podsim::apps {

namespace {

struct SensitivityOptions {
    std::string scene;
    std::string actions;
    std::string out;
    int steps = -1;
    std::int64_t sample_seed = -1;
    bool jacobian = false;
    double mu = 0;
};

int run_sensitivity(const SensitivityOptions& o)
{
    const pods::Scene scene = pods::load_scene(o.scene);
    const sim::Model& model = scene.model;
    const int steps = o.steps >= 0 ? o.steps : scene.task.horizon;
    if (steps > pods::max_horizon(model))
        throw common::InputError("--steps: got " + std::to_string(steps) + ", must be <= " +
                              std::to_string(pods::max_horizon(model)) + " for this scene (stored states limit)");
    const pods::QuadraticCost cost = pods::quadratic_cost(model, scene.task);
    if (o.jacobian) {
        const std::string problem = pods::dense_size_problem(model, cost, steps);
        if (!problem.empty()) throw common::InputError("--jacobian: " + problem);
    }
    const Eigen::MatrixXd requested = pods::read_actions_csv(o.actions, model, steps);
    const sim::State z0 = o.sample_seed >= 0
                              ? pods::sample_initial_state(model, scene.task, std::uint64_t(o.sample_seed))
                              : sim::nominal_state(model);

    // everything is computed before anything is written: a failure leaves no partial output.
    // Derivatives are taken at the applied (clamped) actions
    sim::Simulator simulator(model);
    int clamped = 0;
    const pods::Episode e = pods::run_episode(simulator, scene.task, z0, requested, &clamped);
    const double c = cost.total(model, e.states, e.actions);
    const Eigen::MatrixXd value_gradient = -pods::cost_gradient_adjoint(simulator, cost, e.states, e.actions);
    nlohmann::json summary = {{"scene", o.scene},
                              {"steps", steps},
                              {"value", 0.0 - c},
                              {"cost", c},
                              {"gradient_norm", value_gradient.norm()},
                              {"clamped_actions", clamped},
                              {"newton_iterations_per_step", e.stats.mean_iterations()}};
    std::string jacobian_file, step_file;
    if (o.jacobian) {
        const Eigen::MatrixXd j = sim::trajectory_jacobian(simulator, e.states, cost.selection);
        const Eigen::MatrixXd grad = pods::cost_gradient_jacobian(model, cost, e.states, e.actions, j);
        const Eigen::MatrixXd step = pods::gauss_newton_step_dense(cost, j, grad, o.mu);
        jacobian_file = pods::jacobian_csv(model, cost.selection, j);
        step_file = pods::per_action_csv(model, step, "d");
        summary["gn_mu"] = o.mu;
        summary["gn_predicted_decrease"] = pods::gauss_newton_predicted_decrease(cost, j, grad, step, o.mu);
    }

    common::ensure_directory(o.out);
    common::write_file_atomic(o.out + "/gradient.csv", pods::per_action_csv(model, value_gradient, "d"));
    for (const char* name : {"/jacobian.csv", "/gn_step.csv"}) std::filesystem::remove(o.out + name); // stale ones
    if (o.jacobian) {
        common::write_file_atomic(o.out + "/jacobian.csv", jacobian_file);
        common::write_file_atomic(o.out + "/gn_step.csv", step_file);
    }
    common::write_file_atomic(o.out + "/summary.json", summary.dump(2) + "\n");

    std::printf("value %.17g, |dV/da| %.6g; wrote %s/gradient.csv%s, summary.json\n", 0.0 - c, value_gradient.norm(),
                o.out.c_str(), o.jacobian ? ", jacobian.csv, gn_step.csv" : "");
    if (clamped > 0)
        std::fprintf(stderr, "podsim: warning: %d action components were clamped to the limit %g; derivatives are taken at the clamped actions\n",
                     clamped, scene.task.action_limit);
    return 0;
}

} // namespace

void add_sensitivity_command(CLI::App& app, int& exit_code)
{
    auto o = std::make_shared<SensitivityOptions>();
    CLI::App* cmd = app.add_subcommand("sensitivity", "Value and its gradient dV/da of an episode; optionally ds/da and the Gauss-Newton step");
    cmd->add_option("scene", o->scene, "Scene JSON file")->required();
    cmd->add_option("--actions", o->actions, "Action CSV (step,handle,ax,ay,az); missing steps are zero")->required();
    cmd->add_option("--out", o->out, "Output directory (gradient.csv, summary.json, ...)")->required();
    cmd->add_option("--steps", o->steps, "Number of steps (default: the task horizon)")->check(CLI::Range(1, common::kMaxHorizon));
    cmd->add_option("--sample-initial", o->sample_seed, "Sample the initial state with this seed")->check(seed_range());
    cmd->add_flag("--jacobian", o->jacobian, "Also write jacobian.csv (ds/da) and gn_step.csv (Gauss-Newton step)");
    cmd->add_option("--mu", o->mu, "Damping mu of the Gauss-Newton step (default 0)")->check(finite_non_negative());
    cmd->callback([o, &exit_code] { exit_code = run_sensitivity(*o); });
}

} // namespace podsim::apps
