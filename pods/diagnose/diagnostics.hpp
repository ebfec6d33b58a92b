#pragma once
// Gradient-health diagnostics of one trajectory (`podsim diagnose`, docs/diagnostics.md): where
// and why gradients grow or vanish along the horizon, open loop and through a policy.

#include "pods/diagnose/bptt_profile.hpp"
#include "pods/task/cost.hpp"
#include "pods/task/task.hpp"
#include "policy/policy.hpp"
#include "sim/bdf2.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <string>

namespace podsim::pods {

/// How a horizon of transitions stretches perturbations, per step t = 0..N-1, measured in the
/// energy norm of energy_norm.hpp (|dz_N| / |dz_t| with each state's own weights).
struct GrowthProfile {
    Eigen::VectorXd transition_sigma;      ///< sigma_1(dz_{t+1}/dz_t)
    Eigen::VectorXd accumulated_log_sigma; ///< ln sigma_1(dz_N/dz_t)
    Eigen::VectorXd ftle;                  ///< finite-time Lyapunov exponent of dz_N/dz_t, 1/s
};

/// Spectrum of the Gauss-Newton matrix G = J^T Q J + R of the trajectory (mu = 0), the matrix
/// the PODS second-order step inverts (with its small mu added).
struct GaussNewtonSpectrum {
    bool computed = false;     ///< false when the dense system exceeds the size limits
    std::string skipped;       ///< why not (empty when computed)
    int order = 0;             ///< N n_a
    double eigenvalue_max = 0;
    double eigenvalue_min = 0;
    double condition = 0;      ///< eigenvalue_max / eigenvalue_min
    double action_term = 0;    ///< R = r I with r = 2 w_a: eigenvalue_min >= r
};

struct Diagnostics {
    int horizon = 0;
    double dt = 0;
    int n_x = 0, n_a = 0;
    double cost = 0;                   ///< C of the trajectory (the value is -C)
    int clamped = 0;                   ///< action components on the limit (clamped)

    // open loop: the actions of the trajectory held fixed, free state q = (x, v, x_prev, v_prev)
    Eigen::VectorXd gradient_norm;     ///< |dV/da_t|, the norms of `podsim sensitivity`'s rows
    GrowthProfile open_loop;           ///< of dq_{t+1}/dq_t (the handles follow the actions)
    GaussNewtonSpectrum gauss_newton;

    // with a policy: the closed loop, state z = (q, p)
    bool has_policy = false;
    std::string policy_type;
    int policy_horizon = 0;            ///< actions per decision
    Eigen::VectorXd closed_gradient_norm; ///< |dV/da_t| with the policy reacting at later decisions
    /// Per step dz_{t+1}/dz_t = A + B mask P O for a policy that decides every step; for one that
    /// plans k steps the map over each decision on (z, a_prev) (closed_loop_plan_transition),
    /// in the rows of the decision steps, NaN in the others.
    GrowthProfile closed_loop;
    BpttProfile bptt;                  ///< per-step contributions to dC/dtheta
};

/// Refuses (with the reason) trajectories whose dense transition analysis would be too large:
/// empty when the state size 4 n_x + n_p is at most kMaxDiagnoseState.
inline constexpr int kMaxDiagnoseState = 1000;
std::string diagnose_size_problem(const sim::Model& model);

/// Open-loop diagnostics of `actions` (n_a x N, N = task.horizon; clamped to the limit first)
/// from z0. Throws common::RuntimeFailure when a step does not converge, sim::SensitivityError
/// where a step has no derivative.
Diagnostics diagnose_actions(sim::Simulator& sim, const Task& task, const sim::State& z0, const Eigen::MatrixXd& actions);

/// Diagnostics of the policy's closed-loop rollout from z0: the open-loop part along its
/// trajectory (what PODS improves), and the closed-loop part (what BPTT differentiates).
Diagnostics diagnose_policy(sim::Simulator& sim, const Task& task, const policy::Policy& policy, const sim::State& z0);

} // namespace podsim::pods
