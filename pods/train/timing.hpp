#pragma once
// The steady clock and the seconds between two of its instants: the time split of an epoch
// (EpochStats' *_s fields) as every training method measures it.

#include <chrono>

namespace podsim::pods {

using Clock = std::chrono::steady_clock;

/// Seconds from `a` to `b`.
inline double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

} // namespace podsim::pods
