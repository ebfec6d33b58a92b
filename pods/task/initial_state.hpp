#pragma once
// Initial-state samplers of a task (used for training, evaluation and `simulate
// --sample-initial`): `swing` rigidly rotates the free nodes about the first handle, `perturb`
// offsets listed nodes.

#include "pods/task/task.hpp"
#include "sim/state.hpp"

#include <cstdint>

namespace podsim::pods {

/// Samples z_0 with the task's sampler from `seed` (same seed, same state). `nominal` returns
/// the scene's state.
///  swing: angle th ~ U(angle), rate w ~ U(angular_velocity); every free node is rotated by th
///    about the first handle (2D: in plane; 3D: about a horizontal axis, i.e. perpendicular to
///    gravity, at a uniformly random azimuth), its nominal velocity rotated with it, plus the
///    rigid velocity w x r. Spring lengths are unchanged.
///  perturb: listed nodes get independent uniform offsets in +-position and +-velocity per axis.
sim::State sample_initial_state(const sim::Model& model, const Task& task, std::uint64_t seed);

} // namespace podsim::pods
