#pragma once
// One-step transition Jacobians of a converged rollout over the BDF2 state
// z = (x, v, x_prev, v_prev, p), open loop and closed through a per-step policy
// (docs/diagnostics.md).

#include "pods/task/observation.hpp"
#include "pods/task/task.hpp"
#include "sim/bdf2.hpp"

#include <Eigen/Core>

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

} // namespace podsim::pods
