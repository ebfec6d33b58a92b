#pragma once
// SAC's losses (Haarnoja et al. 2018, with the automatic temperature of "Soft Actor-Critic
// Algorithms and Applications"; docs/training.md) and their exact gradients, for a minibatch of
// M transitions (s, a, r, s'):
//   y     = r + gamma (1 - done) (min_i Qbar_i(s', a') - alpha log pi(a' | s')),  a' ~ pi(. | s')
//   L_Q   = 1/(2M) sum_j [(Q_1(s_j, a_j) - y_j)^2 + (Q_2(s_j, a_j) - y_j)^2]
//   L_pi  = 1/M sum_j [alpha log pi(a~_j | s_j) - min_i Q_i(s_j, a~_j)],     a~_j ~ pi(. | s_j)
//   L_alpha = -log(alpha) (mean_j log pi(a~_j | s_j) + H_target)
// The policy is the tanh-squashed Gaussian over the MLP head: u = z(o) + sigma .* eps with z the
// network's output before its tanh, sigma = exp(log_std) learned and state-independent, and the
// action a = a_max tanh(u) (the deterministic policy a_max tanh(z) is the MLP head itself).
// log pi is the density of a / a_max in (-1, 1)^n_a:
//   log pi = sum_c [-eps_c^2 / 2 - log_std_c - log(2 pi) / 2 - log(1 - tanh(u_c)^2)].
// Minibatches are split into fixed chunks of kFitChunk transitions whose sums are added in chunk
// order (OpenMP over chunks): results do not depend on the thread count.

#include "policy/mlp.hpp"

#include <Eigen/Core>

#include <span>
#include <vector>

namespace podsim::pods {

/// A minibatch of transitions, one column each. The critics' state is [o_t, a_{t-1}, 2 t / N - 1]
/// (the observation, the handle velocity and the time to go of the finite horizon), their input
/// [state, action].
struct SacBatch {
    Eigen::MatrixXd obs;        ///< n_obs x M, o_t: the policy's input
    Eigen::MatrixXd state;      ///< n_s x M, the critics' state at s_t
    Eigen::MatrixXd action;     ///< n_a x M, the applied a_t (physical units)
    Eigen::VectorXd reward;     ///< M, r_t = -c_t (the last step's includes the terminal cost)
    Eigen::VectorXd not_done;   ///< M, 1, or 0 for the last step of an episode (no bootstrap)
    Eigen::MatrixXd next_obs;   ///< n_obs x M, o_{t+1} (o_t where done: finite, multiplied by 0)
    Eigen::MatrixXd next_state; ///< n_s x M, the critics' state at s_{t+1}
    Eigen::MatrixXd eps;        ///< n_a x M, standard normal draws of the actor's samples at s_t
    Eigen::MatrixXd next_eps;   ///< n_a x M, the same at s_{t+1} (the targets)

    int size() const { return int(obs.cols()); }
};

/// The actor: its network (the MLP head with a linear output, z = its pre-tanh output), the
/// log-std and the action limit a_max.
struct SacActor {
    const policy::Mlp& net;
    const Eigen::VectorXd& log_std;
    double limit;
};

/// Per-thread scratch of the loss evaluations.
struct SacLossWorkspace {
    policy::MlpWorkspace actor, q1, q2;
};

/// log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2 u)), without cancellation for large |u|.
double log1m_tanh_squared(double u);

/// Actions a = a_max tanh(z + sigma .* eps) (n_a x B) and their log-densities log pi (B) for the
/// pre-tanh means `z` and the noise `eps` (n_a x B).
void squashed_gaussian_sample(const Eigen::MatrixXd& z, const Eigen::VectorXd& log_std, const Eigen::MatrixXd& eps,
                              double limit, Eigen::MatrixXd& action, Eigen::VectorXd& log_prob);

/// The targets y (M) of the critics' regression, with the actor's samples at s' (next_eps) and
/// the target networks.
void sac_targets(const SacActor& actor, const policy::Mlp& target1, const policy::Mlp& target2, const SacBatch& batch,
                 double alpha, double gamma, std::span<SacLossWorkspace> ws, Eigen::VectorXd& y);

/// L_Q for the targets `y` and its gradients with respect to each critic's parameters.
double sac_critic_loss(const policy::Mlp& q1, const policy::Mlp& q2, const SacBatch& batch, const Eigen::VectorXd& y,
                       std::span<SacLossWorkspace> ws, Eigen::VectorXd& d_q1, Eigen::VectorXd& d_q2);

/// The value of L_pi and what the temperature's step reads.
struct SacActorLoss {
    double loss = 0;
    double log_prob = 0; ///< mean log pi of the samples a~
    double q = 0;        ///< mean min_i Q_i(s, a~)
};

/// L_pi with the actor's samples at s (eps) and its gradients with respect to the network's
/// parameters (n_params) and the log-std (n_a).
SacActorLoss sac_actor_loss(const SacActor& actor, const policy::Mlp& q1, const policy::Mlp& q2, const SacBatch& batch,
                            double alpha, std::span<SacLossWorkspace> ws, Eigen::VectorXd& d_params,
                            Eigen::VectorXd& d_log_std);

/// L_alpha at `log_alpha` for the mean log pi of the actor's samples (treated as a constant) and
/// the target entropy; writes dL/dlog_alpha = -(mean_log_prob + target_entropy).
double sac_temperature_loss(double log_alpha, double mean_log_prob, double target_entropy, double& d_log_alpha);

/// Polyak averaging of the target network: theta_target <- tau theta + (1 - tau) theta_target.
void polyak_update(const policy::Mlp& source, double tau, policy::Mlp& target);

} // namespace podsim::pods
