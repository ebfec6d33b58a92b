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

class PodsLearner : public Learner {
public:
    /// A learner for `policy`'s sizes that replays config.fit_replay earlier epochs' samples.
    PodsLearner(const TrainConfig& config, const policy::Policy& policy);

    /// The policy's Adam: learning rate fit_lr.
    static policy::AdamConfig policy_adam(const TrainConfig& config);

    /// pods_rollouts of ctx.initial (improvement order from ctx.config.method), then fit_steps
    /// Adam steps of the regression (minibatches from (seed, kFitStream, epoch)) on this epoch's
    /// samples and those of the fit_replay epochs before it (their targets moved with the policy
    /// by fit_replay_follow: followed_targets), then guard_fit when config.fit_guard > 0.
    EpochStats epoch(int epoch, const EpochContext& ctx) override;

    /// With fit_replay > 0: {"fit_replay": [{"epoch", "parameters"}, ...]}, oldest first: the
    /// kept epochs' indices and the parameters of the policy that ran them (base64 doubles), from
    /// which the samples are made again; null without a replay.
    nlohmann::json state_json() const override;
    /// Restores state_json() (at most fit_replay epochs in increasing order, this policy's
    /// parameter count); the next epoch() makes their samples again, by the same rollouts and
    /// improvements, before its own (not counted in its statistics).
    void restore(const common::JsonNode& node) override;

    /// The epochs' samples the next fit replays, oldest first (at most fit_replay; empty between
    /// restore() and the next epoch()).
    const std::vector<RegressionData>& replay() const { return m_replay; }

private:
    /// config.fit_guard: checks the refitted policy against the one before the fit (`before`, its
    /// Adam `adam_before`) on the epoch's initial states; halves the change or reverts it.
    void guard_fit(const EpochContext& ctx, std::span<const sim::State> initial, const Eigen::VectorXd& before,
                   const policy::Adam& adam_before, EpochStats& s);

    /// One epoch's samples: the improvements of `policy`'s rollouts from `initial`, normalised.
    RegressionData epoch_samples(const EpochContext& ctx, const policy::Policy& policy,
                                 std::span<const sim::State> initial, EpochStats* stats);

    /// Where a kept epoch's samples came from.
    struct ReplaySource {
        int epoch = 0;
        Eigen::VectorXd parameters; ///< the policy's at the start of that epoch
    };

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
