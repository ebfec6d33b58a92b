#pragma once
// One-step transition Jacobians of a converged rollout over the BDF2 state
// z = (x, v, x_prev, v_prev, p), open loop and closed through a per-step policy
// (docs/diagnostics.md).

#include "pods/diagnose/policy_jacobian.hpp"
#include "pods/task/observation.hpp"
#include "pods/task/task.hpp"
#include "sim/bdf2.hpp"

#include <Eigen/Core>

#include <span>

namespace podsim::pods {

/// The linearised step z_t -> z_{t+1}: dz_{t+1} = A dz_t + B da_t. Rows and columns of z are
/// stacked [x; v; x_prev; v_prev; p] (nz = 4 n_x + n_p); A is nz x nz, B is nz x n_a. At t = 0
/// (BDF1) the x_prev, v_prev columns of A are zero: the first step does not read them.
struct StepJacobians {
    Eigen::MatrixXd a;
    Eigen::MatrixXd b;
};

/// A and B of the step from z to z_next (a converged step of a rollout) by one matrix-valued
/// sim::step_tangent with nz + n_a identity columns. Throws sim::SensitivityError.
StepJacobians step_jacobians(sim::Simulator& sim, const sim::State& z, const sim::State& z_next);

/// The size of z, 4 n_x + n_p.
inline int bdf_state_size(const sim::Model& model) { return 4 * model.n_x() + model.n_p(); }

/// The observation map as a matrix: obs = O z - offset, O of size n_obs x nz (a selection).
Eigen::MatrixXd observation_matrix(const sim::Model& model, const ObservationMap& obs);

/// The closed-loop transition of a policy that decides every step, a_t = clamp(pi(O z_t)):
///   dz_{t+1}/dz_t = A + B diag(mask) P O,
/// with P = dpi/dobs (n_a x n_obs) at obs_t and mask_i = 1 where a_t,i was not clamped (0 where
/// it was: a clamped component does not respond to the state).
Eigen::MatrixXd closed_loop_transition(const StepJacobians& step, const Eigen::VectorXd& mask,
                                       const Eigen::MatrixXd& policy_jacobian, const Eigen::MatrixXd& observation);

/// The closed-loop map over one decision of a policy that plans k steps at a time, on the
/// augmented state zeta = (z, a_prev) (a_prev: the last applied action, the plan's handle-velocity
/// input). At decision step t the plan is pi(O z_t, a_{t-1}); for i = 0..len-1
///   da_{t+i} = mask_{t+i} .* (P^obs_i O dz_t + P^hv_i da_prev),
///   dz_{t+i+1} = A_{t+i} dz_{t+i} + B_{t+i} da_{t+i},
/// and the new a_prev is a_{t+len-1}: returns d(z_{t+len}, a_{t+len-1}) / d(z_t, a_{t-1}),
/// (nz + n_a) square. `steps` and `masks` hold steps t..t+len-1 (len <= k: the last decision of a
/// horizon may be cut short); P^obs_i, P^hv_i are rows [i n_a, (i+1) n_a) of the Jacobians.
Eigen::MatrixXd closed_loop_plan_transition(std::span<const StepJacobians> steps, std::span<const Eigen::VectorXd> masks,
                                            const PolicyInputJacobian& policy_jacobian, const Eigen::MatrixXd& observation);

} // namespace podsim::pods
