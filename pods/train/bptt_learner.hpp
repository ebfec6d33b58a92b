#pragma once
// BPTT (docs/training.md): the gradient of the batch's mean closed-loop cost through the
// simulator (optionally truncated to a window of steps), one Adam step per epoch.

#include "pods/train/closed_loop.hpp"
#include "pods/train/learner.hpp"

#include <span>
#include <string>
#include <vector>

namespace podsim::pods {

class BpttLearner : public Learner {
public:
    /// The policy's Adam: learning rate bptt_lr, global gradient-norm clip clip_norm.
    static policy::AdamConfig policy_adam(const TrainConfig& config);

    /// Closed-loop rollouts of ctx.initial with their tapes, the reverse pass of each (window
    /// config.truncation), the mean gradient over the successful trajectories, one Adam step.
    EpochStats epoch(int epoch, const EpochContext& ctx) override;

private:
    // per-trajectory rollouts and per-batch gradient sums, reused across epochs
    std::vector<ClosedLoopRollout> m_rollouts;
    std::vector<Eigen::VectorXd> m_gradients;
};

/// The statistics of an epoch of rollouts with gradients (BPTT, SHAC), in trajectory order: each
/// trajectory's simulated steps and its rollout and reverse-pass seconds (rollout_s, gradient_s,
/// per trajectory) into `stats`; a failed rollout, or one whose reverse pass left it out
/// (errors[i] not empty), into failed and failures; the others' returns summed into
/// train_return (not divided). Returns the successful trajectories.
std::vector<int> tally_gradient_rollouts(std::span<const ClosedLoopRollout> rollouts,
                                         const std::vector<std::string>& errors, const std::vector<double>& rollout_s,
                                         const std::vector<double>& gradient_s, int horizon, EpochStats& stats);

} // namespace podsim::pods
