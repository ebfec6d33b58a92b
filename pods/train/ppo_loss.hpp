#pragma once
// PPO's clipped surrogate with its entropy bonus and the value regression (Schulman et al. 2017;
// docs/training.md), and their exact gradients. For a minibatch of M decisions with probability
// ratio rho_i = exp(log pi(u_i | o_i) - log pi_old(u_i | o_i)) and normalised advantage A_i,
//   L_pi = -1/M sum_i min(rho_i A_i, clip(rho_i, 1 - eps, 1 + eps) A_i) - c_H 1/M sum_i H_i
//   L_V  = 1/(2M) sum_i (V(x_i) - R_i)^2
// The policy is the Gaussian N(pi(o, a_prev; theta), diag(exp(2 log_std))): the deterministic
// policy gives the mean of every plan entry, one log-std per action dimension shared by the k
// entries of an NDP plan. Minibatches are split into fixed chunks of kFitChunk decisions whose
// gradients are summed in chunk order (OpenMP over chunks): results do not depend on the threads.

#include "policy/mlp.hpp"
#include "policy/policy.hpp"

#include <Eigen/Core>

#include <memory>
#include <span>
#include <vector>

namespace podsim::pods {

/// The decisions of one PPO batch, one column each.
struct PpoSamples {
    Eigen::MatrixXd obs;        ///< n_obs x S, the policy's observation
    Eigen::MatrixXd hv;         ///< n_a x S, its velocity input (the last applied action)
    Eigen::MatrixXd action;     ///< (k n_a) x S, the sampled plan before clamping
    Eigen::MatrixXd weight;     ///< (k n_a) x S, 1, or 0 for plan entries past the horizon
    Eigen::MatrixXd value_in;   ///< value-network input x S
    Eigen::VectorXd log_prob;   ///< S, log pi_old(action | obs)
    Eigen::VectorXd advantage;  ///< S, normalised
    Eigen::VectorXd target;     ///< S, value target R

    int size() const { return int(obs.cols()); }
};

struct PpoLossSettings {
    double clip = 0.2;     ///< eps
    double entropy = 0.0;  ///< c_H
};

/// The value and diagnostics of L_pi on one minibatch.
struct PpoLoss {
    double loss = 0;
    double entropy = 0;        ///< mean entropy per decision
    double approx_kl = 0;      ///< mean of (rho - 1) - log rho, an estimate of KL(old || new)
    double clip_fraction = 0;  ///< fraction of decisions with |rho - 1| > eps
};

/// Per-thread scratch of the loss evaluations.
struct PpoLossWorkspace {
    std::unique_ptr<policy::PolicyWorkspace> policy;
    policy::MlpWorkspace value;
};

/// One workspace per thread for `policy`.
std::vector<PpoLossWorkspace> ppo_loss_workspaces(const policy::Policy& policy, int threads);

/// L_pi over the decisions `picked` of `data` and its gradients dL/dtheta (n_params) and
/// dL/dlog_std (n_a).
PpoLoss ppo_policy_loss(const policy::Policy& policy, const Eigen::VectorXd& log_std, const PpoSamples& data,
                        std::span<const int> picked, const PpoLossSettings& settings, std::span<PpoLossWorkspace> ws,
                        Eigen::VectorXd& d_params, Eigen::VectorXd& d_log_std);

/// L_V over the decisions `picked` and its gradient with respect to the value network's parameters.
double ppo_value_loss(const policy::Mlp& value, const PpoSamples& data, std::span<const int> picked,
                      std::span<PpoLossWorkspace> ws, Eigen::VectorXd& d_params);

/// log_std (n_a) repeated for the k entries of a plan.
Eigen::VectorXd plan_log_std(const Eigen::VectorXd& log_std, int k);

} // namespace podsim::pods
