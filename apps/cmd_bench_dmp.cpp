// `podsim bench-dmp`: median wall time of the batched DMP forward pass and of its vector-Jacobian
// product (random cotangent, gradients with respect to weights and goal), as one JSON line.
#include "apps/commands.hpp"
#include "policy/dmp.hpp"
#include "policy/limits.hpp"
#include "policy/random.hpp"
#include "common/input_error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

namespace podsim::apps {

namespace {

struct BenchDmpOptions {
    int rows = 200;
    int basis = 30;
    int steps = 300;
    int repeats = 21;
    std::string integrator = "euler";
    std::string kernel = "gaussian";
    std::uint64_t seed = 1;
};

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

int run_bench_dmp(const BenchDmpOptions& o)
{
    policy::DmpConfig c;
    c.basis = o.basis;
    c.steps = o.steps;
    c.integrator = policy::integrator_from_string(o.integrator);
    c.kernel = policy::kernel_from_string(o.kernel);
    const std::int64_t stages = policy::dmp_stages(c);
    if (std::int64_t(o.rows) * (stages + 1) > policy::kMaxDmpTrajectoryDoubles)
        throw common::InputError("--rows x (stages + 1) = " + std::to_string(std::int64_t(o.rows) * (stages + 1)) +
                              ", must be <= " + std::to_string(policy::kMaxDmpTrajectoryDoubles) +
                              " (stages = steps for euler, 4 steps for rk4)");
    try {
        policy::validate_dmp_config(c);
    } catch (const std::invalid_argument& e) {
        throw common::InputError(std::string("bench-dmp: ") + e.what());
    }
    const policy::DmpLayer layer(c);

    // seeded random parameters and cotangent
    std::mt19937_64 rng(o.seed);
    policy::DmpParams p;
    p.weights.resize(o.rows, o.basis);
    for (int i = 0; i < o.basis; ++i)
        for (int r = 0; r < o.rows; ++r) p.weights(r, i) = policy::uniform(rng, -100, 100);
    p.goal.resize(o.rows);
    p.y0.resize(o.rows);
    p.yd0.resize(o.rows);
    for (int r = 0; r < o.rows; ++r) {
        p.yd0[r] = 0.0;
        p.goal[r] = policy::uniform(rng, -1, 1);
        p.y0[r] = policy::uniform(rng, -1, 1);
    }
    Eigen::MatrixXd cot(o.rows, o.steps + 1);
    for (int n = 0; n <= o.steps; ++n)
        for (int r = 0; r < o.rows; ++r) cot(r, n) = policy::uniform(rng, -1, 1);

    policy::DmpTrajectory t;
    policy::DmpWorkspace ws;
    policy::DmpGradient g;
    using clock = std::chrono::steady_clock;
    std::vector<double> fwd, bwd;
    double checksum = 0;
    for (int k = 0; k < o.repeats + 1; ++k) {
        const auto t0 = clock::now();
        layer.forward(p, t, ws);
        const auto t1 = clock::now();
        layer.vjp(p, ws, cot, g);
        const auto t2 = clock::now();
        checksum += t.y(o.rows - 1, o.steps) + g.goal[0] + g.weights(0, 0);
        if (k == 0) continue; // warm-up
        fwd.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        bwd.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
    nlohmann::json j;
    j["rows"] = o.rows;
    j["basis"] = o.basis;
    j["steps"] = o.steps;
    j["integrator"] = o.integrator;
    j["kernel"] = o.kernel;
    j["repeats"] = o.repeats;
    j["forward_ms"] = median(fwd);
    j["backward_ms"] = median(bwd);
    j["checksum"] = checksum;
    std::printf("%s\n", j.dump().c_str());
    return 0;
}

} // namespace

void add_bench_dmp_command(CLI::App& app, int& exit_code)
{
    auto o = std::make_shared<BenchDmpOptions>();
    CLI::App* cmd = app.add_subcommand("bench-dmp", "Time the batched DMP forward pass and its VJP (one JSON line)");
    cmd->add_option("--rows", o->rows, "Number of one-dimensional DMPs (default 200)")
        ->check(CLI::Range(1, policy::kMaxDmpRows));
    cmd->add_option("--basis", o->basis, "Basis functions (default 30)")->check(CLI::Range(2, policy::kMaxDmpBasis));
    cmd->add_option("--steps", o->steps, "Integration steps (default 300)")->check(CLI::Range(1, policy::kMaxDmpSteps));
    cmd->add_option("--repeats", o->repeats, "Timed repetitions (default 21, median reported)")
        ->check(CLI::Range(1, 100000));
    cmd->add_option("--integrator", o->integrator, "euler or rk4")->check(CLI::IsMember({"euler", "rk4"}));
    cmd->add_option("--kernel", o->kernel, "Kernel")
        ->check(CLI::IsMember({"gaussian", "linear", "multiquadric", "inverse_quadric", "inverse_multiquadric"}));
    cmd->add_option("--seed", o->seed, "Seed of the random parameters");
    cmd->callback([o, &exit_code] { exit_code = run_bench_dmp(*o); });
}

} // namespace podsim::apps
