// `podsim bench SCENE`: median timings of a rollout and of its derivatives, one JSON line.
#include "apps/commands.hpp"
#include "pods/improve/box_step.hpp"
#include "pods/improve/gauss_newton_operator.hpp"
#include "pods/improve/improve_step.hpp"
#include "pods/improve/improvement.hpp"
#include "pods/task/random.hpp"
#include "pods/task/scene.hpp"
#include "common/input_error.hpp"
#include "common/limits.hpp"
#include "sim/rollout.hpp"
#include "sim/sensitivity.hpp"
#include "sim/trajectory_linearization.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <limits>
#include <map>
#include <memory>

namespace podsim::apps {

namespace {

struct BenchOptions {
    std::string scene;
    int horizon = -1;
    int repeats = 15;
    pods::GaussNewtonMethod method = pods::GaussNewtonMethod::kAuto;
    double mu = -1;
};

// the Riccati step is cubic in its state 4 n_x + n_p: timed only up to this size (the rope's 243)
constexpr int kBenchRiccatiMaxState = 128;

template <typename F> double median_ms(int repeats, F&& f)
{
    std::vector<double> ms;
    f(); // warm-up
    for (int r = 0; r < repeats; ++r) {
        const auto start = std::chrono::steady_clock::now();
        f();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::nth_element(ms.begin(), ms.begin() + long(ms.size() / 2), ms.end());
    return ms[ms.size() / 2];
}

int run_bench(const BenchOptions& o)
{
    const pods::Scene scene = pods::load_scene(o.scene);
    const sim::Model& model = scene.model;
    const int n = o.horizon > 0 ? o.horizon : scene.task.horizon;
    const pods::QuadraticCost cost = pods::quadratic_cost(model, scene.task);
    if (n > pods::max_horizon(model))
        throw common::InputError("--horizon: got " + std::to_string(n) + ", must be <= " + std::to_string(pods::max_horizon(model)) +
                              " for this scene (stored states limit)");
    const std::string problem = pods::dense_size_problem(model, cost, n);
    if (!problem.empty()) throw common::InputError("--horizon: " + problem);
    // fixed pseudo-random actions in +-action_limit/10 from the nominal state (small actions, as
    // from an initial policy; large random pushes make cloth buckle, see docs/simulation.md)
    const Eigen::MatrixXd actions = pods::random_actions(model.n_p(), n, 0.1 * scene.task.action_limit, 1);
    const sim::State z0 = sim::nominal_state(model);

    sim::Simulator simulator(model);
    std::vector<sim::State> states;
    sim::RolloutStats stats;
    const double rollout_ms = median_ms(o.repeats, [&] { stats = sim::rollout(simulator, z0, actions, states); });
    if (!stats.converged) throw common::RuntimeFailure(stats.failure.message(stats.failed_step));
    const double gradient_ms = median_ms(o.repeats, [&] { pods::cost_gradient_adjoint(simulator, cost, states, actions); });
    const double jacobian_ms = median_ms(o.repeats, [&] { sim::trajectory_jacobian(simulator, states, cost.selection); });
    const double mu = o.mu >= 0 ? o.mu : scene.task.weights.a > 0 ? 0.0 : 1e-6;
    const pods::GaussNewtonMethod method =
        o.method == pods::GaussNewtonMethod::kAuto ? pods::choose_gauss_newton(model, cost, n, mu) : o.method;
    const double gn_step_ms = median_ms(o.repeats, [&] { pods::gauss_newton_step(simulator, cost, states, actions, mu, method); });
    // the matrix-free path's parts: the stored factorisations (one per step), one product J v
    // and one J^T w (with the factors), one product G v (with the inverses a long solve
    // switches to), and the whole unconstrained matrix-free step (with its CG iterations), next
    // to the dense step; Riccati only where its state is small enough to be affordable
    const double linearization_ms = median_ms(o.repeats, [&] { sim::TrajectoryLinearization lin(simulator, states); });
    sim::TrajectoryLinearization linearization(simulator, states);
    const int ns = cost.selection.size(model);
    Eigen::VectorXd ds(Eigen::Index(n + 1) * ns);
    Eigen::MatrixXd bar_a(model.n_p(), n);
    const double tangent_ms = median_ms(o.repeats, [&] { linearization.tangent(cost.selection, actions, ds); });
    const double adjoint_ms = median_ms(o.repeats, [&] { linearization.adjoint(cost.selection, ds, bar_a); });
    // one product G v as inside a long CG solve (dense: after the switch to stored inverses)
    pods::GaussNewtonOperator product(linearization, cost, mu);
    for (int k = 0; k < sim::TrajectoryLinearization::kInverseAfterSweeps; ++k) linearization.tangent(cost.selection, actions, ds);
    const Eigen::VectorXd v = actions.reshaped();
    Eigen::VectorXd gv(v.size());
    const double cg_product_ms = median_ms(o.repeats, [&] { product.apply(v, gv); });
    int cg_iterations = 0;
    const double gn_matrix_free_ms = median_ms(o.repeats, [&] {
        sim::TrajectoryLinearization lin(simulator, states);
        const Eigen::MatrixXd grad = pods::cost_gradient_linearized(lin, cost, states, actions);
        pods::GaussNewtonOperator g(lin, cost, mu);
        pods::CgOptions cg;
        cg.tolerance = pods::kMatrixFreeTolerance;
        const pods::ActionMask nothing = pods::ActionMask::Constant(actions.rows(), actions.cols(), false);
        cg_iterations = pods::box_newton_step_matrix_free(g, grad, actions, std::numeric_limits<double>::infinity(), nothing, 0, cg)
                            .cg_iterations;
    });
    const double gn_dense_ms =
        median_ms(o.repeats, [&] { pods::gauss_newton_step(simulator, cost, states, actions, mu, pods::GaussNewtonMethod::kDense); });
    const bool riccati_affordable = 4 * model.n_x() + model.n_p() <= kBenchRiccatiMaxState;
    const double gn_riccati_ms = riccati_affordable ? median_ms(o.repeats, [&] {
        pods::gauss_newton_step(simulator, cost, states, actions, mu, pods::GaussNewtonMethod::kRiccati);
    }) : -1.0;
    // its two parts: the LQ model (one tangent solve of n_z + n_a columns per step) and the
    // box-DDP pass on it
    pods::LqModel lq;
    const double lq_model_ms = riccati_affordable ? median_ms(o.repeats, [&] { lq = pods::lq_model(simulator, cost, states, actions); }) : -1.0;
    const pods::ActionMask none = pods::ActionMask::Constant(actions.rows(), actions.cols(), false);
    const double riccati_pass_ms = riccati_affordable ? median_ms(o.repeats, [&] {
        pods::box_riccati_step(lq, actions, scene.task.action_limit, mu, none);
    }) : -1.0;
    // the box-aware step (improve_actions' direction) and one whole improvement, with every third
    // action component moved onto the upper bound so that the active set is not empty
    Eigen::MatrixXd boxed = actions;
    for (Eigen::Index i = 0; i < boxed.size(); i += 3) boxed.data()[i] = scene.task.action_limit;
    std::vector<sim::State> boxed_states;
    const sim::RolloutStats boxed_stats = sim::rollout(simulator, z0, boxed, boxed_states);
    if (!boxed_stats.converged) throw common::RuntimeFailure(boxed_stats.failure.message(boxed_stats.failed_step));
    pods::ImproveOptions improve;
    improve.mu = mu;
    improve.method = method;
    pods::BoxAwareStep box_step;
    const double boxed_cost = cost.total(model, boxed_states, boxed);
    const double box_step_ms =
        median_ms(o.repeats, [&] { box_step = pods::box_aware_step(simulator, scene.task, cost, boxed_states, boxed, improve); });
    const double improve_ms = median_ms(
        o.repeats, [&] { pods::improve_actions(simulator, scene.task, cost, boxed_states, boxed, boxed_cost, improve); });

    const auto ratio = [&](double ms) { return ms / rollout_ms; };
    const double fd_rollouts = double(n) * model.n_p() + 1;
    nlohmann::json line = {{"scene", scene.name.empty() ? o.scene : scene.name},
                                 {"horizon", n},
                                 {"free_dofs", model.n_x()},
                                 {"action_dims", model.n_p()},
                                 {"rollout_ms", rollout_ms},
                                 {"gradient_ms", gradient_ms},
                                 {"jacobian_ms", jacobian_ms},
                                 {"gn_step_ms", gn_step_ms},
                                 {"box_step_ms", box_step_ms},
                                 {"improve_ms", improve_ms},
                                 {"gn_method", pods::to_string(method)},
                                 {"linearization_ms", linearization_ms},
                                 {"tangent_ms", tangent_ms},
                                 {"adjoint_ms", adjoint_ms},
                                 {"gn_dense_ms", gn_dense_ms},
                                 {"gn_matrix_free_ms", gn_matrix_free_ms},
                                 {"cg_iterations", cg_iterations},
                                 {"cg_product_ms", cg_product_ms},
                                 {"box_step_cg_iterations", box_step.cg_iterations},
                                 {"gradient_ratio", ratio(gradient_ms)},
                                 {"jacobian_ratio", ratio(jacobian_ms)},
                                 {"jacobian_fd_speedup", fd_rollouts * rollout_ms / jacobian_ms},
                                 {"gn_dense_ratio", ratio(gn_dense_ms)},
                                 {"gn_matrix_free_ratio", ratio(gn_matrix_free_ms)},
                                 {"newton_iterations_per_step", stats.mean_iterations()},
                                 {"mu", mu},
                                 {"repeats", o.repeats}};
    if (riccati_affordable) {
        line["gn_riccati_ms"] = gn_riccati_ms;
        line["gn_riccati_ratio"] = ratio(gn_riccati_ms);
        line["lq_model_ms"] = lq_model_ms;
        line["riccati_pass_ms"] = riccati_pass_ms;
    } else {
        for (const char* key : {"gn_riccati_ms", "gn_riccati_ratio", "lq_model_ms", "riccati_pass_ms"}) line[key] = nullptr;
    }
    std::cout << line.dump() << "\n";
    return 0;
}

} // namespace

void add_bench_command(CLI::App& app, int& exit_code)
{
    auto o = std::make_shared<BenchOptions>();
    CLI::App* cmd = app.add_subcommand("bench", "Median rollout / gradient / Jacobian / Gauss-Newton step times of a scene (one JSON line)");
    cmd->add_option("scene", o->scene, "Scene JSON file")->required();
    cmd->add_option("--horizon", o->horizon, "Horizon N (default: the task's)")->check(CLI::Range(1, 2000));
    cmd->add_option("--repeats", o->repeats, "Timed repetitions (median reported)")->check(CLI::Range(1, 1000));
    cmd->add_option("--mu", o->mu, "Gauss-Newton damping of the timed steps (default 0, or 1e-6 without an action weight)")
        ->check(CLI::Range(0.0, 1e12));
    const std::map<std::string, pods::GaussNewtonMethod> methods = {{"auto", pods::GaussNewtonMethod::kAuto},
                                                                    {"dense", pods::GaussNewtonMethod::kDense},
                                                                    {"riccati", pods::GaussNewtonMethod::kRiccati},
                                                                    {"matrix-free", pods::GaussNewtonMethod::kMatrixFree}};
    cmd->add_option("--method", o->method, "Gauss-Newton method of gn_step_ms, box_step_ms and improve_ms: auto (default), dense, riccati or matrix-free")
        ->transform(CLI::CheckedTransformer(methods, CLI::ignore_case));
    cmd->callback([o, &exit_code] { exit_code = run_bench(*o); });
}

} // namespace podsim::apps
