#pragma once
// PODS (PODS paper Algorithm 1; docs/training.md): closed-loop rollouts, box-aware improvement of
// every trajectory (second order for pods2, first order for pods1), regression of the policy on
// the improved actions, and optionally the fit guard's closed-loop checks of the refitted policy.

#include "pods/train/learner.hpp"
#include "pods/train/pods_rollouts.hpp"

#include <span>
#include <vector>

namespace podsim::pods {

class PodsLearner : public Learner {
public:
    /// The policy's Adam: learning rate fit_lr.
    static policy::AdamConfig policy_adam(const TrainConfig& config);

    /// pods_rollouts of ctx.initial (improvement order from ctx.config.method), then fit_steps
    /// Adam steps of the regression (minibatches from (seed, kFitStream, epoch)), then guard_fit
    /// when config.fit_guard > 0.
    EpochStats epoch(int epoch, const EpochContext& ctx) override;

private:
    /// config.fit_guard: checks the refitted policy against the one before the fit (`before`, its
    /// Adam `adam_before`) on the epoch's initial states; halves the change or reverts it.
    void guard_fit(const EpochContext& ctx, std::span<const sim::State> initial, const Eigen::VectorXd& before,
                   const policy::Adam& adam_before, EpochStats& s);

    // per-trajectory buffers, reused across epochs
    std::vector<PodsGroupResult> m_groups;
    std::vector<PodsGroupResult> m_guard; // fit_guard's check rollouts
};

} // namespace podsim::pods
