// Tests of pods/hndp/trajectory_loss.hpp: plan positions are the NDP head's DMP positions, the
// behaviour-cloning and pull losses' gradients against central differences (NDP heads with and
// without handle velocity, the plain MLP trajectory head), the chunked sum equals the plain one
// and does not depend on the thread count.
#include "pods/hndp/trajectory_loss.hpp"

#include "policy/mlp_policy.hpp"
#include "policy/ndp.hpp"
#include "tests/fd.hpp"

#include <doctest/doctest.h>

#include <omp.h>

using namespace podsim::pods::hndp;
using namespace podsim;
using podsim::test::check_close;

namespace {

constexpr int kSteps = 6;
constexpr double kH = 1.0 / kSteps;

policy::NdpPolicy small_ndp(int n_obs, std::uint64_t seed)
{
    policy::NdpConfig c;
    c.n_obs = n_obs;
    c.n_act = 2;
    c.horizon = kSteps;
    c.substeps = 3;
    c.dt = kH;
    c.basis = 5;
    c.network.hidden = {7};
    c.network.last_layer_scale = 1.0; // O(1) outputs: every gradient path matters
    return policy::NdpPolicy(c, seed);
}

Eigen::MatrixXd random_matrix(std::mt19937_64& rng, int rows, int cols, double lo = -1, double hi = 1)
{
    Eigen::MatrixXd m(rows, cols);
    for (int j = 0; j < cols; ++j) m.col(j) = podsim::test::random_vector(rng, rows, lo, hi);
    return m;
}

// a batch whose start is the handle position the NDP head reads (obs rows 0, 1)
TrajectoryBatch random_batch(std::mt19937_64& rng, int n_obs, int batch, bool velocity)
{
    TrajectoryBatch b;
    b.obs = random_matrix(rng, n_obs, batch);
    if (velocity) b.handle_velocity = random_matrix(rng, 2, batch);
    b.start = b.obs.topRows(2);
    b.target = random_matrix(rng, 2 * (kSteps + 1), batch);
    b.weight = podsim::test::random_vector(rng, batch, 0.2, 1.5);
    return b;
}

// the gradient against central differences: a directional check and every tenth coordinate
int check_gradient(policy::Policy& p,
                   const std::function<double(const policy::Policy&, Eigen::VectorXd*)>& loss)
{
    Eigen::VectorXd g = Eigen::VectorXd::Constant(p.n_params(), 1e300); // marker: every slot written
    const Eigen::VectorXd theta = p.parameters();
    const double value = loss(p, &g);
    CHECK(value > 0);
    CHECK(g.allFinite());
    CHECK(g.norm() > 1e-6);
    CHECK(p.parameters() == theta); // the gradient does not touch the parameters
    auto f = [&](const Eigen::VectorXd& x) {
        p.set_parameters(x);
        const double v = loss(p, nullptr);
        p.set_parameters(theta);
        return v;
    };
    std::mt19937_64 rng(17);
    const Eigen::VectorXd u = podsim::test::random_direction(rng, p.n_params());
    const double eps = 1e-6;
    const double fd = (f(theta + eps * u) - f(theta - eps * u)) / (2 * eps);
    CHECK(podsim::test::close(g.dot(u), fd, 1e-6));
    int checks = 1;
    const Eigen::VectorXd fd_full = podsim::test::fd_gradient(f, theta);
    check_close(g, fd_full, 1e-6);
    return checks + int(theta.size());
}

} // namespace

TEST_CASE("hndp: plan positions are the NDP head's DMP positions at the environment steps")
{
    std::mt19937_64 rng(1);
    const policy::NdpPolicy p = small_ndp(4, 3);
    const TrajectoryBatch b = random_batch(rng, 4, 3, true);
    auto ws = p.make_workspace();
    Eigen::MatrixXd actions;
    p.act(b.obs, b.handle_velocity, actions, *ws);
    const Eigen::MatrixXd y = plan_positions(actions, b.start, kH);
    const policy::DmpTrajectory& t = p.last_trajectory(*ws);
    REQUIRE(y.rows() == 2 * (kSteps + 1));
    for (int s = 0; s < 3; ++s)
        for (int j = 0; j <= kSteps; ++j)
            for (int d = 0; d < 2; ++d) CHECK(y(2 * j + d, s) == doctest::Approx(t.y(s * 2 + d, j * 3)).epsilon(1e-12));
}

