#pragma once
// The control task of a scene: horizon, payload and targets, cost weights, action limit and the
// initial-state sampler (docs/design.md section 4).

#include "common/json_node.hpp"
#include "sim/model.hpp"

#include <Eigen/Core>

#include <vector>

namespace podsim::pods {

/// Weights of the quadratic cost terms (cost, not reward: lower is better).
struct CostWeights {
    double p = 0; ///< handle distance to handle_target, squared
    double x = 0; ///< payload distance to target, squared
    double v = 0; ///< payload speed, squared
    double a = 0; ///< action magnitude, squared (per-step cost only)
};

enum class InitialStateKind { kNominal, kSwing, kPerturb };

struct InitialStateSpec {
    InitialStateKind kind = InitialStateKind::kNominal;
    Eigen::Vector2d angle{0, 0};            ///< swing: rad, uniform range
    Eigen::Vector2d angular_velocity{0, 0}; ///< swing: rad/s, uniform range
    std::vector<int> nodes;                 ///< perturb: free node indices
    double position = 0;                    ///< perturb: +- m per axis
    double velocity = 0;                    ///< perturb: +- m/s per axis
};

struct Task {
    int horizon = 1;
    std::vector<int> payload;          ///< free node indices (internal order)
    Eigen::MatrixXd target;            ///< dim x n_payload
    Eigen::MatrixXd handle_target;     ///< dim x n_handles
    CostWeights weights;
    CostWeights terminal_weights;      ///< a unused
    double action_limit = 1;           ///< m/s, |a_i| <= action_limit per component
    InitialStateSpec initial_state;

    /// Actions (any shape, e.g. n_a x N) clamped component-wise to [-action_limit, action_limit].
    Eigen::MatrixXd clamp(const Eigen::MatrixXd& a) const;
};

/// The longest rollout of this model whose stored states stay within common::kMaxRolloutDoubles
/// (checked for the task horizon and for every --steps option).
int max_horizon(const sim::Model& model);

/// Reads the scene's "task" object; node names are resolved against the model.
Task parse_task(const common::JsonNode& task, const sim::Model& model);

} // namespace podsim::pods
