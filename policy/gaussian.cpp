// The diagonal Gaussian of stochastic policies (see gaussian.hpp).
#include "policy/gaussian.hpp"

#include "policy/random.hpp"

#include <cmath>
#include <numbers>

namespace podsim::policy {

namespace {
const double kHalfLog2Pi = 0.5 * std::log(2 * std::numbers::pi);
}

double gaussian_log_prob(const Eigen::Ref<const Eigen::VectorXd>& u, const Eigen::Ref<const Eigen::VectorXd>& mean,
                         const Eigen::Ref<const Eigen::VectorXd>& log_std, const Eigen::Ref<const Eigen::VectorXd>& weight)
{
    double lp = 0;
    for (Eigen::Index c = 0; c < u.size(); ++c) {
        if (weight[c] == 0) continue;
        const double z = (u[c] - mean[c]) * std::exp(-log_std[c]);
        lp += weight[c] * (-0.5 * z * z - log_std[c] - kHalfLog2Pi);
    }
    return lp;
}

double gaussian_entropy(const Eigen::Ref<const Eigen::VectorXd>& log_std, const Eigen::Ref<const Eigen::VectorXd>& weight)
{
    return weight.dot((log_std.array() + 0.5 + kHalfLog2Pi).matrix());
}

void add_gaussian_log_prob_gradient(const Eigen::Ref<const Eigen::VectorXd>& u, const Eigen::Ref<const Eigen::VectorXd>& mean,
                                    const Eigen::Ref<const Eigen::VectorXd>& log_std,
                                    const Eigen::Ref<const Eigen::VectorXd>& weight, double scale,
                                    Eigen::Ref<Eigen::VectorXd> d_mean, Eigen::Ref<Eigen::VectorXd> d_log_std)
{
    for (Eigen::Index c = 0; c < u.size(); ++c) {
        if (weight[c] == 0) continue;
        const double inv_var = std::exp(-2 * log_std[c]), diff = u[c] - mean[c];
        d_mean[c] += scale * weight[c] * diff * inv_var;
        d_log_std[c] += scale * weight[c] * (diff * diff * inv_var - 1);
    }
}

double standard_normal(std::mt19937_64& rng)
{
    const double u1 = 1.0 - uniform(rng, 0, 1); // (0, 1]: the logarithm stays finite
    const double u2 = uniform(rng, 0, 1);
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
}

} // namespace podsim::policy
