#pragma once
// Hard limits on policy and DMP sizes, checked up front so absurd input fails fast with a clear
// message instead of exhausting memory.

#include <cstdint>

namespace podsim::policy {

inline constexpr int kMaxLayerWidth = 4096;
inline constexpr int kMaxHiddenLayers = 16;
inline constexpr int kMaxPolicyInputs = 100000;
/// Largest network (weights + biases, ~80 MB per copy; Adam keeps three more vectors of this size).
inline constexpr std::int64_t kMaxPolicyParameters = 10'000'000;
inline constexpr int kMaxDmpBasis = 1000;
inline constexpr int kMaxDmpSteps = 1'000'000;
inline constexpr int kMaxDmpDims = 64;
inline constexpr int kMaxDmpRows = 1'000'000;
/// Largest per-call DMP matrix, rows x (stages + 1) doubles (~200 MB; stages = steps for Euler,
/// 4 steps for RK4): bounds the trajectories and the per-stage kernel sums.
inline constexpr std::int64_t kMaxDmpTrajectoryDoubles = 25'000'000;
/// Largest precomputed kernel table, basis x (stages + 1) doubles (~80 MB each).
inline constexpr std::int64_t kMaxDmpKernelTable = 10'000'000;
/// Accepted DMP constants: alpha, beta and tau in [kMinDmpConstant, kMaxDmpConstant], a_x in
/// [kMinDmpConstant, kMaxDmpPhaseDecay] (also the range of a demonstration's duration).
inline constexpr double kMinDmpConstant = 1e-6;
inline constexpr double kMaxDmpConstant = 1e6;
inline constexpr double kMaxDmpPhaseDecay = 1e3;
inline constexpr int kMaxDemoSamples = 1'000'000;
inline constexpr int kMaxNdpHorizon = 1000;
inline constexpr int kMaxNdpSubsteps = 1000;

} // namespace podsim::policy
