#pragma once
// Multi-layer perceptron policy network: batched forward pass (one matrix product per layer for a
// whole minibatch) and its exact vector-Jacobian products with respect to parameters and inputs.

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

namespace podsim::policy {

enum class Activation { TANH, RELU, ELU, LINEAR };

/// "tanh", "relu", "elu", "linear"; throws std::invalid_argument otherwise.
Activation activation_from_string(const std::string& name);
std::string to_string(Activation a);

struct MlpConfig {
    int n_in = 0;
    int n_out = 0;
    std::vector<int> hidden{64, 64};
    /// One activation per hidden layer (a single entry applies to every hidden layer).
    std::vector<Activation> activations{Activation::TANH};
    /// Fixed per-input factors applied before the first layer (length n_in; empty = ones).
    Eigen::VectorXd input_scale;
    /// > 0: output = output_limit * tanh(pre-activation); 0: linear output.
    double output_limit = 0;
    /// The Glorot-initialised last layer is multiplied by this, so the initial output is near 0.
    double last_layer_scale = 0.01;
};

/// Saved activations of one forward pass, needed by the backward pass. Reused across calls:
/// it reallocates only when the batch size changes.
struct MlpWorkspace {
    std::vector<Eigen::MatrixXd> activations; ///< [0] = scaled input, [l] = output of hidden layer l
    Eigen::MatrixXd output;                   ///< network output (after the output squashing)
    std::vector<Eigen::MatrixXd> deltas;      ///< backward scratch: cotangent of each layer output
    /// When set, backward() keeps its scratch there instead of in `deltas`: the workspaces of a
    /// tape (one per decision, used one at a time) share one copy, which stays in cache.
    std::vector<Eigen::MatrixXd>* shared_deltas = nullptr;
};

/// Parameters are one flat vector: for each layer l (inputs m, outputs n) the weight matrix W_l
/// (n x m, column-major) followed by the bias b_l (n). Layer l computes a_l = act(W_l a_{l-1} + b_l).
class Mlp {
public:
    Mlp() = default;
    /// Glorot-uniform weights from `seed`, zero biases, last layer scaled by last_layer_scale.
    Mlp(const MlpConfig& config, std::uint64_t seed);

    const MlpConfig& config() const { return m_config; }
    int n_in() const { return m_config.n_in; }
    int n_out() const { return m_config.n_out; }
    int n_layers() const { return int(m_sizes.size()) - 1; }
    int n_params() const { return int(m_params.size()); }
    const Eigen::VectorXd& parameters() const { return m_params; }
    void set_parameters(const Eigen::VectorXd& p);

    /// Y = net(X) for a batch: X is n_in x B (one column per sample), Y is n_out x B.
    /// The workspace keeps what backward() needs.
    void forward(const Eigen::MatrixXd& x, Eigen::MatrixXd& y, MlpWorkspace& ws) const;

    /// Vector-Jacobian products of the last forward(): given dL/dY (n_out x B), writes
    /// dL/dparams (n_params, summed over the batch) and, if dx is not null, dL/dX (n_in x B).
    /// With `accumulate`, dL/dparams is added to dparams (n_params already) instead: the same
    /// bits as writing it and adding, without the intermediate vector.
    void backward(MlpWorkspace& ws, const Eigen::MatrixXd& dy, Eigen::VectorXd& dparams,
                  Eigen::MatrixXd* dx, bool accumulate = false) const;

private:
    Activation activation(int hidden_layer) const;

    MlpConfig m_config;
    std::vector<int> m_sizes;   ///< n_in, hidden..., n_out
    std::vector<int> m_offsets; ///< start of W_l in m_params
    Eigen::VectorXd m_params;
};

/// Throws std::invalid_argument naming the first violated rule (sizes, limits including the total
/// parameter count, scale lengths).
void validate_mlp_config(const MlpConfig& config);

} // namespace podsim::policy
