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
    /// samples and those of the fit_replay epochs before it, then guard_fit when
    /// config.fit_guard > 0.
    EpochStats epoch(int epoch, const EpochContext& ctx) override;

    /// With fit_replay > 0: {"fit_replay": [the kept epochs' samples, oldest first]}, each
    /// {"samples", "obs", "hv", "target", "weight", "metric"} (base64 doubles, column-major;
    /// "metric" empty without one); null without a replay.
    nlohmann::json state_json() const override;
    /// Restores state_json(): at most fit_replay epochs of samples of this policy's sizes.
    void restore(const common::JsonNode& node) override;

    /// The epochs' samples the next fit replays, oldest first (at most fit_replay).
    const std::vector<RegressionData>& replay() const { return m_replay; }

private:
    /// config.fit_guard: checks the refitted policy against the one before the fit (`before`, its
    /// Adam `adam_before`) on the epoch's initial states; halves the change or reverts it.
    void guard_fit(const EpochContext& ctx, std::span<const sim::State> initial, const Eigen::VectorXd& before,
                   const policy::Adam& adam_before, EpochStats& s);

    int m_replay_epochs = 0;              // config.fit_replay
    int m_obs = 0, m_act = 0, m_horizon = 1; // the policy's sizes, for restore
    std::vector<RegressionData> m_replay; // the last m_replay_epochs epochs' samples, oldest first

    // per-trajectory buffers, reused across epochs
    std::vector<PodsGroupResult> m_groups;
    std::vector<PodsGroupResult> m_guard; // fit_guard's check rollouts
};

} // namespace podsim::pods
