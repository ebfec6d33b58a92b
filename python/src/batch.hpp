#pragma once
// Batched rollouts and single steps with their adjoints, for podsim.torch (docs/python.md):
// OpenMP over the batch, one pooled simulator per thread, every item independent of the others
// and of the thread count. Arrays are raw C-ordered float64 buffers owned by the caller (numpy),
// filled without the GIL.
//
// Flat simulator state of the step functions, per item: z = [x, v, x_prev, v_prev, p]
// (n_z = 4 n_x + n_p; free nodes and handles in scene-file order, dim components each).

#include "python/src/scene_data.hpp"

#include <string>
#include <vector>

namespace podsim::python {

/// What the forward pass of a batched rollout keeps for its adjoint.
struct RolloutTape {
    SceneHandle scene;
    int steps = 0;
    std::vector<std::vector<sim::State>> states; ///< per item: z_0 .. z_N
    std::vector<Eigen::MatrixXd> applied;        ///< per item: n_a x N, clamped actions
    std::vector<Eigen::MatrixXd> pass;           ///< per item: 1 where the action was inside the limit, else 0
};

/// Rolls out `batch` action sequences (B, N, n_a) from `initial` (one state per item) and writes
/// positions and velocities (B, N+1, n_nodes, dim) and rewards (B, N+1) as Scene.simulate does.
/// Throws common::RuntimeFailure "batch item b: step t: ..." when Newton fails.
RolloutTape rollout_batch(const SceneHandle& scene, const double* actions, int batch, int steps,
                          const std::vector<sim::State>& initial, int threads, double* positions,
                          double* velocities, double* rewards);

/// The adjoint of rollout_batch: from the cotangents of its three outputs (same shapes), writes
/// the cotangent of the actions (B, N, n_a), zero where an action was clamped.
void rollout_batch_adjoint(const RolloutTape& tape, const double* bar_positions, const double* bar_velocities,
                           const double* bar_rewards, int threads, double* bar_actions);

/// Length of the flat state.
int flat_state_size(const sim::Model& model);
/// The flat states (B, n_z) of initial states.
void write_flat_states(const sim::Model& model, const std::vector<sim::State>& z, double* flat);

/// One step of every item: z_next (B, n_z) from z (B, n_z) after `t` steps (t = 0: BDF1) under
/// actions (B, n_a), clamped to the limit. Throws common::RuntimeFailure naming the item.
void step_batch(const SceneData& scene, const double* z, const double* actions, int batch, int t, int threads,
                double* z_next);

/// The adjoint of step_batch: from bar_z_next (B, n_z) writes bar_z (B, n_z) and bar_actions
/// (B, n_a) (zero where clamped). z_next must be step_batch's result for the same inputs.
void step_batch_adjoint(const SceneData& scene, const double* z, const double* actions, const double* z_next,
                        const double* bar_z_next, int batch, int t, int threads, double* bar_z, double* bar_actions);

} // namespace podsim::python
