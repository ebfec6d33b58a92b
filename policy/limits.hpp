#pragma once
// Hard limits on policy and DMP sizes, checked up front so absurd input fails fast with a clear
// message instead of exhausting memory.

#include <cstdint>

namespace podsim::policy {

inline constexpr int kMaxLayerWidth = 4096;
inline constexpr int kMaxHiddenLayers = 16;
inline constexpr int kMaxPolicyInputs = 100000;
inline constexpr int kMaxDmpBasis = 1000;
inline constexpr int kMaxDmpSteps = 1'000'000;
inline constexpr int kMaxDmpDims = 64;
inline constexpr int kMaxDmpRows = 1'000'000;
/// Largest number of doubles one trajectory matrix (rows x (steps + 1)) may hold (~200 MB).
inline constexpr std::int64_t kMaxDmpTrajectoryDoubles = 25'000'000;
inline constexpr int kMaxDemoSamples = 1'000'000;
inline constexpr int kMaxNdpHorizon = 1000;
inline constexpr int kMaxNdpSubsteps = 1000;

} // namespace podsim::policy
