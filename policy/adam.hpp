#pragma once
// Adam optimiser (Kingma & Ba) with optional global-norm gradient clipping; its state (moments
// and step count) is part of a training checkpoint.

#include <Eigen/Core>

namespace podsim::policy {

struct AdamConfig {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    /// > 0: the gradient is rescaled to this global L2 norm when it is longer; 0: no clipping.
    double clip_norm = 0;
};

/// Throws std::invalid_argument naming the violated rule.
void validate_adam_config(const AdamConfig& c);

/// Minimises: params -= lr * mhat / (sqrt(vhat) + eps), with bias-corrected moments.
class Adam {
public:
    Adam() = default;
    Adam(const AdamConfig& config, int n_params);

    /// One update of `params` with gradient `grad` (of the loss to minimise). Returns the global
    /// gradient norm before clipping.
    double step(Eigen::VectorXd& params, const Eigen::VectorXd& grad);

    const AdamConfig& config() const { return m_config; }
    AdamConfig& config() { return m_config; }
    long long steps() const { return m_t; }
    const Eigen::VectorXd& first_moment() const { return m_m; }
    const Eigen::VectorXd& second_moment() const { return m_v; }
    /// Restores a saved state (sizes must match n_params; v >= 0).
    void set_state(long long steps, const Eigen::VectorXd& m, const Eigen::VectorXd& v);

private:
    AdamConfig m_config;
    Eigen::VectorXd m_m, m_v, m_g;
    long long m_t = 0;
};

} // namespace podsim::policy
