#pragma once
// The observation map of the closed loop (docs/design.md section 4): what a policy sees of the
// simulator state, separate from the cost's state selection, with its transpose for BPTT.

#include "pods/task/task.hpp"
#include "sim/sensitivity.hpp"
#include "sim/state.hpp"

#include <Eigen/Core>

namespace podsim::pods {

/// obs = O(z) = [p - p*, x_payload - x*, v_payload] (handles, then payload positions, then payload
/// velocities; length n_p + 2 d n_payload), physical units. The policy network multiplies it by
/// fixed per-entry factors (observation_scale) before its first layer.
struct ObservationMap {
    sim::StateSelection selection; ///< handles + payload nodes
    Eigen::VectorXd offset;        ///< [p*, x*, 0]

    int size(const sim::Model& model) const { return selection.size(model); }
    /// obs = O(z), written into `obs` (length size()); no allocation.
    void observe(const sim::Model& model, const sim::State& z, Eigen::Ref<Eigen::VectorXd> obs) const;
    /// bar_z += O^T bar_obs (O is a selection: the transpose scatters).
    void add_transpose(const sim::Model& model, const Eigen::Ref<const Eigen::VectorXd>& bar_obs,
                       sim::StateTangent& bar_z) const;
};

ObservationMap observation_map(const sim::Model& model, const Task& task);

/// The whole state as an observation: the handles and every free node's position and velocity
/// (offsets: the handle target, each node's nominal position). SHAC's critic reads it: the value
/// of a rope's state depends on all its nodes, which the policy's observation leaves out.
ObservationMap state_observation_map(const sim::Model& model, const Task& task);

/// observation_scale's factors for state_observation_map (the same length and speed scales).
Eigen::VectorXd state_observation_scale(const sim::Model& model, const Task& task);

/// Fixed input factors for the policy network, from the task: positions divided by the length
/// scale L (the larger of the model's nominal bounding-box diagonal and the largest distance of a
/// payload node from the first handle), velocities by sqrt(|g| L) (the pendulum speed scale; the
/// action limit when there is no gravity).
Eigen::VectorXd observation_scale(const sim::Model& model, const Task& task);

} // namespace podsim::pods
