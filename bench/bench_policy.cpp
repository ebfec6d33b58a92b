// Policy micro-benchmarks: MLP forward / backward throughput for a minibatch, the DMP
// layer forward / VJP / forward Jacobian, and the NDP head act / VJP. One JSON line per case,
// median wall time over the repetitions.
#include "policy/dmp.hpp"
#include "policy/mlp.hpp"
#include "policy/ndp.hpp"
#include "policy/random.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace podsim::policy;

namespace {

double median_ms(int repeats, const std::function<void()>& f)
{
    f(); // warm-up (workspaces sized)
    std::vector<double> t;
    for (int i = 0; i < repeats; ++i) {
        const auto a = std::chrono::steady_clock::now();
        f();
        t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

Eigen::MatrixXd random_matrix(std::mt19937_64& rng, int rows, int cols, double lo, double hi)
{
    Eigen::MatrixXd m(rows, cols);
    for (int j = 0; j < cols; ++j)
        for (int i = 0; i < rows; ++i) m(i, j) = uniform(rng, lo, hi);
    return m;
}

void bench_mlp(int batch, int inputs, int repeats)
{
    MlpConfig c;
    c.n_in = inputs;
    c.n_out = 2;
    c.output_limit = 2.0;
    const Mlp net(c, 1);
    std::mt19937_64 rng(2);
    const Eigen::MatrixXd x = random_matrix(rng, inputs, batch, -1, 1), cot = random_matrix(rng, 2, batch, -1, 1);
    MlpWorkspace ws;
    Eigen::MatrixXd y, dx;
    Eigen::VectorXd dp;
    const double fwd = median_ms(repeats, [&] { net.forward(x, y, ws); });
    const double bwd = median_ms(repeats, [&] { net.backward(ws, cot, dp, &dx); });
    nlohmann::json j = {{"case", "mlp"}, {"batch", batch}, {"inputs", inputs}, {"hidden", c.hidden},
                        {"params", net.n_params()}, {"forward_ms", fwd}, {"backward_ms", bwd},
                        {"forward_samples_per_s", batch / (fwd * 1e-3)}, {"backward_samples_per_s", batch / (bwd * 1e-3)}};
    std::printf("%s\n", j.dump().c_str());
}

void bench_dmp(int rows, int basis, int steps, Integrator integ, int repeats)
{
    DmpConfig c;
    c.basis = basis;
    c.steps = steps;
    c.integrator = integ;
    const DmpLayer layer(c);
    std::mt19937_64 rng(3);
    DmpParams p;
    p.weights = random_matrix(rng, rows, basis, -100, 100);
    p.goal = random_matrix(rng, rows, 1, -1, 1);
    p.y0 = random_matrix(rng, rows, 1, -1, 1);
    p.yd0 = Eigen::VectorXd::Zero(rows);
    const Eigen::MatrixXd cot = random_matrix(rng, rows, steps + 1, -1, 1);
    DmpTrajectory t;
    DmpWorkspace ws;
    DmpGradient g;
    std::vector<Eigen::MatrixXd> jac;
    const double fwd = median_ms(repeats, [&] { layer.forward(p, t, ws); });
    const double bwd = median_ms(repeats, [&] { layer.vjp(p, ws, cot, g); });
    const double jf = median_ms(std::max(3, repeats / 10), [&] { layer.jacobian(p, jac); });
    nlohmann::json j = {{"case", "dmp"}, {"rows", rows}, {"basis", basis}, {"steps", steps},
                        {"integrator", to_string(integ)}, {"forward_ms", fwd}, {"backward_ms", bwd},
                        {"jacobian_ms", jf}};
    std::printf("%s\n", j.dump().c_str());
}

void bench_ndp(int batch, int repeats)
{
    NdpConfig c;
    c.n_obs = 12;
    c.n_act = 2;
    c.horizon = 5;
    c.substeps = 4;
    c.dt = 0.01;
    c.basis = 10;
    const NdpPolicy pi(c, 4);
    std::mt19937_64 rng(5);
    const Eigen::MatrixXd obs = random_matrix(rng, 12, batch, -1, 1), hv = random_matrix(rng, 2, batch, -1, 1);
    const Eigen::MatrixXd cot = random_matrix(rng, 10, batch, -1, 1);
    auto ws = pi.make_workspace();
    Eigen::MatrixXd a, d_obs, d_hv;
    Eigen::VectorXd dp;
    const double fwd = median_ms(repeats, [&] { pi.act(obs, hv, a, *ws); });
    const double bwd = median_ms(repeats, [&] { pi.vjp(*ws, cot, dp, &d_obs, &d_hv); });
    nlohmann::json j = {{"case", "ndp"}, {"batch", batch}, {"horizon", c.horizon}, {"substeps", c.substeps},
                        {"basis", c.basis}, {"act_ms", fwd}, {"vjp_ms", bwd}};
    std::printf("%s\n", j.dump().c_str());
}

} // namespace

int main(int argc, char** argv)
{
    const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 51;
    bench_mlp(4096, 12, repeats);
    bench_mlp(4096, 64, repeats);
    bench_dmp(200, 30, 300, Integrator::EULER, repeats);
    bench_dmp(200, 30, 300, Integrator::RK4, repeats);
    bench_dmp(4096, 10, 20, Integrator::EULER, repeats);
    bench_ndp(4096, repeats);
    return 0;
}
