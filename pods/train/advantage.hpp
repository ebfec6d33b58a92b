#pragma once
// Generalised advantage estimation (Schulman et al. 2016) for PPO over one finite-horizon episode,
// and the running scale of the rewards (docs/training.md). With TD residuals
//   delta_j = r_j + gamma V_{j+1} - V_j   (V_n = 0: the episode ends after its last decision)
// the advantages are A_j = sum_{l >= 0} (gamma lambda)^l delta_{j+l} and the value targets
// R_j = A_j + V_j.

#include <Eigen/Core>

#include <nlohmann/json.hpp>

#include "common/json_node.hpp"

namespace podsim::pods {

/// A_j and R_j of one episode with rewards r_0..r_{n-1} and values V_0..V_{n-1}.
void generalized_advantages(const Eigen::VectorXd& rewards, const Eigen::VectorXd& values, double gamma, double lambda,
                            Eigen::VectorXd& advantages, Eigen::VectorXd& returns);

/// Running mean and variance of a stream of numbers (Chan et al.'s pairwise update), exact for
/// any split of the stream into batches.
struct RunningMoments {
    double count = 0, mean = 0, m2 = 0;

    void add(double x);
    /// Merges the moments of another stream.
    void merge(const RunningMoments& other);
    /// Population variance (0 with fewer than two values).
    double variance() const { return count > 1 ? m2 / count : 0; }
};

/// The reward scale of standard PPO implementations: rewards are divided by the running standard
/// deviation of the discounted return G_j = gamma G_{j-1} + r_j (G_{-1} = 0 in every episode) over
/// all episodes seen so far. Part of a training checkpoint.
class RewardScaler {
public:
    /// Adds the discounted returns of one episode's raw rewards.
    void observe(const Eigen::VectorXd& rewards, double gamma);
    /// 1 / sqrt(var + 1e-8); 1 before any episode.
    double scale() const;
    const RunningMoments& moments() const { return m_moments; }

    nlohmann::json to_json() const;
    /// Reads what to_json() wrote (count >= 0, m2 >= 0, finite).
    static RewardScaler from_json(const common::JsonNode& node);

private:
    RunningMoments m_moments;
};

} // namespace podsim::pods
