#pragma once
// CSV files of trajectory derivatives (`podsim sensitivity`): per-action values such as the
// value gradient or the Gauss-Newton step, and the trajectory Jacobian.

#include "pods/task/cost.hpp"
#include "sim/model.hpp"

#include <string>

namespace podsim::pods {

/// `step,handle,<c>x,<c>y,<c>z` rows for an n_a x N matrix of per-action values (z = 0 in 2D),
/// e.g. prefix "d" for gradient.csv (dV/da).
std::string per_action_csv(const sim::Model& model, const Eigen::MatrixXd& values, const std::string& prefix);

/// The trajectory Jacobian ds/da: header `step,component,<t>:<handle>:<axis>...`, one row per
/// entry of s_t (components `p:<handle>:<axis>`, `x:<node>:<axis>`, `v:<node>:<axis>`).
std::string jacobian_csv(const sim::Model& model, const sim::StateSelection& sel, const Eigen::MatrixXd& jacobian);

} // namespace podsim::pods
