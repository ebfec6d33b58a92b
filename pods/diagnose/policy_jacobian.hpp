#pragma once
// The input Jacobian of a policy at one observation: how its planned actions respond to what
// it observes, for closed-loop transitions (docs/diagnostics.md).

#include "policy/policy.hpp"

#include <Eigen/Core>

namespace podsim::pods {

/// dplan/dobs ((horizon n_act) x n_obs) of `policy` at observation `obs` (length n_obs) with
/// handle-velocity input `handle_velocity` (length n_act), by one batched act() over horizon n_act
/// copies of the input and one vjp() with the identity as cotangent (row r of the result is the
/// gradient of plan entry r). The MLP head ignores `handle_velocity`.
Eigen::MatrixXd policy_input_jacobian(const policy::Policy& policy, const Eigen::VectorXd& obs,
                                      const Eigen::VectorXd& handle_velocity);

} // namespace podsim::pods
