#pragma once
// A multi-dimensional DMP (one layer row per dimension, shared phase): the object stored in a DMP
// JSON file, fitted from a demonstration and rolled out by `podsim dmp`.

#include "policy/dmp.hpp"

#include <string>
#include <vector>

namespace podsim::policy {

struct DmpModel {
    DmpConfig config;
    DmpParams params; ///< rows = dimensions; weights dim x basis
    std::vector<std::string> names; ///< optional dimension names (from the demonstration)

    int dim() const { return params.rows(); }
};

/// Integrates the model (positions, velocities, accelerations at steps + 1 samples).
DmpTrajectory rollout(const DmpModel& dmp);

/// Warnings for numerically suspicious but valid models (libraries never print; apps/ does):
/// unstable Euler steps (dt > 2 tau / alpha) and goal scaling with goal == y0 in a dimension
/// with non-zero weights (the forcing term vanishes there).
std::vector<std::string> dmp_warnings(const DmpModel& dmp);

} // namespace podsim::policy
