#pragma once
// Where along the horizon the BPTT parameter gradient of one closed-loop rollout comes from: its
// per-step contributions and the closed-loop action cotangents (docs/diagnostics.md).

#include "pods/train/closed_loop.hpp"

#include <Eigen/Core>

namespace podsim::pods {

/// The BPTT gradient g = dC/dtheta of one rollout split over the steps where the policy decides,
///   g = sum_t g_t,   g_t = (dplan_t/dtheta)^T (mask_t .* bar_a_t)   (zero where no decision),
/// with bar_a_t = dC/da_t the total derivative of the cost with respect to the applied action a_t
/// while the policy reacts at every later decision (the closed-loop action gradient; the
/// open-loop one, with later actions held fixed, is cost_gradient_adjoint). @note cost, not
/// reward: lower is better (dV = -dC).
struct BpttProfile {
    Eigen::VectorXd norm;            ///< |g_t|, length N
    Eigen::VectorXd share;           ///< g_t . g / |g|^2, length N; sums to 1 (all 0 when g = 0)
    Eigen::VectorXd total;           ///< g (n_params), equal to closed_loop_gradient's
    Eigen::MatrixXd action_gradient; ///< bar_a_t, n_a x N
};

/// The profile of `rollout`, made by closed_loop_rollout with keep_tape and the same `ws` (full
/// BPTT, no truncation window). Two reverse passes (the total first, then the shares), so nothing
/// of size n_params x N is stored. Throws std::invalid_argument for a failed rollout or a missing
/// tape, sim::SensitivityError where a step has no derivative.
BpttProfile bptt_profile(sim::Simulator& sim, const policy::Policy& policy, const ObservationMap& obs_map,
                         const Task& task, const QuadraticCost& cost, const ClosedLoopRollout& rollout,
                         ClosedLoopWorkspace& ws);

} // namespace podsim::pods
