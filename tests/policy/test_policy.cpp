// Tests of the Policy interface (policy/policy.hpp) as PODS and BPTT use it: the gradient of a
// regression loss through either head passes the directional check (single-threaded), and Adam on
// that loss fits realisable targets.
#include "policy/adam.hpp"
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

TEST_CASE("policy: Adam on the regression loss fits realisable targets with either head")
{
    MlpConfig mc;
    mc.n_in = 4;
    mc.n_out = 2;
    mc.hidden = {32, 32};
    mc.output_limit = 1.0;
    NdpConfig nc;
    nc.n_obs = 4;
    nc.n_act = 2;
    nc.horizon = 3;
    nc.basis = 5;
    nc.network.hidden = {32, 32};
    for (int head = 0; head < 2; ++head) {
        // a teacher of the same family makes the targets realisable
        std::unique_ptr<Policy> student, teacher;
        if (head == 0) {
            student = std::make_unique<MlpPolicy>(mc, 1);
            MlpConfig tc = mc;
            tc.last_layer_scale = 1.0;
            teacher = std::make_unique<MlpPolicy>(tc, 2);
        } else {
            student = std::make_unique<NdpPolicy>(nc, 1);
            NdpConfig tc = nc;
            tc.network.last_layer_scale = 0.5;
            teacher = std::make_unique<NdpPolicy>(tc, 2);
        }
        CAPTURE(student->type());
        std::mt19937_64 rng(3);
        const int batch = 32;
        Eigen::MatrixXd obs(4, batch), hv = Eigen::MatrixXd::Zero(2, batch), target;
        for (int b = 0; b < batch; ++b) obs.col(b) = podsim::test::random_vector(rng, 4);
        auto tws = teacher->make_workspace();
        teacher->act(obs, hv, target, *tws);
        REQUIRE(target.norm() > 1e-2);

        AdamConfig ac;
        ac.lr = 3e-3;
        Adam adam(ac, student->n_params());
        Eigen::VectorXd theta = student->parameters(), grad;
        const double initial = regression_loss(*student, obs, hv, target, nullptr);
        for (int it = 0; it < 300; ++it) {
            regression_loss(*student, obs, hv, target, &grad);
            adam.step(theta, grad);
            student->set_parameters(theta);
        }
        const double final_loss = regression_loss(*student, obs, hv, target, nullptr);
        INFO("initial " << initial << " final " << final_loss);
        CHECK(final_loss < 0.05 * initial);
    }
}
