#pragma once
// The diagonal Gaussian of a stochastic policy (PPO, docs/training.md): u ~ N(mean, diag(sigma^2))
// with sigma = exp(log_std), evaluated on masked samples (one column per sample; weight 0 leaves a
// component out, e.g. NDP plan steps past the horizon). Closed forms:
//   log p(u) = sum_c w_c [-(u_c - m_c)^2 / (2 sigma_c^2) - log sigma_c - log(2 pi) / 2]
//   H        = sum_c w_c [log sigma_c + log(2 pi e) / 2]
//   d log p / d m_c = w_c (u_c - m_c) / sigma_c^2,  d log p / d log sigma_c = w_c ((u_c - m_c)^2 / sigma_c^2 - 1)

#include <Eigen/Core>

#include <cstdint>
#include <random>

namespace podsim::policy {

/// log p(u) of one sample; `log_std`, `weight` have the length of u.
double gaussian_log_prob(const Eigen::Ref<const Eigen::VectorXd>& u, const Eigen::Ref<const Eigen::VectorXd>& mean,
                         const Eigen::Ref<const Eigen::VectorXd>& log_std, const Eigen::Ref<const Eigen::VectorXd>& weight);

/// Entropy of the masked components.
double gaussian_entropy(const Eigen::Ref<const Eigen::VectorXd>& log_std, const Eigen::Ref<const Eigen::VectorXd>& weight);

/// Adds scale * d log p(u) / d mean to `d_mean` and scale * d log p(u) / d log_std to `d_log_std`.
void add_gaussian_log_prob_gradient(const Eigen::Ref<const Eigen::VectorXd>& u, const Eigen::Ref<const Eigen::VectorXd>& mean,
                                    const Eigen::Ref<const Eigen::VectorXd>& log_std,
                                    const Eigen::Ref<const Eigen::VectorXd>& weight, double scale,
                                    Eigen::Ref<Eigen::VectorXd> d_mean, Eigen::Ref<Eigen::VectorXd> d_log_std);

/// A standard normal number from 53-bit uniforms (Box-Muller; the standard distributions are not
/// specified bit for bit across libraries). Uses two draws of `rng`.
double standard_normal(std::mt19937_64& rng);

} // namespace podsim::policy
