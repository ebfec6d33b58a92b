#pragma once
// PODS (PODS paper Algorithm 1; docs/training.md): closed-loop rollouts, box-aware improvement of
// every trajectory (second order for pods2, first order for pods1), regression of the policy on
// the improved actions (with a replay of earlier epochs' samples, config.fit_replay), and
// optionally the fit guard's closed-loop checks of the refitted policy.

#include "pods/train/learner.hpp"
#include "pods/train/pods_rollouts.hpp"
#include "pods/train/regression.hpp"

#include <span>
#include <vector>

namespace podsim::pods {

/// The adaptive damping's rule (TrainConfig::pods_damping, training.md "An adaptive damping where
/// the search is open loop"): the next epoch's `mu` after an epoch at `mu` whose mean accepted
/// line-search step was `alpha_mean`: 4 mu below 0.9 (at most kMaxAdaptiveDamping), mu / 2 (not
/// below `floor`, the configured mu) at 0.99 or above, else mu.
double next_damping(double mu, double alpha_mean, double floor);
inline constexpr double kMaxAdaptiveDamping = 1e6;

class PodsLearner : public Learner {
public:
    /// A learner for `policy`'s sizes that replays config.fit_replay earlier epochs' samples and
    /// starts from config.mu.
    PodsLearner(const TrainConfig& config, const policy::Policy& policy);

    /// The policy's Adam: learning rate fit_lr.
    static policy::AdamConfig policy_adam(const TrainConfig& config);

    /// pods_rollouts of ctx.initial (improvement order from ctx.config.method, damping mu()),
    /// then fit_steps Adam steps of the regression (minibatches from (seed, kFitStream, epoch)) on
    /// this epoch's samples and those of the fit_replay epochs before it (their targets moved with
    /// the policy by fit_replay_follow: followed_targets), then guard_fit when config.fit_guard >
    /// 0, then the adaptive damping's next_damping where the search was open loop.
    EpochStats epoch(int epoch, const EpochContext& ctx) override;

    /// {"fit_replay": [{"epoch", "parameters"[, "mu"]}, ...], "mu"}: with fit_replay > 0 the kept
    /// epochs, oldest first (their indices, the parameters of the policy that ran them as base64
    /// doubles, and with the adaptive damping their mu), from which the samples are made again;
    /// with the adaptive damping the next epoch's mu. Null with neither.
    nlohmann::json state_json() const override;
    /// Restores state_json() (at most fit_replay epochs in increasing order, this policy's
    /// parameter count, mu in [config mu, kMaxAdaptiveDamping]); the next epoch() makes the kept
    /// epochs' samples again, by the same rollouts and improvements, before its own (not counted
    /// in its statistics).
    void restore(const common::JsonNode& node) override;

    /// The damping of the next epoch's improvement.
    double mu() const { return m_mu; }

    /// The epochs' samples the next fit replays, oldest first (at most fit_replay; empty between
    /// restore() and the next epoch()).
    const std::vector<RegressionData>& replay() const { return m_replay; }

private:
    /// config.fit_guard: checks the refitted policy against the one before the fit (`before`, its
    /// Adam `adam_before`) on the epoch's initial states; halves the change or reverts it.
    void guard_fit(const EpochContext& ctx, std::span<const sim::State> initial, const Eigen::VectorXd& before,
                   const policy::Adam& adam_before, EpochStats& s);

    /// One epoch's samples: the improvements (damping `mu`) of `policy`'s rollouts from
    /// `initial`, normalised.
    RegressionData epoch_samples(const EpochContext& ctx, const policy::Policy& policy,
                                 std::span<const sim::State> initial, double mu, EpochStats* stats);

    /// Where a kept epoch's samples came from.
    struct ReplaySource {
        int epoch = 0;
        Eigen::VectorXd parameters; ///< the policy's at the start of that epoch
        double mu = 0;              ///< the damping of its improvement
    };

    bool m_adaptive = false;               // config.pods_damping is adaptive (and the method pods2)
    double m_floor = 0;                    // config.mu
    double m_mu = 0;                       // the next epoch's damping
    int m_replay_epochs = 0;               // config.fit_replay
    double m_follow = 0;                   // config.fit_replay_follow
    std::vector<Eigen::MatrixXd> m_then;   // with m_follow > 0: the outputs on each kept epoch's samples of
                                           // the policy that ran it
    int m_params = 0;                      // the policy's parameter count, for restore
    std::vector<ReplaySource> m_sources;   // the kept epochs, oldest first
    std::vector<RegressionData> m_replay;  // their samples (empty after restore until the next epoch)

    // per-trajectory buffers, reused across epochs
    std::vector<PodsGroupResult> m_groups;
    std::vector<PodsGroupResult> m_guard; // fit_guard's check rollouts
};

} // namespace podsim::pods
