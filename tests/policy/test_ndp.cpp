// Tests of policy/ndp.hpp: actions are the velocities of an independent DMP rollout, the initial
// plan is near zero, every VJP (parameters, observation, handle velocity) against central
// differences for all ablation switches, the learned-alpha range and the warnings.
#include "policy/ndp.hpp"

#include "tests/fd.hpp"

#include <doctest/doctest.h>

#include <limits>

using namespace podsim::policy;
using podsim::test::check_close;

namespace {

NdpConfig small_config()
{
    NdpConfig c;
    c.n_obs = 5;
    c.n_act = 2;
    c.horizon = 3;
    c.substeps = 5;
    c.dt = 0.02;
    c.basis = 4;
    c.handle_offset = 1;
    c.handle_scale = 2.0;
    c.network.hidden = {6};
    c.network.last_layer_scale = 1.0; // O(1) outputs, so every gradient path is exercised
    return c;
}

Eigen::MatrixXd random_matrix(std::mt19937_64& rng, int rows, int cols, double lo = -1, double hi = 1)
{
    Eigen::MatrixXd m(rows, cols);
    for (int j = 0; j < cols; ++j) m.col(j) = podsim::test::random_vector(rng, rows, lo, hi);
    return m;
}

} // namespace

TEST_CASE("policy: ndp actions are the handle velocities of the DMP rollout")
{
    const NdpConfig c = small_config();
    const NdpPolicy pi(c, 3);
    CHECK(pi.n_network_outputs() == 2 * (4 + 1));
    CHECK(pi.horizon() == 3);
    std::mt19937_64 rng(1);
    const Eigen::MatrixXd obs = random_matrix(rng, 5, 4), hv = random_matrix(rng, 2, 4);
    Eigen::MatrixXd actions;
    auto ws = pi.make_workspace();
    pi.act(obs, hv, actions, *ws);
    REQUIRE(actions.rows() == 3 * 2);
    REQUIRE(actions.cols() == 4);

    // independent rollout of each (sample, dimension) from the raw network output
    Eigen::MatrixXd out;
    MlpWorkspace mws;
    pi.network().forward(obs, out, mws);
    const DmpLayer layer(ndp_dmp_config(c));
    const double tau = c.horizon * c.dt;
    for (int b = 0; b < 4; ++b)
        for (int d = 0; d < 2; ++d) {
            DmpParams p;
            p.y0 = Eigen::VectorXd::Constant(1, obs(1 + d, b) / 2.0);
            p.yd0 = Eigen::VectorXd::Constant(1, hv(d, b));
            p.goal = Eigen::VectorXd::Constant(1, p.y0[0] + tau * out(d * 5 + 4, b));
            p.weights = (c.alpha * c.beta * tau) * out.block(d * 5, b, 4, 1).transpose();
            DmpTrajectory t;
            DmpWorkspace dws;
            layer.forward(p, t, dws);
            for (int j = 0; j < 3; ++j)
                CHECK(actions(j * 2 + d, b) == doctest::Approx((t.y(0, (j + 1) * 5) - t.y(0, j * 5)) / c.dt).epsilon(1e-13));
        }
    // the first action starts from the given handle velocity (the plan is smooth)
    CHECK((actions.topRows(2) - hv).cwiseAbs().maxCoeff() < 5.0);
}

TEST_CASE("policy: the initial ndp plan is close to zero like the mlp head")
{
    NdpConfig c = small_config();
    c.network.last_layer_scale = 0.01;
    c.network.hidden = {64, 64};
    const NdpPolicy pi(c, 5);
    std::mt19937_64 rng(2);
    Eigen::MatrixXd actions;
    auto ws = pi.make_workspace();
    pi.act(random_matrix(rng, 5, 16), Eigen::MatrixXd(), actions, *ws);
    CHECK(actions.cwiseAbs().maxCoeff() < 0.1);
    CHECK(actions.cwiseAbs().maxCoeff() > 0);
}

