// Adam with global-norm clipping (see adam.hpp).
#include "policy/adam.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace podsim::policy {

void validate_adam_config(const AdamConfig& c)
{
    if (!(c.lr > 0) || !std::isfinite(c.lr)) throw std::invalid_argument("lr: must be finite and > 0");
    if (!(c.beta1 >= 0 && c.beta1 < 1)) throw std::invalid_argument("beta1: must be in [0, 1)");
    if (!(c.beta2 >= 0 && c.beta2 < 1)) throw std::invalid_argument("beta2: must be in [0, 1)");
    if (!(c.eps > 0) || !std::isfinite(c.eps)) throw std::invalid_argument("eps: must be finite and > 0");
    if (!(c.clip_norm >= 0) || !std::isfinite(c.clip_norm))
        throw std::invalid_argument("clip_norm: must be finite and >= 0");
}

Adam::Adam(const AdamConfig& config, int n_params)
    : m_config(config), m_m(Eigen::VectorXd::Zero(n_params)), m_v(Eigen::VectorXd::Zero(n_params)),
      m_g(n_params)
{
    validate_adam_config(config);
}

void Adam::set_state(long long steps, const Eigen::VectorXd& m, const Eigen::VectorXd& v)
{
    if (m.size() != m_m.size() || v.size() != m_v.size())
        throw std::invalid_argument("Adam::set_state: moment sizes do not match the parameter count");
    if (steps < 0 || (v.array() < 0).any()) throw std::invalid_argument("Adam::set_state: invalid state");
    m_t = steps;
    m_m = m;
    m_v = v;
}

double Adam::step(Eigen::VectorXd& params, const Eigen::VectorXd& grad)
{
    if (grad.size() != m_m.size() || params.size() != m_m.size())
        throw std::invalid_argument("Adam::step: got " + std::to_string(grad.size()) + " gradient entries, need " +
                                    std::to_string(m_m.size()));
    // global-norm clipping
    const double norm = grad.norm();
    m_g = grad;
    if (m_config.clip_norm > 0 && norm > m_config.clip_norm) m_g *= m_config.clip_norm / norm;

    // moments and bias-corrected update
    ++m_t;
    const double b1 = m_config.beta1, b2 = m_config.beta2;
    m_m = b1 * m_m + (1 - b1) * m_g;
    m_v = b2 * m_v + (1 - b2) * m_g.cwiseAbs2();
    const double c1 = 1 - std::pow(b1, double(m_t));
    const double c2 = 1 - std::pow(b2, double(m_t));
    params.array() -= m_config.lr * (m_m.array() / c1) / ((m_v.array() / c2).sqrt() + m_config.eps);
    return norm;
}

} // namespace podsim::policy
