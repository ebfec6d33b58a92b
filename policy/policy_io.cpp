// Policy and optimiser JSON (see policy_io.hpp).
#include "policy/policy_io.hpp"

#include "policy/limits.hpp"
#include "policy/mlp_policy.hpp"
#include "policy/ndp.hpp"
#include "common/text_io.hpp"

#include <stdexcept>
#include <string_view>

namespace podsim::policy {

using common::located;

namespace {

std::vector<double> to_vector(const Eigen::VectorXd& v) { return std::vector<double>(v.data(), v.data() + v.size()); }

} // namespace

nlohmann::json mlp_to_json(const Mlp& net)
{
    const MlpConfig& c = net.config();
    nlohmann::json j;
    j["inputs"] = c.n_in;
    j["outputs"] = c.n_out;
    j["hidden"] = c.hidden;
    nlohmann::json acts = nlohmann::json::array();
    for (Activation a : c.activations) acts.push_back(to_string(a));
    j["activations"] = acts;
    j["input_scale"] = to_vector(c.input_scale);
    j["output_limit"] = c.output_limit;
    j["last_layer_scale"] = c.last_layer_scale;
    j["parameters"] = to_vector(net.parameters());
    return j;
}

Mlp mlp_from_json(const common::JsonNode& node)
{
    node.allow_keys({"type", "inputs", "outputs", "hidden", "activations", "input_scale", "output_limit",
                     "last_layer_scale", "parameters", "training"});
    MlpConfig c;
    c.n_in = int(node["inputs"].integer_in(1, kMaxPolicyInputs));
    c.n_out = int(node["outputs"].integer_in(1, kMaxPolicyInputs));
    c.hidden.clear();
    if (node.has("hidden")) {
        const common::JsonNode h = node["hidden"];
        if (h.size() > std::size_t(kMaxHiddenLayers))
            h.fail_value("must have at most " + std::to_string(kMaxHiddenLayers) + " layers");
        for (std::size_t i = 0; i < h.size(); ++i) c.hidden.push_back(int(h[i].integer_in(1, kMaxLayerWidth)));
    } else {
        c.hidden = {64, 64};
    }
    c.activations = {Activation::TANH};
    if (node.has("activations")) {
        const common::JsonNode a = node["activations"];
        c.activations.clear();
        auto one = [](const common::JsonNode& n) {
            return activation_from_string(n.choice({"tanh", "relu", "elu", "linear"}));
        };
        if (a.is_string()) {
            c.activations.push_back(one(a));
        } else {
            if (a.size() != 1 && a.size() != c.hidden.size())
                a.fail_value("must be one activation or one per hidden layer (" + std::to_string(c.hidden.size()) + ")");
            for (std::size_t i = 0; i < a.size(); ++i) c.activations.push_back(one(a[i]));
        }
    }
    if (node.has("input_scale")) c.input_scale = node["input_scale"].vector(c.n_in);
    if (node.has("output_limit")) c.output_limit = node["output_limit"].non_negative();
    if (node.has("last_layer_scale")) c.last_layer_scale = node["last_layer_scale"].positive();
    Mlp net = located(node, [&] { return Mlp(c, 0); });
    const common::JsonNode p = node["parameters"];
    if (p.size() != std::size_t(net.n_params()))
        p.fail("got " + std::to_string(p.size()) + " values, must be " + std::to_string(net.n_params()) +
               " for this architecture");
    net.set_parameters(p.vector(net.n_params()));
    return net;
}

nlohmann::json policy_to_json(const Policy& policy)
{
    if (const auto* m = dynamic_cast<const MlpPolicy*>(&policy)) {
        nlohmann::json j = mlp_to_json(m->network());
        j["type"] = "mlp";
        return j;
    }
    const auto* n = dynamic_cast<const NdpPolicy*>(&policy);
    if (n == nullptr) throw std::invalid_argument("policy_to_json: unknown policy type " + policy.type());
    const NdpConfig& c = n->config();
    nlohmann::json j;
    j["type"] = "ndp";
    j["observations"] = c.n_obs;
    j["actions"] = c.n_act;
    j["horizon"] = c.horizon;
    j["substeps"] = c.substeps;
    j["dt"] = c.dt;
    j["basis"] = c.basis;
    j["kernel"] = to_string(c.kernel);
    j["integrator"] = to_string(c.integrator);
    j["scaling"] = to_string(c.scaling);
    j["amplitude"] = c.amplitude;
    j["alpha"] = c.alpha;
    j["beta"] = c.beta;
    j["a_x"] = c.a_x;
    j["only_g"] = c.only_g;
    j["learn_alpha"] = c.learn_alpha;
    j["alpha_range"] = {c.alpha_min, c.alpha_max};
    j["handle_offset"] = c.handle_offset;
    j["handle_scale"] = c.handle_scale;
    j["weight_scale"] = c.weight_scale;
    j["goal_scale"] = c.goal_scale;
    j["network"] = mlp_to_json(n->network());
    return j;
}

std::unique_ptr<Policy> policy_from_json(const common::JsonNode& node)
{
    const std::string type = node["type"].choice({"mlp", "ndp"});
    if (type == "mlp") {
        Mlp net = mlp_from_json(node);
        if (!(net.config().output_limit > 0))
            node["output_limit"].fail_value("must be > 0 (the action limit a_max) for an mlp policy");
        return std::make_unique<MlpPolicy>(std::move(net));
    }
    node.allow_keys({"type", "observations", "actions", "horizon", "substeps", "dt", "basis", "kernel", "integrator",
                     "scaling", "amplitude", "alpha", "beta", "a_x", "only_g", "learn_alpha", "alpha_range",
                     "handle_offset", "handle_scale", "weight_scale", "goal_scale", "network", "training"});
    NdpConfig c;
    c.n_obs = int(node["observations"].integer_in(1, kMaxPolicyInputs));
    c.n_act = int(node["actions"].integer_in(1, kMaxDmpDims));
    if (node.has("horizon")) c.horizon = int(node["horizon"].integer_in(1, kMaxNdpHorizon));
    if (node.has("substeps")) c.substeps = int(node["substeps"].integer_in(1, kMaxNdpSubsteps));
    c.dt = node["dt"].positive();
    if (node.has("basis")) c.basis = int(node["basis"].integer_in(2, kMaxDmpBasis));
    if (node.has("kernel"))
        c.kernel = kernel_from_string(
            node["kernel"].choice({"gaussian", "linear", "multiquadric", "inverse_quadric", "inverse_multiquadric"}));
    if (node.has("integrator")) c.integrator = integrator_from_string(node["integrator"].choice({"euler", "rk4"}));
    if (node.has("scaling")) c.scaling = scaling_from_string(node["scaling"].choice({"goal", "none", "amplitude"}));
    if (node.has("amplitude")) c.amplitude = node["amplitude"].positive();
    if (node.has("alpha")) c.alpha = node["alpha"].number_in(kMinDmpConstant, kMaxDmpConstant);
    c.beta = node.has("beta") ? node["beta"].number_in(kMinDmpConstant, kMaxDmpConstant) : c.alpha / 4;
    if (node.has("a_x")) c.a_x = node["a_x"].number_in(kMinDmpConstant, kMaxDmpPhaseDecay);
    if (node.has("only_g")) c.only_g = node["only_g"].boolean();
    if (node.has("learn_alpha")) c.learn_alpha = node["learn_alpha"].boolean();
    if (node.has("alpha_range")) {
        const Eigen::Vector2d r = node["alpha_range"].range();
        c.alpha_min = r[0];
        c.alpha_max = r[1];
    }
    if (node.has("handle_offset")) c.handle_offset = int(node["handle_offset"].integer_in(0, kMaxPolicyInputs));
    if (node.has("handle_scale")) c.handle_scale = node["handle_scale"].positive();
    if (node.has("weight_scale")) c.weight_scale = node["weight_scale"].non_negative();
    if (node.has("goal_scale")) c.goal_scale = node["goal_scale"].non_negative();
    Mlp net = mlp_from_json(node["network"]);
    c.network = net.config();
    return located(node, [&]() -> std::unique_ptr<Policy> { return std::make_unique<NdpPolicy>(c, std::move(net)); });
}

std::unique_ptr<Policy> read_policy_json(const std::string& path)
{
    const nlohmann::json j = common::read_json_file(path);
    return policy_from_json(common::JsonNode(j, path));
}

void write_policy_json(const std::string& path, const Policy& policy)
{
    common::write_file_atomic(path, policy_to_json(policy).dump() + "\n");
}

nlohmann::json adam_to_json(const Adam& adam)
{
    const AdamConfig& c = adam.config();
    nlohmann::json j;
    j["lr"] = c.lr;
    j["beta1"] = c.beta1;
    j["beta2"] = c.beta2;
    j["eps"] = c.eps;
    j["clip_norm"] = c.clip_norm;
    j["steps"] = adam.steps();
    j["m"] = to_vector(adam.first_moment());
    j["v"] = to_vector(adam.second_moment());
    return j;
}

Adam adam_from_json(const common::JsonNode& node, int n_params)
{
    node.allow_keys({"lr", "beta1", "beta2", "eps", "clip_norm", "steps", "m", "v"});
    AdamConfig c;
    c.lr = node["lr"].positive();
    // the rule of validate_adam_config, so every valid state loads again
    auto beta = [&](std::string_view key) {
        const common::JsonNode b = node[key];
        const double v = b.number_in(0, 1);
        if (!(v < 1)) b.fail_value("must be in [0, 1)");
        return v;
    };
    c.beta1 = beta("beta1");
    c.beta2 = beta("beta2");
    c.eps = node["eps"].positive();
    c.clip_norm = node.has("clip_norm") ? node["clip_norm"].non_negative() : 0.0;
    Adam adam(c, n_params);
    const long long steps = node["steps"].integer_in(0, std::int64_t(1) << 53);
    const Eigen::VectorXd m = node["m"].vector(n_params);
    const common::JsonNode vn = node["v"];
    const Eigen::VectorXd v = vn.vector(n_params);
    for (int i = 0; i < n_params; ++i)
        if (v[i] < 0) vn[std::size_t(i)].fail_value("must be >= 0");
    adam.set_state(steps, m, v);
    return adam;
}

} // namespace podsim::policy
