// Tests of the Policy interface (policy/policy.hpp) as PODS and BPTT use it: the gradient of a
// regression loss through either head passes the directional check, single-threaded.
#include "policy/mlp_policy.hpp"
#include "policy/ndp.hpp"

#include "tests/fd.hpp"

#include <doctest/doctest.h>

#include <memory>

using namespace podsim::policy;

namespace {

// L(theta) = 1/(2B) sum_b |pi(o_b) - a*_b|^2 and its gradient via vjp with cotangent (pi - a*) / B
double regression_loss(const Policy& pi, const Eigen::MatrixXd& obs, const Eigen::MatrixXd& hv,
                       const Eigen::MatrixXd& target, Eigen::VectorXd* grad)
{
    auto ws = pi.make_workspace();
    Eigen::MatrixXd a;
    pi.act(obs, hv, a, *ws);
    const Eigen::MatrixXd r = a - target;
    const double b = double(obs.cols());
    if (grad != nullptr) pi.vjp(*ws, r / b, *grad, nullptr, nullptr);
    return 0.5 * r.squaredNorm() / b;
}

} // namespace

TEST_CASE("policy: regression loss gradients of both heads pass the directional check")
{
    MlpConfig mc;
    mc.n_in = 6;
    mc.n_out = 2;
    mc.output_limit = 2.0;
    mc.last_layer_scale = 1.0;
    NdpConfig nc;
    nc.n_obs = 6;
    nc.n_act = 2;
    nc.network.hidden = {32, 32};
    nc.network.last_layer_scale = 1.0;
    nc.learn_alpha = true;
    std::vector<std::unique_ptr<Policy>> heads;
    heads.push_back(std::make_unique<MlpPolicy>(mc, 1));
    heads.push_back(std::make_unique<NdpPolicy>(nc, 2));
    int checks = 0;
    for (const auto& pi : heads) {
        CAPTURE(pi->type());
        std::mt19937_64 rng(10 + checks);
        const int batch = 16;
        Eigen::MatrixXd obs(6, batch), hv(2, batch), target(pi->horizon() * 2, batch);
        for (int b = 0; b < batch; ++b) {
            obs.col(b) = podsim::test::random_vector(rng, 6);
            hv.col(b) = podsim::test::random_vector(rng, 2);
            target.col(b) = podsim::test::random_vector(rng, target.rows());
        }
        Eigen::VectorXd grad;
        regression_loss(*pi, obs, hv, target, &grad);
        REQUIRE(grad.norm() > 1e-3);
        const Eigen::VectorXd theta = pi->parameters();
        for (int trial = 0; trial < 3; ++trial) {
            const Eigen::VectorXd u = podsim::test::random_direction(rng, theta.size());
            const double eps = 1e-6;
            auto copy = pi->clone();
            copy->set_parameters(theta + eps * u);
            const double lp = regression_loss(*copy, obs, hv, target, nullptr);
            copy->set_parameters(theta - eps * u);
            const double lm = regression_loss(*copy, obs, hv, target, nullptr);
            const double fd = (lp - lm) / (2 * eps);
            CHECK(podsim::test::close(grad.dot(u), fd, 1e-7));
            ++checks;
        }
        CHECK(pi->parameters() == theta);
    }
    CHECK(checks == 6);
}
