// Batched MLP forward pass and its vector-Jacobian products (see mlp.hpp).
#include "policy/mlp.hpp"

#include "policy/limits.hpp"
#include "policy/random.hpp"

#include <cassert>
#include <cmath>
#include <random>
#include <stdexcept>

namespace podsim::policy {

namespace {

// tanh(u) = 1 - 2 / (exp(2u) + 1) with Eigen's vectorised exp (Eigen's double tanh is scalar);
// absolute error ~1e-16, saturates cleanly to +-1 (exp overflow gives 1, underflow -1)
void tanh_in_place(Eigen::MatrixXd& m)
{
    m.array() = 1.0 - 2.0 / ((2.0 * m.array()).exp() + 1.0);
}

void apply_activation(Activation a, Eigen::MatrixXd& m)
{
    switch (a) {
    case Activation::TANH: tanh_in_place(m); break;
    case Activation::RELU: m = m.array().max(0.0); break;
    case Activation::ELU: m = (m.array() > 0).select(m.array(), m.array().exp() - 1.0); break;
    case Activation::LINEAR: break;
    }
}

// multiplies `delta` in place by act'(pre), written in terms of the activation output a
void multiply_activation_derivative(Activation act, const Eigen::MatrixXd& a, Eigen::MatrixXd& delta)
{
    switch (act) {
    case Activation::TANH: delta.array() *= 1.0 - a.array().square(); break;
    case Activation::RELU: delta.array() *= (a.array() > 0).cast<double>(); break;
    case Activation::ELU: delta.array() *= (a.array() > 0).select(1.0, a.array() + 1.0); break;
    case Activation::LINEAR: break;
    }
}

} // namespace

Activation activation_from_string(const std::string& name)
{
    if (name == "tanh") return Activation::TANH;
    if (name == "relu") return Activation::RELU;
    if (name == "elu") return Activation::ELU;
    if (name == "linear") return Activation::LINEAR;
    throw std::invalid_argument("unknown activation \"" + name + "\"");
}

std::string to_string(Activation a)
{
    switch (a) {
    case Activation::TANH: return "tanh";
    case Activation::RELU: return "relu";
    case Activation::ELU: return "elu";
    case Activation::LINEAR: return "linear";
    }
    return "?";
}

void validate_mlp_config(const MlpConfig& c)
{
    if (c.n_in < 1 || c.n_in > kMaxPolicyInputs)
        throw std::invalid_argument("inputs = " + std::to_string(c.n_in) + ": must be in [1, " +
                                    std::to_string(kMaxPolicyInputs) + "]");
    if (c.n_out < 1 || c.n_out > kMaxPolicyInputs)
        throw std::invalid_argument("outputs = " + std::to_string(c.n_out) + ": must be in [1, " +
                                    std::to_string(kMaxPolicyInputs) + "]");
    if (int(c.hidden.size()) > kMaxHiddenLayers)
        throw std::invalid_argument("hidden: at most " + std::to_string(kMaxHiddenLayers) + " layers");
    for (int h : c.hidden)
        if (h < 1 || h > kMaxLayerWidth)
            throw std::invalid_argument("hidden width " + std::to_string(h) + ": must be in [1, " +
                                        std::to_string(kMaxLayerWidth) + "]");
    if (!c.hidden.empty() && c.activations.size() != 1 && c.activations.size() != c.hidden.size())
        throw std::invalid_argument("activations: need 1 or one per hidden layer (" +
                                    std::to_string(c.hidden.size()) + ")");
    // the parameter count, before anything of that size is allocated
    std::int64_t count = 0, width = c.n_in;
    for (int h : c.hidden) {
        count += (width + 1) * h;
        width = h;
    }
    count += (width + 1) * c.n_out;
    if (count > kMaxPolicyParameters)
        throw std::invalid_argument("parameters = " + std::to_string(count) + ": must be <= " +
                                    std::to_string(kMaxPolicyParameters) + " (inputs, hidden widths and outputs)");
    if (c.input_scale.size() != 0 && c.input_scale.size() != c.n_in)
        throw std::invalid_argument("input_scale: need " + std::to_string(c.n_in) + " entries");
    if (!c.input_scale.allFinite()) throw std::invalid_argument("input_scale: must be finite");
    if (!(c.output_limit >= 0) || !std::isfinite(c.output_limit))
        throw std::invalid_argument("output_limit: must be finite and >= 0");
    if (!(c.last_layer_scale > 0) || !std::isfinite(c.last_layer_scale))
        throw std::invalid_argument("last_layer_scale: must be finite and > 0");
}

Mlp::Mlp(const MlpConfig& config, std::uint64_t seed) : m_config(config)
{
    validate_mlp_config(m_config);
    if (m_config.input_scale.size() == 0) m_config.input_scale = Eigen::VectorXd::Ones(m_config.n_in);
    if (m_config.activations.empty()) m_config.activations = {Activation::TANH};

    // layer sizes and parameter offsets
    m_sizes.push_back(m_config.n_in);
    for (int h : m_config.hidden) m_sizes.push_back(h);
    m_sizes.push_back(m_config.n_out);
    int total = 0;
    for (int l = 0; l + 1 < int(m_sizes.size()); ++l) {
        m_offsets.push_back(total);
        total += m_sizes[l + 1] * m_sizes[l] + m_sizes[l + 1];
    }
    m_params = Eigen::VectorXd::Zero(total);

    // Glorot-uniform weights, zero biases, small last layer
    std::mt19937_64 rng(seed);
    for (int l = 0; l < n_layers(); ++l) {
        const int m = m_sizes[l], n = m_sizes[l + 1];
        const double limit = std::sqrt(6.0 / double(m + n)) * (l + 1 == n_layers() ? m_config.last_layer_scale : 1.0);
        for (int k = 0; k < n * m; ++k) m_params[m_offsets[l] + k] = uniform(rng, -limit, limit);
    }
}

Activation Mlp::activation(int hidden_layer) const
{
    return m_config.activations.size() == 1 ? m_config.activations[0] : m_config.activations[hidden_layer];
}

void Mlp::set_parameters(const Eigen::VectorXd& p)
{
    if (p.size() != m_params.size())
        throw std::invalid_argument("Mlp::set_parameters: got " + std::to_string(p.size()) + " values, need " +
                                    std::to_string(m_params.size()));
    m_params = p;
}

void Mlp::forward(const Eigen::MatrixXd& x, Eigen::MatrixXd& y, MlpWorkspace& ws) const
{
    assert(x.rows() == n_in());
    const int layers = n_layers();
    ws.activations.resize(layers);
    ws.activations[0].noalias() = m_config.input_scale.asDiagonal() * x;
    for (int l = 0; l < layers; ++l) {
        const int m = m_sizes[l], n = m_sizes[l + 1];
        const Eigen::Map<const Eigen::MatrixXd> w(m_params.data() + m_offsets[l], n, m);
        const Eigen::Map<const Eigen::VectorXd> b(m_params.data() + m_offsets[l] + n * m, n);
        Eigen::MatrixXd& out = l + 1 < layers ? ws.activations[l + 1] : ws.output;
        // the bias, plus one matrix product for the whole batch (the product is summed apart and
        // added, so the bits are those of adding the bias after it), then the activation
        out.resize(n, x.cols());
        out.colwise() = b;
        out.noalias() += w * ws.activations[l];
        if (l + 1 < layers)
            apply_activation(activation(l), out);
        else if (m_config.output_limit > 0) {
            tanh_in_place(out);
            out *= m_config.output_limit;
        }
    }
    y = ws.output;
}

void Mlp::backward(MlpWorkspace& ws, const Eigen::MatrixXd& dy, Eigen::VectorXd& dparams, Eigen::MatrixXd* dx,
                   bool accumulate) const
{
    assert(dy.rows() == n_out() && dy.cols() == ws.output.cols());
    assert(!accumulate || dparams.size() == n_params());
    const int layers = n_layers();
    // every layer's dw and db are written (or added) below
    if (!accumulate) dparams.setZero(n_params());

    // through the output squashing: d(L tanh(u))/du = L (1 - tanh^2) = L - out^2 / L
    std::vector<Eigen::MatrixXd>& deltas = ws.shared_deltas != nullptr ? *ws.shared_deltas : ws.deltas;
    deltas.resize(layers + 1);
    Eigen::MatrixXd& top = deltas[layers];
    top = dy;
    if (m_config.output_limit > 0) {
        const double lim = m_config.output_limit;
        top.array() *= lim - ws.output.array().square() / lim;
    }
    for (int l = layers - 1; l >= 0; --l) {
        const int m = m_sizes[l], n = m_sizes[l + 1];
        const Eigen::Map<const Eigen::MatrixXd> w(m_params.data() + m_offsets[l], n, m);
        Eigen::Map<Eigen::MatrixXd> dw(dparams.data() + m_offsets[l], n, m);
        Eigen::Map<Eigen::VectorXd> db(dparams.data() + m_offsets[l] + n * m, n);
        const Eigen::MatrixXd& delta = deltas[l + 1];
        // parameter gradients summed over the batch, added to what dparams holds (each product
        // is summed apart and added, so writing into zeros gives the product's bits)
        dw.noalias() += delta * ws.activations[l].transpose();
        db += delta.rowwise().sum();
        if (l == 0 && dx == nullptr) break;
        // cotangent of the layer input (deltas[l] holds the cotangent of activations[l])
        deltas[l].noalias() = w.transpose() * delta;
        if (l > 0) multiply_activation_derivative(activation(l - 1), ws.activations[l], deltas[l]);
    }
    if (dx != nullptr) *dx = m_config.input_scale.asDiagonal() * deltas[0];
}

} // namespace podsim::policy
