// Step-time benchmarks of the simulator (docs/PERFORMANCE.md): the 2D pendulum, the rope, the
// 32x32 cloth and the cloth on a table, hanging and under random actions, contact steps with and
// without the contact damping, and a dense-vs-sparse sweep over rope sizes that sets
// kDenseSolverMaxDofs.
//   bench_step [--scenes DIR] [--repeats R] [--table all|steps|contact|sizes]
//   bench_step --scene FILE [--fraction F] [--repeats R]: one scene's row (actions in +-F x
//   action_limit, default 0.1 as podsim bench; median over max(3, R/4) rollouts), e.g.
//   bench/scenes/cloth_26_flexural_1e-4.json
#include "pods/task/random.hpp"
#include "pods/task/scene.hpp"
#include "sim/generators.hpp"
#include "sim/rollout.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace podsim;

namespace {

struct Timing {
    double median_step_s = 0;
    double iterations = 0;
    double factorizations = 0;
};

// median over `repeats` rollouts of the mean time per step
Timing time_rollouts(const sim::Model& model, const sim::State& z0, const Eigen::MatrixXd& actions, int repeats)
{
    sim::Simulator sim(model);
    std::vector<sim::State> states;
    std::vector<double> per_step;
    Timing t;
    for (int r = 0; r < repeats + 1; ++r) {
        const auto start = std::chrono::steady_clock::now();
        const sim::RolloutStats stats = sim::rollout(sim, z0, actions, states);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!stats.converged) {
            std::fprintf(stderr, "bench_step: %s\n", stats.failure.message(stats.failed_step).c_str());
            std::exit(1);
        }
        if (r == 0) continue; // warm-up
        per_step.push_back(s / double(actions.cols()));
        t.iterations = stats.mean_iterations();
        t.factorizations = stats.mean_factorizations();
    }
    std::nth_element(per_step.begin(), per_step.begin() + long(per_step.size() / 2), per_step.end());
    t.median_step_s = per_step[per_step.size() / 2];
    return t;
}

void bench_scene(const std::string& path, int repeats, double scale, const char* unit, double action_fraction)
{
    const pods::Scene s = pods::load_scene(path);
    const Eigen::MatrixXd actions = pods::random_actions(s.model.n_p(), s.task.horizon, action_fraction * s.task.action_limit, 1);
    const Timing t = time_rollouts(s.model, sim::nominal_state(s.model), actions, repeats);
    std::printf("| %s | %g | %d | %s | %.3f %s | %.2f | %.2f |\n", s.name.c_str(), action_fraction, s.model.n_x(),
                s.model.n_x() > sim::kDenseSolverMaxDofs ? "sparse" : "dense", t.median_step_s * scale, unit,
                t.iterations, t.factorizations);
}

// a 3D rope of n segments hanging from a handle, swinging
sim::Model rope(int segments, sim::LinearSolverChoice solver)
{
    Eigen::VectorXd g(3);
    g << 0, -9.81, 0;
    sim::ModelBuilder b(3, 0.01, g);
    const int h = b.add_node("handle", sim::Role::kHandle, Eigen::Vector3d(0, 0, 0));
    sim::RopeSpec r;
    r.name = "rope";
    r.from = h;
    r.to = Eigen::Vector3d(0.6, -0.8, 0.0);
    r.segments = segments;
    r.node_mass = 0.02;
    r.stiffness = 5000;
    r.bending_stiffness = 50;
    sim::add_rope(b, r);
    b.solver.linear_solver = solver;
    return b.build();
}

// a 0.5 kg node dropped from 0.3 m onto a plane (k 2e4 N/m, mu 0.5), dt 5 ms
sim::Model dropped_node()
{
    sim::ModelBuilder b(3, 0.005, Eigen::Vector3d(0, -9.81, 0));
    b.add_node("node", sim::Role::kFree, Eigen::Vector3d(0, 0.3, 0), 0.5);
    sim::ContactPlane plane;
    plane.normal = Eigen::Vector3d(0, 1, 0);
    plane.stiffness = 2e4;
    plane.friction = 0.5;
    b.contacts.push_back(plane);
    return b.build();
}

// contact steps with every plane's damping ratio set to zeta
void bench_contact_row(const char* name, sim::Model model, const Eigen::MatrixXd& actions, double zeta, int repeats,
                       double scale, const char* unit)
{
    for (sim::ContactPlane& c : model.contacts) c.damping_ratio = zeta;
    const Timing t = time_rollouts(model, sim::nominal_state(model), actions, repeats);
    std::printf("| %s | %g | %.3f %s | %.2f | %.2f |\n", name, zeta, t.median_step_s * scale, unit, t.iterations,
                t.factorizations);
}

