#pragma once
// The active set of the action box |a_i| <= L (docs/optimization.md): components at a bound
// whose cost gradient points out of the box (-grad would push them out) are held fixed by the
// box-aware steps; the projected gradient is the gradient with those components zeroed.

#include <Eigen/Core>

namespace podsim::pods {

/// A per-component flag over an n_a x N action matrix (true = held at its bound).
using ActionMask = Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>;

/// Components with a_i >= L - tol and grad_i < 0, or a_i <= -L + tol and grad_i > 0, where
/// tol = relative_tolerance * L. `actions` and `gradient` are n_a x N (dC/da, not dV/da).
ActionMask active_set(const Eigen::MatrixXd& actions, const Eigen::MatrixXd& gradient, double limit,
                      double relative_tolerance);

/// The gradient with the held components set to zero (n_a x N).
Eigen::MatrixXd projected_gradient(const Eigen::MatrixXd& gradient, const ActionMask& held);

/// The number of held components.
int count(const ActionMask& held);

} // namespace podsim::pods
