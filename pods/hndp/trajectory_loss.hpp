#pragma once
// H-NDP's trajectory losses (docs/hndp.md): the squared distance between the trajectory F(phi(s))
// a policy plans from an observation and a fixed target trajectory, with its exact gradient with
// respect to the policy parameters through the policy's own VJP (DMP layer and MLP). The
// behaviour-cloning loss (global toward the locals) and the pull (local toward the global) are
// this loss with the roles exchanged.

#include "policy/policy.hpp"

#include <Eigen/Core>

#include <memory>
#include <vector>

namespace podsim::pods::hndp {

/// F(phi(s)) sampled at the plan's environment steps: y_0 = start, y_{j+1} = y_j + h a_j.
/// For the NDP head these are exactly the DMP positions at samples j * substeps (its actions are
/// their differences divided by h); for a plain MLP trajectory head (an MlpPolicy with k n
/// outputs) they are the integrated velocities.
/// @param actions (k n) x B, step-major (rows [j n, (j + 1) n) are step j), as Policy::act writes
/// @param start   n x B, the first point y_0 of every plan
/// @return        ((k + 1) n) x B, rows [j n, (j + 1) n) are y_j
Eigen::MatrixXd plan_positions(const Eigen::MatrixXd& actions, const Eigen::MatrixXd& start, double h);

/// What trajectory_loss needs besides the policy: the batch, column b one sample.
struct TrajectoryBatch {
    Eigen::MatrixXd obs;             ///< n_obs x B
    Eigen::MatrixXd handle_velocity; ///< n x B initial velocities (empty: zero)
    Eigen::MatrixXd start;           ///< n x B, y_0
    Eigen::MatrixXd target;          ///< ((k + 1) n) x B target positions, layout of plan_positions
    Eigen::VectorXd weight;          ///< B sample weights w_b >= 0
};

/// L = sum_b w_b sum_{j=0..k} |F_j(phi(s_b)) - Y_j(b)|^2 and, when `gradient` is not null,
/// dL/dtheta (n_params; the target is held fixed). `positions` (when not null) receives F.
/// The action cotangent is dL/da_i = h sum_{j > i} 2 w_b (F_j - Y_j); Policy::vjp takes it to the
/// parameters. Throws std::invalid_argument on shape mismatches.
double trajectory_loss(const policy::Policy& policy, policy::PolicyWorkspace& ws, const TrajectoryBatch& batch,
                       double h, Eigen::VectorXd* gradient, Eigen::MatrixXd* positions = nullptr);

/// The same sum over a large batch split into fixed chunks of `chunk` consecutive samples, the
/// chunks run in parallel (OpenMP) with one workspace each (grown on demand) and added in chunk
/// order, so the value and the gradient do not depend on the thread count (`threads` > 0: that
/// many OpenMP threads, else OpenMP's default).
double trajectory_loss_chunked(const policy::Policy& policy,
                               std::vector<std::unique_ptr<policy::PolicyWorkspace>>& workspaces,
                               const TrajectoryBatch& batch, double h, Eigen::VectorXd* gradient,
                               Eigen::MatrixXd* positions = nullptr, int chunk = 32, int threads = 0);

/// Behaviour cloning of the global policy on the locals' plans (H-NDP paper Algorithm 1):
/// L_BC = sum_b w_b |F(phi_g(s_b)) - F(phi_l^(i_b)(s_b))|^2, gradient with respect to theta_g.
/// `batch.obs` is the global observation of each sample, `batch.target` the local plans. The
/// samples come from all regions, so the batch is split into chunks (trajectory_loss_chunked).
inline double behaviour_cloning_loss(const policy::Policy& global,
                                     std::vector<std::unique_ptr<policy::PolicyWorkspace>>& workspaces,
                                     const TrajectoryBatch& batch, double h, Eigen::VectorXd* gradient,
                                     int threads = 0)
{
    return trajectory_loss_chunked(global, workspaces, batch, h, gradient, nullptr, 32, threads);
}

/// The pull of a local policy toward the global one (the KL of two fixed-variance Gaussians):
/// sum_b alpha_b |F(phi_l(s_b)) - F(phi_g(s_b))|^2, gradient with respect to theta_l;
/// `batch.obs` is the local (privileged) observation, `batch.target` the global plans and
/// `batch.weight` alpha_i (0 where the global policy does not succeed on region i yet).
inline double pull_loss(const policy::Policy& local, policy::PolicyWorkspace& ws, const TrajectoryBatch& batch,
                        double h, Eigen::VectorXd* gradient)
{
    return trajectory_loss(local, ws, batch, h, gradient);
}

} // namespace podsim::pods::hndp
