// The input Jacobian of a policy by batched vector-Jacobian products (see policy_jacobian.hpp).
#include "pods/diagnose/policy_jacobian.hpp"

namespace podsim::pods {

PolicyInputJacobian policy_input_jacobian(const policy::Policy& policy, const Eigen::VectorXd& obs,
                                          const Eigen::VectorXd& handle_velocity)
{
    const int rows = policy.horizon() * policy.n_act();
    // one batch column per plan entry, all with the same input
    const Eigen::MatrixXd o = obs.replicate(1, rows);
    const Eigen::MatrixXd hv = handle_velocity.replicate(1, rows);
    Eigen::MatrixXd plan, d_obs, d_hv;
    Eigen::VectorXd d_params;
    const std::unique_ptr<policy::PolicyWorkspace> ws = policy.make_workspace();
    policy.act(o, hv, plan, *ws);
    // cotangent e_r in column r: column r of d_obs is d plan_r / d obs
    const Eigen::MatrixXd identity = Eigen::MatrixXd::Identity(rows, rows);
    policy.vjp(*ws, identity, d_params, &d_obs, &d_hv);
    return {d_obs.transpose(), d_hv.transpose()};
}

} // namespace podsim::pods
