// The matrix-free Gauss-Newton step's parts (docs/PERFORMANCE.md, "Matrix-free Gauss-Newton"):
// one tangent sweep, one adjoint sweep, one operator product and the products inside a CG solve,
// timed apart on the same linearisation; then the box-aware step with box passes, with and without
// the passes' limited-memory preconditioner (CG iterations).
//   bench_matrix_free SCENE [--horizon N] [--repeats R] [--mu MU]
#include "pods/improve/active_set.hpp"
#include "pods/improve/box_step.hpp"
#include "pods/improve/gauss_newton_operator.hpp"
#include "pods/task/random.hpp"
#include "pods/task/scene.hpp"
#include "sim/rollout.hpp"
#include "sim/trajectory_linearization.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using namespace podsim;

namespace {

double now_ms()
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <typename F> double median_ms(int repeats, F&& f)
{
    std::vector<double> ms;
    f(); // warm-up
    for (int r = 0; r < repeats; ++r) {
        const double start = now_ms();
        f();
        ms.push_back(now_ms() - start);
    }
    std::nth_element(ms.begin(), ms.begin() + long(ms.size() / 2), ms.end());
    return ms[ms.size() / 2];
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_matrix_free SCENE [--horizon N] [--repeats R] [--mu MU]\n");
        return 2;
    }
    const std::string path = argv[1];
    int horizon = -1, repeats = 21;
    double mu = 1.0;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--horizon")) horizon = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--mu")) mu = std::atof(argv[i + 1]);
        else {
            std::fprintf(stderr, "bench_matrix_free: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    const pods::Scene scene = pods::load_scene(path);
    const sim::Model& model = scene.model;
    const int n = horizon > 0 ? horizon : scene.task.horizon;
    const pods::QuadraticCost cost = pods::quadratic_cost(model, scene.task);
    // the actions of `podsim bench`
    const Eigen::MatrixXd actions = pods::random_actions(model.n_p(), n, 0.1 * scene.task.action_limit, 1);
    sim::Simulator simulator(model);
    std::vector<sim::State> states;
    if (!sim::rollout(simulator, sim::nominal_state(model), actions, states).converged) {
        std::fprintf(stderr, "bench_matrix_free: the rollout did not converge\n");
        return 1;
    }
    const double linearization_ms = median_ms(repeats, [&] { sim::TrajectoryLinearization lin(simulator, states); });
    // the sweeps with the stored factors (a fresh linearisation: before the dense inverse)
    const int ns = cost.selection.size(model);
    Eigen::VectorXd ds(Eigen::Index(n + 1) * ns);
    Eigen::MatrixXd bar_a(model.n_p(), n);
    double tangent_ms = 0, adjoint_ms = 0;
    {
        std::vector<double> t, a;
        for (int r = 0; r < repeats; ++r) {
            sim::TrajectoryLinearization lin(simulator, states);
            double s = now_ms();
            lin.tangent(cost.selection, actions, ds);
            t.push_back(now_ms() - s);
            s = now_ms();
            lin.adjoint(cost.selection, ds, bar_a);
            a.push_back(now_ms() - s);
        }
        std::nth_element(t.begin(), t.begin() + long(t.size() / 2), t.end());
        std::nth_element(a.begin(), a.begin() + long(a.size() / 2), a.end());
        tangent_ms = t[t.size() / 2];
        adjoint_ms = a[a.size() / 2];
    }
    // then once the linearisation has switched to the inverses (dense)
    sim::TrajectoryLinearization lin(simulator, states);
    for (int k = 0; k < sim::TrajectoryLinearization::kInverseAfterSweeps; ++k) lin.tangent(cost.selection, actions, ds);
    const double tangent_inverse_ms = median_ms(repeats, [&] { lin.tangent(cost.selection, actions, ds); });
    const double adjoint_inverse_ms = median_ms(repeats, [&] { lin.adjoint(cost.selection, ds, bar_a); });
    pods::GaussNewtonOperator g(lin, cost, mu);
    const Eigen::MatrixXd grad = pods::cost_gradient_linearized(lin, cost, states, actions);
    // one unconstrained CG solve, every product timed
    const pods::ActionMask nothing = pods::ActionMask::Constant(actions.rows(), actions.cols(), false);
    double in_products = 0;
    int products = 0;
    const pods::LinearOperator timed = [&](const Eigen::VectorXd& x, Eigen::VectorXd& y) {
        const double start = now_ms();
        g.apply(x, y);
        in_products += now_ms() - start;
        ++products;
    };
    Eigen::VectorXd x = Eigen::VectorXd::Zero(grad.size());
    const Eigen::VectorXd rhs = -grad.reshaped();
    const double start = now_ms();
    const pods::CgResult r = pods::masked_conjugate_gradient(timed, rhs, nothing.reshaped(), x, pods::CgOptions{});
    const double solve_ms = now_ms() - start;

    // the box-aware step with passes on `podsim bench`'s boxed actions (every third component
    // on the upper bound), without and with the passes' limited-memory preconditioner
    Eigen::MatrixXd boxed = actions;
    for (Eigen::Index i = 0; i < boxed.size(); i += 3) boxed.data()[i] = scene.task.action_limit;
    std::vector<sim::State> boxed_states;
    if (!sim::rollout(simulator, sim::nominal_state(model), boxed, boxed_states).converged) return 1;
    sim::TrajectoryLinearization boxed_lin(simulator, boxed_states);
    const Eigen::MatrixXd boxed_grad = pods::cost_gradient_linearized(boxed_lin, cost, boxed_states, boxed);
    const pods::ActionMask held = pods::active_set(boxed, boxed_grad, scene.task.action_limit, 1e-9);
    pods::GaussNewtonOperator boxed_g(boxed_lin, cost, mu);
    int box_iterations[2] = {0, 0}, first_iterations = 0;
    for (int k = 0; k < 2; ++k) {
        pods::CgOptions cg;
        cg.recycled_directions = k == 0 ? 0 : cg.recycled_directions;
        box_iterations[k] = pods::box_newton_step_matrix_free(boxed_g, boxed_grad, boxed, scene.task.action_limit, held, 3, cg)
                                .cg_iterations;
    }
    first_iterations = pods::box_newton_step_matrix_free(boxed_g, boxed_grad, boxed, scene.task.action_limit, held, 0, pods::CgOptions{})
                           .cg_iterations;
    std::printf("{\"scene\":\"%s\",\"horizon\":%d,\"linearization_ms\":%.4f,\"tangent_ms\":%.4f,\"adjoint_ms\":%.4f,"
                "\"tangent_inverse_ms\":%.4f,\"adjoint_inverse_ms\":%.4f,\"cg_iterations\":%d,\"cg_solve_ms\":%.4f,"
                "\"ms_per_product\":%.4f,\"ms_outside_products\":%.4f,\"box_first_solve_iterations\":%d,"
                "\"box_pass_iterations_plain\":%d,\"box_pass_iterations_recycled\":%d}\n",
                scene.name.c_str(), n, linearization_ms, tangent_ms, adjoint_ms, tangent_inverse_ms, adjoint_inverse_ms,
                r.iterations, solve_ms, in_products / products, solve_ms - in_products, first_iterations,
                box_iterations[0] - first_iterations, box_iterations[1] - first_iterations);
    return 0;
}
