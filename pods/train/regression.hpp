#pragma once
// The PODS regression step (PODS paper eq. 7-9): the policy is fitted with Adam to the improved
// actions at the states of the re-simulated improved trajectories,
//   L = 1/(2 M) sum_samples sum_j w_j |pi_j(o, a_prev) - a*_j|^2   per minibatch of M samples,
// or to the improvement's local feedback law in its Gauss-Newton metric (docs/training.md),
//   L = 1/(2 M) sum_samples sum_i r_i^T H_i r_i,  r_i = w_i .* (pi_i - a*_i - K_i (z_i - z*_i)),
// optionally with a proximal term that keeps the outputs near the policy's before the fit.

#include "pods/improve/box_step.hpp"
#include "pods/task/observation.hpp"
#include "pods/train/cluster.hpp"
#include "pods/train/train_config.hpp"
#include "policy/adam.hpp"
#include "policy/policy.hpp"
#include "sim/state.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace podsim::pods {

/// Regression samples, one column each. A sample is one decision: the observation, the policy's
/// velocity input (the previous improved action) and the k target actions (step-major, as the
/// policy's plan); `weight` is 0 for plan entries past the horizon.
struct RegressionData {
    Eigen::MatrixXd obs;     ///< n_obs x S
    Eigen::MatrixXd hv;      ///< n_a x S
    Eigen::MatrixXd target;  ///< (k n_a) x S
    Eigen::MatrixXd weight;  ///< (k n_a) x S, 1 or 0
    /// empty (the Euclidean metric) or (k n_a n_a) x S: per plan step i the symmetric positive
    /// definite n_a x n_a block H_i, column-major in rows [i n_a^2, (i + 1) n_a^2)
    Eigen::MatrixXd metric;

    int size() const { return int(obs.cols()); }
};


/// The samples of one improved trajectory (states z_0..z_N of `actions`, n_a x N): one per decision
/// step t = 0, k, 2k, ... of a policy with plan length k.
RegressionData regression_samples(const sim::Model& model, const ObservationMap& obs_map,
                                  const std::vector<sim::State>& states, const Eigen::MatrixXd& actions, int k);

/// The samples of one improvement: regression_samples of the improved trajectory (states z*,
/// `actions` a*), and with kFeedback and a non-empty `law` one sample per decision at the policy's
/// own rollout (`own_states` z_0..z_N, `own_actions` its applied actions, the velocity input of its
/// decisions) with the targets clamp(a*_t + K_t (z_t - z*_t), -limit, limit). Where that target
/// differs from the law's linear prediction a_t + alpha k_t (`alpha` the accepted line-search step)
/// by more than max |a*_t - a_t|, the linearisation does not hold and the prediction is the target.
/// Components a*_t puts on a bound keep a*_t. With kControlHessian and a non-empty law every
/// sample carries H_uu of its plan steps. kOnPolicy keeps only the samples at the own states; with
/// an empty law their targets are the improved actions a*_t (kFeedback: the improved trajectory's
/// samples alone). `law` belongs to the step that turned
/// the own rollout into the improved one.
RegressionData improvement_samples(const sim::Model& model, const ObservationMap& obs_map,
                                   const std::vector<sim::State>& own_states, const Eigen::MatrixXd& own_actions,
                                   const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                   const FeedbackLaw& law, double alpha, int k, double limit, PodsTarget target,
                                   PodsMetric metric);

/// Divides the metric by the mean of tr(H_i) / n_a over the plan steps with weight (no-op without
/// a metric), so that the fit's learning rate means what it means with the Euclidean loss.
void normalize_metric(RegressionData& data);

/// `data` with each target moved by `follow` times the policy's change on its sample:
/// clamp(a* + follow (now - then), -limit, limit), `now` and `then` the policy's outputs on the
/// samples ((k n_a) x S) now and when the samples were made (PODS's replay with
/// TrainConfig::fit_replay_follow).
RegressionData followed_targets(const RegressionData& data, const Eigen::MatrixXd& now, const Eigen::MatrixXd& then,
                                double follow, double limit);

/// Concatenates per-trajectory samples in the given order.
RegressionData concatenate(const std::vector<RegressionData>& parts);