TEST_CASE("hndp: behaviour-cloning loss gradient matches central differences")
{
    std::mt19937_64 rng(2);
    int checks = 0;
    for (bool velocity : {false, true}) {
        policy::NdpPolicy global = small_ndp(9, 5);
        const TrajectoryBatch b = random_batch(rng, 9, 5, velocity);
        std::vector<std::unique_ptr<policy::PolicyWorkspace>> ws;
        checks += check_gradient(global, [&](const policy::Policy& p, Eigen::VectorXd* g) {
            return behaviour_cloning_loss(p, ws, b, kH, g);
        });
    }
    CHECK(checks > 100);
}

TEST_CASE("hndp: pull loss gradient matches central differences, alpha weights and zero alpha")
{
    std::mt19937_64 rng(3);
    policy::NdpPolicy local = small_ndp(5, 7);
    TrajectoryBatch b = random_batch(rng, 5, 4, true);
    auto ws = local.make_workspace();
    const int checks = check_gradient(local, [&](const policy::Policy& p, Eigen::VectorXd* g) {
        return pull_loss(p, *ws, b, kH, g);
    });
    CHECK(checks > 50);

    // the value is linear in the weights: alpha = 0 switches a sample off exactly
    Eigen::VectorXd g_all, g_one;
    const double all = pull_loss(local, *ws, b, kH, &g_all);
    TrajectoryBatch single = b;
    single.weight.setZero();
    single.weight[2] = b.weight[2];
    const double one = pull_loss(local, *ws, single, kH, &g_one);
    CHECK(one > 0);
    CHECK(one < all);
    single.weight.setZero();
    Eigen::VectorXd g_zero;
    CHECK(pull_loss(local, *ws, single, kH, &g_zero) == 0);
    CHECK(g_zero.norm() == 0);
}

TEST_CASE("hndp: trajectory loss of the plain MLP trajectory head matches central differences")
{
    std::mt19937_64 rng(4);
    policy::MlpConfig m;
    m.n_in = 6;
    m.n_out = 2 * kSteps;
    m.hidden = {5};
    m.output_limit = 3;
    m.last_layer_scale = 1;
    policy::MlpPolicy mlp(m, 11);
    const TrajectoryBatch b = random_batch(rng, 6, 4, false);
    auto ws = mlp.make_workspace();
    const int checks = check_gradient(mlp, [&](const policy::Policy& p, Eigen::VectorXd* g) {
        return trajectory_loss(p, *ws, b, kH, g);
    });
    CHECK(checks > 50);
}

TEST_CASE("hndp: the chunked loss equals the plain sum and does not depend on the thread count")
{
    std::mt19937_64 rng(5);
    const policy::NdpPolicy p = small_ndp(8, 9);
    const TrajectoryBatch b = random_batch(rng, 8, 37, true);
    auto ws = p.make_workspace();
    Eigen::VectorXd g_plain;
    Eigen::MatrixXd y_plain;
    const double plain = trajectory_loss(p, *ws, b, kH, &g_plain, &y_plain);

    const int previous = omp_get_max_threads();
    std::vector<Eigen::VectorXd> grads;
    std::vector<double> values;
    for (int threads : {1, 2, 3}) {
        omp_set_num_threads(threads);
        std::vector<std::unique_ptr<policy::PolicyWorkspace>> chunk_ws;
        Eigen::VectorXd g;
        Eigen::MatrixXd y;
        values.push_back(trajectory_loss_chunked(p, chunk_ws, b, kH, &g, &y, 8));
        grads.push_back(g);
        CHECK(chunk_ws.size() == 5);
        check_close(y, y_plain, 1e-13);
    }
    omp_set_num_threads(previous);
    CHECK(values[0] == doctest::Approx(plain).epsilon(1e-12));
    check_close(grads[0], g_plain, 1e-12);
    for (std::size_t i = 1; i < values.size(); ++i) {
        CHECK(values[i] == values[0]);
        CHECK(grads[i] == grads[0]);
    }
}

TEST_CASE("hndp: trajectory loss rejects mismatched shapes")
{
    std::mt19937_64 rng(6);
    const policy::NdpPolicy p = small_ndp(4, 1);
    TrajectoryBatch b = random_batch(rng, 4, 2, false);
    auto ws = p.make_workspace();
    b.target.conservativeResize(b.target.rows() - 2, Eigen::NoChange);
    CHECK_THROWS_AS(trajectory_loss(p, *ws, b, kH, nullptr), std::invalid_argument);
}
