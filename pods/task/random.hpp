#pragma once
// Deterministic random numbers: std::mt19937_64 with explicit seeds and our own conversion to
// doubles (the standard distributions are not specified bit-for-bit across libraries).

#include <Eigen/Core>

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace podsim::pods {

/// Uniform double in [lo, hi) from 53 random bits.
inline double uniform(std::mt19937_64& rng, double lo, double hi)
{
    const double unit = double(rng() >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * unit;
}

/// A seed for item `index` of stream `stream` derived from `seed` (SplitMix64 mixing), so
/// per-rollout generators do not depend on the order or thread they run in.
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream, std::uint64_t index = 0)
{
    std::uint64_t z = seed ^ (stream * 0x9E3779B97F4A7C15ull) ^ (index * 0xD1B54A32D192ED03ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// Fisher-Yates shuffle with the raw 64-bit generator (std::shuffle is not specified bit for bit).
inline void shuffle(std::vector<int>& v, std::mt19937_64& rng)
{
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[std::size_t(rng() % i)]);
}

/// An n_a x steps matrix of actions uniform in [-amplitude, amplitude] from `seed` (benchmarks
/// and tests use it as a fixed pseudo-random action sequence).
inline Eigen::MatrixXd random_actions(int n_a, int steps, double amplitude, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    Eigen::MatrixXd a(n_a, steps);
    for (Eigen::Index i = 0; i < a.size(); ++i) a.data()[i] = uniform(rng, -amplitude, amplitude);
    return a;
}

} // namespace podsim::pods
