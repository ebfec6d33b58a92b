// Tests of policy/policy_io.hpp: exact JSON round trips of both heads and of Adam, and one-line
// errors for bad policy files.
#include "policy/policy_io.hpp"

#include "policy/mlp_policy.hpp"
#include "policy/ndp.hpp"
#include "common/input_error.hpp"
#include "tests/fd.hpp"

#include <doctest/doctest.h>

using namespace podsim::policy;

namespace {

std::unique_ptr<Policy> round_trip(const Policy& p)
{
    const nlohmann::json text = nlohmann::json::parse(policy_to_json(p).dump());
    return policy_from_json(podsim::common::JsonNode(text, "p.json"));
}

std::string error_of(const nlohmann::json& j)
{
    try {
        policy_from_json(podsim::common::JsonNode(j, "p.json"));
    } catch (const podsim::common::InputError& e) {
        return e.what();
    }
    return "";
}

void check_same_actions(const Policy& a, const Policy& b)
{
    std::mt19937_64 rng(1);
    Eigen::MatrixXd obs(a.n_obs(), 5), hv(a.n_act(), 5);
    for (int j = 0; j < 5; ++j) {
        obs.col(j) = podsim::test::random_vector(rng, a.n_obs());
        hv.col(j) = podsim::test::random_vector(rng, a.n_act());
    }
    Eigen::MatrixXd xa, xb;
    auto wa = a.make_workspace();
    auto wb = b.make_workspace();
    a.act(obs, hv, xa, *wa);
    b.act(obs, hv, xb, *wb);
    CHECK(xa == xb);
}

} // namespace

TEST_CASE("policy: mlp and ndp policies round-trip through JSON exactly")
{
    MlpConfig c;
    c.n_in = 4;
    c.n_out = 2;
    c.hidden = {7, 3};
    c.activations = {Activation::RELU, Activation::ELU};
    c.output_limit = 1.5;
    c.input_scale = Eigen::Vector4d(0.1, 1.0 / 3.0, 7, 1e-3);
    const MlpPolicy mlp(c, 4);
    const auto mlp2 = round_trip(mlp);
    CHECK(mlp2->type() == "mlp");
    CHECK(mlp2->parameters() == mlp.parameters());
    CHECK(policy_to_json(*mlp2) == policy_to_json(mlp));
    check_same_actions(mlp, *mlp2);

    NdpConfig n;
    n.n_obs = 6;
    n.n_act = 2;
    n.dt = 0.01;
    n.learn_alpha = true;
    n.scaling = Scaling::AMPLITUDE;
    n.amplitude = 0.3;
    n.kernel = Kernel::INVERSE_QUADRIC;
    n.network.hidden = {5};
    n.network.last_layer_scale = 1.0;
    const NdpPolicy ndp(n, 8);
    const auto ndp2 = round_trip(ndp);
    CHECK(ndp2->type() == "ndp");
    CHECK(ndp2->parameters() == ndp.parameters());
    CHECK(policy_to_json(*ndp2) == policy_to_json(ndp));
    check_same_actions(ndp, *ndp2);
}

TEST_CASE("policy: adam state round-trips through JSON exactly")
{
    AdamConfig c;
    c.lr = 3e-4;
    c.beta2 = 0.9999999999; // valid (< 1), closer to 1 than a 9-digit bound
    c.clip_norm = 1.0 / 3.0;
    Adam a(c, 5);
    std::mt19937_64 rng(2);
    Eigen::VectorXd p = podsim::test::random_vector(rng, 5);
    for (int i = 0; i < 3; ++i) a.step(p, podsim::test::random_vector(rng, 5));
    const nlohmann::json text = nlohmann::json::parse(adam_to_json(a).dump());
    Adam b = adam_from_json(podsim::common::JsonNode(text, "opt.json"), 5);
    CHECK(b.steps() == 3);
    CHECK(b.first_moment() == a.first_moment());
    CHECK(b.second_moment() == a.second_moment());
    CHECK(b.config().clip_norm == c.clip_norm);
    CHECK(b.config().beta2 == c.beta2);
    CHECK(b.config().lr == c.lr);
    Eigen::VectorXd pa = p, pb = p;
    const Eigen::VectorXd g = podsim::test::random_vector(rng, 5);
    a.step(pa, g);
    b.step(pb, g);
    CHECK(pa == pb);
    CHECK_THROWS_AS(adam_from_json(podsim::common::JsonNode(text, "opt.json"), 4), podsim::common::InputError);
    nlohmann::json bad = text;
    bad["beta1"] = 1;
    CHECK_THROWS_WITH_AS(adam_from_json(podsim::common::JsonNode(bad, "opt.json"), 5), "opt.json: beta1: got 1, must be in [0, 1)",
                         podsim::common::InputError);
}

TEST_CASE("policy: bad policy JSON gives one-line errors")
{
    MlpConfig c;
    c.n_in = 2;
    c.n_out = 1;
    c.hidden = {3};
    c.output_limit = 1;
    const nlohmann::json good = policy_to_json(MlpPolicy(c, 1));
    CHECK(error_of(good).empty());
    nlohmann::json j = good;
    j["type"] = "rnn";
    CHECK(error_of(j) == "p.json: type: got \"rnn\", must be one of \"mlp\", \"ndp\"");
    j = good;
    j["hiden"] = {3};
    CHECK(error_of(j).rfind("p.json: hiden: unknown key \"hiden\" (did you mean \"hidden\"?)", 0) == 0);
    j = good;
    j["parameters"].erase(0);
    CHECK(error_of(j) == "p.json: parameters: got 12 values, must be 13 for this architecture");
    j = good;
    j["output_limit"] = 0;
    CHECK(error_of(j) == "p.json: output_limit: got 0, must be > 0 (the action limit a_max) for an mlp policy");
    j = good;
    j["hidden"] = {0};
    CHECK(error_of(j) == "p.json: hidden[0]: got 0, must be in [1, 4096]");
    j = good;
    j["inputs"] = 100000;
    j["hidden"] = {4096, 4096};
    j.erase("input_scale");
    CHECK(error_of(j).rfind("p.json: (top level): parameters = 426389505: must be <= 10000000", 0) == 0);
    j = good;
    j["activations"] = {"sigmoid"};
    CHECK(error_of(j).rfind("p.json: activations[0]: got \"sigmoid\", must be one of", 0) == 0);

    NdpConfig n;
    n.n_obs = 3;
    n.n_act = 1;
    n.network.hidden = {2};
    nlohmann::json nj = policy_to_json(NdpPolicy(n, 1));
    CHECK(error_of(nj).empty());
    nj["handle_offset"] = 3;
    CHECK(error_of(nj).rfind("p.json: (top level): handle_offset: handle positions", 0) == 0);
    nj = policy_to_json(NdpPolicy(n, 1));
    nj["network"]["inputs"] = 4;
    CHECK(error_of(nj).rfind("p.json: network.input_scale: got", 0) == 0);
}
