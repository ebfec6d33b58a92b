#pragma once
// Hard limits on user input, checked before anything is allocated, so absurd sizes fail in
// milliseconds with a clear message instead of exhausting memory.

#include <cstdint>

namespace podsim::common {

inline constexpr int kMaxNodes = 200000;
inline constexpr int kMaxSprings = 2000000;
inline constexpr int kMaxHorizon = 100000;
inline constexpr int kMaxRopeSegments = 100000;
inline constexpr int kMaxClothSide = 1000;
inline constexpr double kMinDt = 1e-6;
inline constexpr double kMaxDt = 1.0;
/// Largest number of doubles a rollout may store: horizon x state size (about 1.6 GB).
inline constexpr std::int64_t kMaxRolloutDoubles = 200'000'000;

} // namespace podsim::common
