#pragma once
// BPTT (docs/training.md): the gradient of the batch's mean closed-loop cost through the
// simulator (optionally truncated to a window of steps), one Adam step per epoch.

#include "pods/train/closed_loop.hpp"
#include "pods/train/learner.hpp"

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

} // namespace podsim::pods
