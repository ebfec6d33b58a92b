#pragma once
// The Policy interface shared by the MLP and NDP heads (docs/design.md section 5): batched actions from
// observations, a flat parameter vector, vector-Jacobian products for PODS regression and BPTT.
// JSON save / load lives in policy_io.hpp.

#include <Eigen/Core>

#include <memory>
#include <string>

namespace podsim::policy {

/// Per-thread scratch of one policy: what vjp() needs from the last act(). Create it with
/// Policy::make_workspace(); one per thread, reused across calls.
struct PolicyWorkspace {
    virtual ~PolicyWorkspace() = default;
};

/// A deterministic policy a = pi(o; theta).
/// Shapes (B = batch size, one column per sample):
///   obs              n_obs x B, the task's observation [p - handle_target, x - target, v]
///                    (handles first, then payload nodes) as the task produces it; the network
///                    multiplies it by its fixed input_scale, and the NDP head reads the handle
///                    positions as obs[handle_offset + d] / handle_scale (physical units);
///   handle_velocity  n_act x B, current handle velocities (the last action); read by the NDP
///                    head as the DMP's initial velocity, ignored by the MLP; an empty matrix
///                    means zero;
///   actions          (horizon * n_act) x B, step-major: rows [j n_act, (j + 1) n_act) are the
///                    handle velocities of step j of the plan (horizon 1 for the MLP, k for NDP).
class Policy {
public:
    virtual ~Policy() = default;

    virtual std::string type() const = 0; ///< "mlp" or "ndp"
    virtual int n_obs() const = 0;
    virtual int n_act() const = 0;
    virtual int horizon() const = 0;
    virtual int n_params() const = 0;
    virtual const Eigen::VectorXd& parameters() const = 0;
    virtual void set_parameters(const Eigen::VectorXd& p) = 0;
    virtual std::unique_ptr<Policy> clone() const = 0;
    virtual std::unique_ptr<PolicyWorkspace> make_workspace() const = 0;
    /// A workspace for one decision of a tape (act() once per decision, vjp() later, one
    /// decision at a time): vjp()'s scratch lives in `scratch`, a workspace of this policy that
    /// outlives the tape, so the tape's workspaces share one copy of it, which stays in cache.
    /// The default is make_workspace().
    virtual std::unique_ptr<PolicyWorkspace> make_tape_workspace(PolicyWorkspace& scratch) const
    {
        (void)scratch;
        return make_workspace();
    }

    /// Actions for a batch; `ws` keeps what vjp() needs.
    virtual void act(const Eigen::MatrixXd& obs, const Eigen::MatrixXd& handle_velocity, Eigen::MatrixXd& actions,
                     PolicyWorkspace& ws) const = 0;

    /// Vector-Jacobian products of the last act() with `ws`: given dL/dactions (same shape as the
    /// actions) writes dL/dtheta (n_params, summed over the batch) and, when not null, dL/dobs
    /// (n_obs x B) and dL/dhandle_velocity (n_act x B). Never modifies the parameters. With
    /// `accumulate`, dL/dtheta is added to d_params (n_params already) instead of written: the
    /// same bits as writing it into a scratch vector and adding that.
    virtual void vjp(PolicyWorkspace& ws, const Eigen::MatrixXd& d_actions, Eigen::VectorXd& d_params,
                     Eigen::MatrixXd* d_obs, Eigen::MatrixXd* d_handle_velocity, bool accumulate = false) const = 0;
};

} // namespace podsim::policy
