// Tests of policy/mlp_policy.hpp: the Policy interface of the MLP head.
#include "policy/mlp_policy.hpp"

#include "tests/fd.hpp"

#include <doctest/doctest.h>

using namespace podsim::policy;

namespace {

// the head both tests use: 6 inputs, 2 outputs within +-0.5, hidden 8-8
MlpConfig small_head()
{
    MlpConfig c;
    c.n_in = 6;
    c.n_out = 2;
    c.hidden = {8, 8};
    c.output_limit = 0.5;
    c.last_layer_scale = 3.0;
    return c;
}

} // namespace

TEST_CASE("policy: mlp head acts within the action limit and its vjps match central differences")
{
    MlpConfig c = small_head();
    c.input_scale = Eigen::VectorXd::LinSpaced(6, 0.5, 3.0);
    MlpPolicy pi(c, 12);
    CHECK(pi.type() == "mlp");
    CHECK(pi.horizon() == 1);
    std::mt19937_64 rng(6);
    Eigen::MatrixXd obs(6, 7);
    for (int j = 0; j < 7; ++j) obs.col(j) = podsim::test::random_vector(rng, 6, -2, 2);
    auto ws = pi.make_workspace();
    Eigen::MatrixXd a, d_obs, d_hv;
    pi.act(obs, Eigen::MatrixXd(), a, *ws);
    CHECK(a.cwiseAbs().maxCoeff() <= 0.5);
    Eigen::MatrixXd cot(2, 7);
    for (int j = 0; j < 7; ++j) cot.col(j) = podsim::test::random_vector(rng, 2);
    Eigen::VectorXd d_params;
    pi.vjp(*ws, cot, d_params, &d_obs, &d_hv);
    CHECK(d_hv.rows() == 2);
    CHECK(d_hv.norm() == 0);
    REQUIRE(d_obs.norm() > 1e-3);
    auto loss_obs = [&](const Eigen::VectorXd& o) {
        auto w = pi.make_workspace();
        Eigen::MatrixXd out;
        pi.act(Eigen::Map<const Eigen::MatrixXd>(o.data(), 6, 7), Eigen::MatrixXd(), out, *w);
        return (out.array() * cot.array()).sum();
    };
    podsim::test::check_close(
        Eigen::Map<const Eigen::VectorXd>(d_obs.data(), d_obs.size()),
        podsim::test::fd_gradient(loss_obs, Eigen::Map<const Eigen::VectorXd>(obs.data(), obs.size()), 1e-6), 1e-6);

    // clones are independent
    auto copy = pi.clone();
    Eigen::VectorXd p = copy->parameters();
    p.setZero();
    copy->set_parameters(p);
    CHECK(pi.parameters().norm() > 0);
    CHECK_THROWS_AS(pi.vjp(*ws, Eigen::MatrixXd::Zero(2, 3), d_params, nullptr, nullptr), std::invalid_argument);
}

TEST_CASE("policy: mlp head's tape workspaces share one vjp scratch and give a plain workspace's bits, written or accumulated")
{
    const MlpConfig c = small_head();
    MlpPolicy pi(c, 13);
    std::mt19937_64 rng(8);
    const int decisions = 3, batch = 5;
    std::vector<Eigen::MatrixXd> obs, cot;
    for (int j = 0; j < decisions; ++j) {
        obs.emplace_back(6, batch);
        cot.emplace_back(2, batch);
        for (int b = 0; b < batch; ++b) {
            obs.back().col(b) = podsim::test::random_vector(rng, 6, -2, 2);
            cot.back().col(b) = podsim::test::random_vector(rng, 2);
        }
    }
    // every decision acts first, then the vjps run in reverse, as a reverse pass does
    auto scratch = pi.make_workspace();
    std::vector<std::unique_ptr<PolicyWorkspace>> tape, plain;
    Eigen::MatrixXd a;
    for (int j = 0; j < decisions; ++j) {
        tape.push_back(pi.make_tape_workspace(*scratch));
        plain.push_back(pi.make_workspace());
        pi.act(obs[std::size_t(j)], Eigen::MatrixXd(), a, *tape.back());
        pi.act(obs[std::size_t(j)], Eigen::MatrixXd(), a, *plain.back());
    }
    Eigen::VectorXd sum_tape = Eigen::VectorXd::Zero(pi.n_params()), sum_plain = sum_tape, step;
    Eigen::MatrixXd d_obs_tape, d_obs_plain;
    int checks = 0;
    for (int j = decisions - 1; j >= 0; --j) {
        pi.vjp(*tape[std::size_t(j)], cot[std::size_t(j)], sum_tape, &d_obs_tape, nullptr, true);
        pi.vjp(*plain[std::size_t(j)], cot[std::size_t(j)], step, &d_obs_plain, nullptr);
        REQUIRE(step.norm() > 1e-3);
        sum_plain += step;
        CHECK(d_obs_tape == d_obs_plain);
        CHECK(sum_tape == sum_plain);
        ++checks;
    }
    CHECK(checks == decisions);
    // accumulating needs a gradient of the right size
    Eigen::VectorXd wrong(3);
    CHECK_THROWS_AS(pi.vjp(*tape[0], cot[0], wrong, nullptr, nullptr, true), std::invalid_argument);
}