/// A further term of fit_policy's loss (H-NDP's pull toward the global policy, its behaviour
/// cloning): called once per Adam step after the minibatch's regression gradient is summed, with
/// the minibatch's sample indices into the data and their observations and velocity inputs
/// (columns); adds the term's gradient to `grad` and returns its value. It runs on every rank
/// with the same inputs, so it must be deterministic (the same bits for any thread count).
using FitExtraLoss = std::function<double(std::span<const int> picked, const Eigen::MatrixXd& obs,
                                          const Eigen::MatrixXd& hv, Eigen::VectorXd& grad)>;

/// `steps` Adam steps on minibatches of min(minibatch, S) samples drawn without replacement from a
/// permutation seeded by `seed` (reshuffled when exhausted). Returns the mean minibatch loss.
/// Each minibatch is split into fixed chunks of kFitChunk samples whose gradients are summed in
/// chunk order, OpenMP over chunks with one workspace per thread (`ws.size()` threads): the result
/// does not depend on the thread count. With a cluster every rank computes its own chunks (chunk
/// c on rank c mod R) and receives the others' gradients before the sum, so every rank takes the
/// same Adam steps, equal to one process's; every rank must pass the same data. With `extra` its
/// gradient is added before every Adam step (the returned mean is the regression loss alone).
///
/// `proximal` = beta > 0 adds the trust-region term of each minibatch
///   P = beta/(2 M) sum_samples sum_j w_j |pi_j(o, a_prev) - pi_old_j(o, a_prev)|^2
/// with pi_old the policy as passed in (its outputs on every sample are computed once, in
/// kFitChunk chunks, before the first step). Per sample the minimiser of L + P is the target
/// moved toward the old output, (a* + beta pi_old) / (1 + beta); the returned mean is L alone.
double fit_policy(policy::Policy& policy, policy::Adam& adam, const RegressionData& data, int steps, int minibatch,
                  std::uint64_t seed, std::span<const std::unique_ptr<policy::PolicyWorkspace>> ws,
                  const Cluster& cluster = Cluster(), const FitExtraLoss& extra = {}, double proximal = 0);

/// fit_policy on the samples of `parts` in order, as if concatenated (without the copy): sample
/// indices, minibatches and results are those of fit_policy on concatenate(parts) (parts without a
/// metric count with identity blocks when another has one). The parts' samples must agree in their
/// rows (empty parts aside; std::invalid_argument otherwise). PODS's replay of earlier epochs'
/// samples (TrainConfig::fit_replay) passes each epoch's samples as one part.
double fit_policy(policy::Policy& policy, policy::Adam& adam, std::span<const RegressionData* const> parts, int steps,
                  int minibatch, std::uint64_t seed, std::span<const std::unique_ptr<policy::PolicyWorkspace>> ws,
                  const Cluster& cluster = Cluster(), const FitExtraLoss& extra = {}, double proximal = 0);

/// One chunk's share of fit_policy's minibatch: over the samples of `data`,
///   L = 1/(2m) sum w |pi - a*|^2   and, with proximal = beta > 0,   P = beta/(2m) sum w |pi - anchor|^2
/// (`anchor`: pi_old on the samples, (k n_a) x S; unused when beta = 0). `grad` = d(L + P)/dtheta
/// (n_params); returns L, and P in *proximal_value. `m` is the whole minibatch's size.
double regression_gradient(const policy::Policy& policy, const RegressionData& data, const Eigen::MatrixXd& anchor,
                           double proximal, int m, policy::PolicyWorkspace& ws, Eigen::VectorXd& grad,
                           double* proximal_value = nullptr);

/// Samples per gradient chunk of fit_policy.
inline constexpr int kFitChunk = 64;

/// The loss L over all samples (one batched forward pass).
double regression_loss(const policy::Policy& policy, const RegressionData& data, policy::PolicyWorkspace& ws);

/// The policy's outputs on every sample, (k n_a) x S, computed in kFitChunk-sample chunks (OpenMP
/// over chunks, one workspace per thread): the same bits for any thread count.
Eigen::MatrixXd policy_outputs(const policy::Policy& policy, const RegressionData& data,
                               std::span<const std::unique_ptr<policy::PolicyWorkspace>> ws);

} // namespace podsim::pods
