#pragma once
// Deterministic random numbers for policy initialisation: std::mt19937_64 with explicit seeds and
// our own conversion to doubles (standard distributions differ across library implementations).

#include <cstdint>
#include <random>

namespace podsim::policy {

/// Uniform double in [lo, hi) from 53 random bits.
inline double uniform(std::mt19937_64& rng, double lo, double hi)
{
    const double unit = double(rng() >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * unit;
}

} // namespace podsim::policy
