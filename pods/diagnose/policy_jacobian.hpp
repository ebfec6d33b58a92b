#pragma once
// The input Jacobian of a policy at one observation: how its planned actions respond to what
// it observes, for closed-loop transitions (docs/diagnostics.md).

#include "policy/policy.hpp"

#include <Eigen/Core>

namespace podsim::pods {

/// The derivatives of a policy's plan (horizon n_act entries) with respect to its two inputs.
struct PolicyInputJacobian {
    Eigen::MatrixXd obs;             ///< dplan/dobs, (horizon n_act) x n_obs
    Eigen::MatrixXd handle_velocity; ///< dplan/dhandle_velocity, (horizon n_act) x n_act (0 for the MLP)
};

/// Both Jacobians of `policy` at observation `obs` (length n_obs) and handle-velocity input
/// `handle_velocity` (length n_act, the last applied action), by one batched act() over
/// horizon n_act copies of the input and one vjp() with the identity as cotangent (row r is the
/// gradient of plan entry r).
PolicyInputJacobian policy_input_jacobian(const policy::Policy& policy, const Eigen::VectorXd& obs,
                                          const Eigen::VectorXd& handle_velocity);

} // namespace podsim::pods
