// GAE and the running reward scale (see advantage.hpp).
#include "pods/train/advantage.hpp"

#include <cmath>

namespace podsim::pods {

void generalized_advantages(const Eigen::VectorXd& rewards, const Eigen::VectorXd& values, double gamma, double lambda,
                            Eigen::VectorXd& advantages, Eigen::VectorXd& returns)
{
    const Eigen::Index n = rewards.size();
    advantages.resize(n);
    double next_value = 0, running = 0;
    for (Eigen::Index j = n - 1; j >= 0; --j) {
        const double delta = rewards[j] + gamma * next_value - values[j];
        running = delta + gamma * lambda * running;
        advantages[j] = running;
        next_value = values[j];
    }
    returns = advantages + values;
}

void RunningMoments::add(double x)
{
    count += 1;
    const double d = x - mean;
    mean += d / count;
    m2 += d * (x - mean);
}

void RunningMoments::merge(const RunningMoments& o)
{
    if (o.count == 0) return;
    const double n = count + o.count, d = o.mean - mean;
    m2 += o.m2 + d * d * count * o.count / n;
    mean += d * o.count / n;
    count = n;
}

void RewardScaler::observe(const Eigen::VectorXd& rewards, double gamma)
{
    double g = 0;
    for (Eigen::Index j = 0; j < rewards.size(); ++j) {
        g = gamma * g + rewards[j];
        m_moments.add(g);
    }
}

double RewardScaler::scale() const { return m_moments.count == 0 ? 1.0 : 1.0 / std::sqrt(m_moments.variance() + 1e-8); }

nlohmann::json RewardScaler::to_json() const
{
    return {{"count", m_moments.count}, {"mean", m_moments.mean}, {"m2", m_moments.m2}};
}

RewardScaler RewardScaler::from_json(const common::JsonNode& n)
{
    n.allow_keys({"count", "mean", "m2"});
    RewardScaler s;
    s.m_moments.count = n["count"].non_negative();
    s.m_moments.mean = n["mean"].number();
    s.m_moments.m2 = n["m2"].non_negative();
    return s;
}

} // namespace podsim::pods