TEST_CASE("policy: ndp vjps match central differences for every ablation switch")
{
    int checks = 0;
    std::mt19937_64 rng(21);
    for (Integrator integ : {Integrator::EULER, Integrator::RK4})
        for (Scaling sc : {Scaling::GOAL, Scaling::NONE, Scaling::AMPLITUDE})
            for (bool only_g : {false, true})
                for (bool learn_alpha : {false, true}) {
                    CAPTURE(to_string(integ));
                    CAPTURE(to_string(sc));
                    CAPTURE(only_g);
                    CAPTURE(learn_alpha);
                    NdpConfig c = small_config();
                    c.integrator = integ;
                    c.scaling = sc;
                    c.amplitude = 0.7;
                    c.only_g = only_g;
                    c.learn_alpha = learn_alpha;
                    const NdpPolicy pi(c, 40 + checks);
                    const int batch = 3;
                    const Eigen::MatrixXd obs = random_matrix(rng, 5, batch), hv = random_matrix(rng, 2, batch);
                    const Eigen::MatrixXd cot = random_matrix(rng, 6, batch);
                    auto ws = pi.make_workspace();
                    // marker values: every output slot must be written
                    const double nan = std::numeric_limits<double>::quiet_NaN();
                    Eigen::MatrixXd actions = Eigen::MatrixXd::Constant(6, batch, nan);
                    Eigen::MatrixXd d_obs = Eigen::MatrixXd::Constant(5, batch, nan);
                    Eigen::MatrixXd d_hv = Eigen::MatrixXd::Constant(2, batch, nan);
                    Eigen::VectorXd d_params = Eigen::VectorXd::Constant(pi.n_params(), nan);
                    pi.act(obs, hv, actions, *ws);
                    REQUIRE(actions.allFinite());
                    const Eigen::VectorXd theta = pi.parameters();
                    pi.vjp(*ws, cot, d_params, &d_obs, &d_hv);
                    REQUIRE((d_params.allFinite() && d_obs.allFinite() && d_hv.allFinite()));
                    CHECK(pi.parameters() == theta);
                    REQUIRE(d_params.norm() > 1e-3);
                    REQUIRE(d_obs.norm() > 1e-3);
                    REQUIRE(d_hv.norm() > 1e-3);

                    auto loss = [&](const NdpPolicy& p, const Eigen::MatrixXd& o, const Eigen::MatrixXd& v) {
                        auto w = p.make_workspace();
                        Eigen::MatrixXd a;
                        p.act(o, v, a, *w);
                        return (a.array() * cot.array()).sum();
                    };
                    auto loss_theta = [&](const Eigen::VectorXd& t) {
                        NdpPolicy copy = pi;
                        copy.set_parameters(t);
                        return loss(copy, obs, hv);
                    };
                    check_close(d_params, podsim::test::fd_gradient(loss_theta, theta, 1e-6), 1e-6);
                    auto loss_obs = [&](const Eigen::VectorXd& o) {
                        return loss(pi, Eigen::Map<const Eigen::MatrixXd>(o.data(), 5, batch), hv);
                    };
                    check_close(Eigen::Map<const Eigen::VectorXd>(d_obs.data(), d_obs.size()),
                                podsim::test::fd_gradient(loss_obs, Eigen::Map<const Eigen::VectorXd>(obs.data(), obs.size()), 1e-6),
                                1e-6);
                    auto loss_hv = [&](const Eigen::VectorXd& v) {
                        return loss(pi, obs, Eigen::Map<const Eigen::MatrixXd>(v.data(), 2, batch));
                    };
                    check_close(Eigen::Map<const Eigen::VectorXd>(d_hv.data(), d_hv.size()),
                                podsim::test::fd_gradient(loss_hv, Eigen::Map<const Eigen::VectorXd>(hv.data(), hv.size()), 1e-6),
                                1e-6);
                    checks += 1;
                }
    CHECK(checks == 2 * 3 * 2 * 2);
}

TEST_CASE("policy: ndp only-g ignores the weight outputs and learned alpha stays in the stable range")
{
    NdpConfig c = small_config();
    c.only_g = true;
    c.learn_alpha = true;
    c.substeps = 2; // Euler: 2 k substeps = 12 caps alpha_max = 50
    const NdpPolicy pi(c, 9);
    CHECK(pi.alpha_low() == 5);
    CHECK(pi.alpha_high() == 12);
    std::mt19937_64 rng(4);
    const Eigen::MatrixXd obs = random_matrix(rng, 5, 2);
    Eigen::MatrixXd a, d_obs;
    Eigen::VectorXd g;
    auto ws = pi.make_workspace();
    pi.act(obs, Eigen::MatrixXd(), a, *ws);
    const DmpTrajectory& t = pi.last_trajectory(*ws);
    CHECK(t.y.rows() == 4);
    pi.vjp(*ws, Eigen::MatrixXd::Ones(a.rows(), a.cols()), g, &d_obs, nullptr);
    // gradient rows of the last-layer weights that produce w are exactly zero
    const int n_out = pi.n_network_outputs(), hidden = 6;
    const int w_offset = g.size() - (n_out * hidden + n_out);
    for (int d = 0; d < 2; ++d)
        for (int i = 0; i < 4; ++i)
            for (int col = 0; col < hidden; ++col) CHECK(g[w_offset + col * n_out + d * 5 + i] == 0);
    CHECK(g.norm() > 0);

    NdpConfig bad = small_config();
    bad.handle_offset = 4; // handles 4, 5 do not fit into 5 observations
    CHECK_THROWS_AS(NdpPolicy(bad, 1), std::invalid_argument);
}

TEST_CASE("policy: ndp warns about unstable euler settings")
{
    NdpConfig c = small_config();
    c.horizon = 5;
    c.substeps = 1; // 5 steps < alpha / 2
    CHECK(ndp_warnings(c).size() == 1);
    c.substeps = 4;
    CHECK(ndp_warnings(c).empty());
    c.substeps = 1;
    c.integrator = Integrator::RK4;
    CHECK(ndp_warnings(c).empty());
}
