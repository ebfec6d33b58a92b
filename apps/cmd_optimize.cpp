// `podsim optimize`: open-loop optimisation of one episode's actions inside the action box
// (repeated box-aware Gauss-Newton or projected-gradient steps), written as states/actions/
// rewards CSV and summary.json.
#include "apps/commands.hpp"
#include "common/input_error.hpp"
#include "common/limits.hpp"
#include "common/text_io.hpp"
#include "pods/improve/optimize.hpp"
#include "pods/task/episode_csv.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/task/scene.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

namespace podsim::apps {

namespace {

struct OptimizeCommandOptions {
    std::string scene;
    std::string actions;
    std::string out;
    int steps = -1;
    std::int64_t sample_seed = -1;
    int iterations = 200;
    int order = 2;
    double mu = pods::ImproveOptions{}.mu;
    pods::GaussNewtonMethod method = pods::GaussNewtonMethod::kAuto;
    bool no_box_qp = false;
    double cg_tolerance = pods::ImproveOptions{}.cg_tolerance;
};

int run_optimize(const OptimizeCommandOptions& o)
{
    const pods::Scene scene = pods::load_scene(o.scene);
    const sim::Model& model = scene.model;
    const int steps = o.steps >= 0 ? o.steps : scene.task.horizon;
    if (steps > pods::max_horizon(model))
        throw common::InputError("--steps: got " + std::to_string(steps) + ", must be <= " +
                                 std::to_string(pods::max_horizon(model)) + " for this scene (stored states limit)");
    const pods::QuadraticCost cost = pods::quadratic_cost(model, scene.task);
    // auto is chosen again at every step (choose_gauss_newton by size and the step's mu, which
    // the Levenberg-Marquardt schedule adapts); a forced dense step must fit its size limits
    if (o.order == 2 && o.method == pods::GaussNewtonMethod::kDense) {
        const std::string problem = pods::dense_size_problem(model, cost, steps);
        if (!problem.empty()) throw common::InputError("--steps: " + problem + " (the dense Gauss-Newton step)");
    }
    const Eigen::MatrixXd requested = o.actions.empty() ? Eigen::MatrixXd::Zero(model.n_p(), steps)
                                                        : pods::read_actions_csv(o.actions, model, steps);
    const int clamped = int((scene.task.clamp(requested).array() != requested.array()).count());
    const sim::State z0 = o.sample_seed >= 0
                              ? pods::sample_initial_state(model, scene.task, std::uint64_t(o.sample_seed))
                              : sim::nominal_state(model);

    pods::OptimizeOptions options;
    options.max_iterations = o.iterations;
    options.improve.order = o.order == 1 ? pods::StepOrder::kFirst : pods::StepOrder::kSecond;
    options.improve.mu = o.mu;
    options.improve.method = o.method;
    options.improve.box_qp = !o.no_box_qp;
    options.improve.cg_tolerance = o.cg_tolerance;
    sim::Simulator simulator(model);
    const auto start = std::chrono::steady_clock::now();
    const pods::OptimizeResult r = pods::optimize_actions(simulator, scene.task, cost, z0, requested, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // everything is computed before anything is written
    const pods::Episode e = pods::run_episode(simulator, scene.task, z0, r.actions);
    std::string states = pods::kStatesHeader, acts = pods::kActionsHeader, rewards = pods::kRewardsHeader;
    pods::append_states_csv(states, model, e, 0);
    pods::append_actions_csv(acts, model, e, 0);
    pods::append_rewards_csv(rewards, e, 0);
    const double final_cost = r.costs.back();
    nlohmann::json method_steps = nlohmann::json::object();
    for (pods::GaussNewtonMethod m : {pods::GaussNewtonMethod::kDense, pods::GaussNewtonMethod::kRiccati,
                                      pods::GaussNewtonMethod::kMatrixFree})
        if (r.method_steps[std::size_t(m)] > 0) method_steps[pods::to_string(m)] = r.method_steps[std::size_t(m)];
    const nlohmann::json summary = {
        {"scene", o.scene},
        {"seed", o.sample_seed >= 0 ? nlohmann::json(o.sample_seed) : nlohmann::json(nullptr)},
        {"steps", steps},
        {"order", o.order},
        {"method", pods::to_string(o.method)},
        {"method_steps", method_steps},
        {"mu", o.mu},
        {"box_qp", !o.no_box_qp},
        {"initial_cost", r.costs.front()},
        {"cost", final_cost},
        {"return", 0.0 - e.total_cost()},
        {"costs", r.costs},
        {"iterations", r.iterations},
        {"evaluations", r.evaluations},
        {"cg_iterations", r.cg_iterations},
        {"converged", r.reason != pods::StopReason::kIterationCap},
        {"reason", pods::to_string(r.reason)},
        {"active", r.active},
        {"action_components", r.actions.size()},
        {"gradient_norm", r.gradient_norm},
        {"clamped_initial_actions", clamped},
        {"seconds", seconds}};
    common::ensure_directory(o.out);
    common::write_file_atomic(o.out + "/states.csv", states);
    common::write_file_atomic(o.out + "/actions.csv", acts);
    common::write_file_atomic(o.out + "/rewards.csv", rewards);
    common::write_file_atomic(o.out + "/springs.csv", pods::springs_csv(model));
    common::write_file_atomic(o.out + "/summary.json", summary.dump(2) + "\n");

    std::printf("cost %.10g -> %.10g in %d iterations (%s), %d of %ld action components at a bound, %.3f s; wrote %s/states.csv, actions.csv, rewards.csv, springs.csv, summary.json\n",
                r.costs.front(), final_cost, r.iterations, pods::to_string(r.reason), r.active, long(r.actions.size()),
                seconds, o.out.c_str());
    if (clamped > 0)
        std::fprintf(stderr, "podsim: warning: %d initial action components were clamped to the limit %g\n", clamped,
                     scene.task.action_limit);
    return 0;
}

} // namespace

void add_optimize_command(CLI::App& app, int& exit_code)
{
    auto o = std::make_shared<OptimizeCommandOptions>();
    CLI::App* cmd = app.add_subcommand("optimize", "Optimise one episode's actions open loop inside the action box (box-aware Gauss-Newton)");
    cmd->add_option("scene", o->scene, "Scene JSON file")->required();
    cmd->add_option("--out", o->out, "Output directory (states.csv, actions.csv, rewards.csv, springs.csv, summary.json)")->required();
    cmd->add_option("--actions", o->actions, "Initial action CSV (step,handle,ax,ay,az; default zero); missing steps are zero");
    cmd->add_option("--steps", o->steps, "Number of steps (default: the task horizon)")->check(CLI::Range(1, common::kMaxHorizon));
    cmd->add_option("--sample-initial", o->sample_seed, "Sample the initial state with this seed")->check(seed_range());
    cmd->add_option("--iterations", o->iterations, "Improvement steps at most (default 200)")->check(CLI::Range(0, 100000));
    cmd->add_option("--order", o->order, "1: projected gradient, 2: box-aware Gauss-Newton (default)")->check(CLI::IsMember({1, 2}));
    cmd->add_option("--mu", o->mu, "Gauss-Newton damping mu (default " + common::format_double(o->mu) + ")")->check(finite_non_negative());
    const std::map<std::string, pods::GaussNewtonMethod> methods = {
        {"auto", pods::GaussNewtonMethod::kAuto}, {"dense", pods::GaussNewtonMethod::kDense}, {"riccati", pods::GaussNewtonMethod::kRiccati},
        {"matrix-free", pods::GaussNewtonMethod::kMatrixFree}};
    cmd->add_option("--method", o->method, "Gauss-Newton solve: auto (default), dense, riccati or matrix-free")
        ->transform(CLI::CheckedTransformer(methods, CLI::ignore_case));
    cmd->add_option("--cg-tolerance", o->cg_tolerance,
                    "Matrix-free path: relative residual of each conjugate-gradient solve (default " +
                        common::format_double(o->cg_tolerance) + ")")
        ->check(CLI::Range(1e-16, 0.5));
    cmd->add_flag("--no-box-qp", o->no_box_qp,
                  "Riccati path: hold only the active set, without the per-step box QPs of box-DDP (the dense path's step)");
    cmd->callback([o, &exit_code] { exit_code = run_optimize(*o); });
}

} // namespace podsim::apps