// the node dropped for 2 s (it lands after 0.25 s), and cloth_table laid on its table as in
// tests/sim/test_contact.cpp: handles straight down and back at (0, -0.325, -0.3) m/s for 1 s,
// then held; undamped and with the default damping ratio
void bench_contact(const std::string& scenes, int repeats)
{
    std::printf("\n| contact steps | damping ratio | median step | Newton it./step | factorisations/step |\n");
    std::printf("|---|---|---|---|---|\n");
    const double zeta = sim::ContactPlane().damping_ratio;
    const sim::Model node = dropped_node();
    for (double z : {0.0, zeta}) bench_contact_row("node dropped on a plane (3 DOFs)", node, Eigen::MatrixXd(0, 400), z, repeats * 10, 1e6, "us");
    const pods::Scene cloth = pods::load_scene(scenes + "/cloth_table.json");
    Eigen::MatrixXd lower = Eigen::MatrixXd::Zero(cloth.model.n_p(), cloth.task.horizon);
    for (int t = 0; t < 100; ++t) lower.col(t) << 0, -0.325, -0.3, 0, -0.325, -0.3;
    for (double z : {0.0, zeta})
        bench_contact_row("cloth_table laid on the table (426 DOFs)", cloth.model, lower, z, std::max(3, repeats / 4), 1e3, "ms");
}

// step times of the shipped scenes; actions uniform random in +-fraction x action_limit
// (fraction 0: the passive scene)
void bench_steps(const std::string& scenes, int repeats)
{
    std::printf("| scene | action fraction | free DOFs | solver | median step | Newton it./step | factorisations/step |\n");
    std::printf("|---|---|---|---|---|---|---|\n");
    bench_scene(scenes + "/pendulum_2d_stop.json", repeats * 50, 1e6, "us", 0.5);
    bench_scene(scenes + "/double_pendulum_3d_stop.json", repeats * 10, 1e6, "us", 0.5);
    // ropes and cloth hanging (0), under podsim bench's actions (0.1) and larger ones
    for (double fraction : {0.0, 0.1, 0.5}) bench_scene(scenes + "/rope_3d_stop.json", repeats, 1e6, "us", fraction);
    bench_scene(scenes + "/cloth_32.json", std::max(3, repeats / 4), 1e3, "ms", 0.0);
    bench_scene(scenes + "/cloth_32.json", 3, 1e3, "ms", 0.1);
    for (double fraction : {0.0, 0.1}) bench_scene(scenes + "/cloth_table.json", std::max(3, repeats / 4), 1e3, "ms", fraction);
}

// dense against sparse solves over rope sizes (sets kDenseSolverMaxDofs)
void bench_sizes(int repeats)
{
    std::printf("\n| rope segments | free DOFs | dense step (us) | sparse step (us) | sparse / dense |\n");
    std::printf("|---|---|---|---|---|\n");
    for (int n : {4, 8, 16, 24, 32, 48, 64, 96, 128}) {
        const sim::Model dense = rope(n, sim::LinearSolverChoice::kDense);
        const sim::Model sparse = rope(n, sim::LinearSolverChoice::kSparse);
        const Eigen::MatrixXd actions = pods::random_actions(3, 100, 0.5, 2);
        const Timing td = time_rollouts(dense, sim::nominal_state(dense), actions, repeats);
        const Timing ts = time_rollouts(sparse, sim::nominal_state(sparse), actions, repeats);
        std::printf("| %d | %d | %.2f | %.2f | %.2f |\n", n, dense.n_x(), td.median_step_s * 1e6,
                    ts.median_step_s * 1e6, ts.median_step_s / td.median_step_s);
    }
}

} // namespace

int main(int argc, char** argv)
{
    std::string scenes = "scenes", table = "all", scene;
    double fraction = 0.1;
    int repeats = 21;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--scenes")) scenes = argv[i + 1];
        else if (!std::strcmp(argv[i], "--repeats")) repeats = std::max(1, std::atoi(argv[i + 1]));
        else if (!std::strcmp(argv[i], "--table")) table = argv[i + 1];
        else if (!std::strcmp(argv[i], "--scene")) scene = argv[i + 1];
        else if (!std::strcmp(argv[i], "--fraction")) fraction = std::atof(argv[i + 1]);
    }
    if (!scene.empty()) {
        std::printf("| scene | action fraction | free DOFs | solver | median step | Newton it./step | factorisations/step |\n");
        std::printf("|---|---|---|---|---|---|---|\n");
        bench_scene(scene, std::max(3, repeats / 4), 1e3, "ms", fraction);
        return 0;
    }
    if (table != "all" && table != "steps" && table != "contact" && table != "sizes") {
        std::fprintf(stderr, "bench_step: --table: got \"%s\", must be one of all, steps, contact, sizes\n", table.c_str());
        return 2;
    }
    if (table == "all" || table == "steps") bench_steps(scenes, repeats);
    if (table == "all" || table == "contact") bench_contact(scenes, repeats);
    if (table == "all" || table == "sizes") bench_sizes(repeats);
    return 0;
}
