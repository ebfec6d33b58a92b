#pragma once
// Element energy of gravity acting on one node.

#include "sim/types.hpp"

namespace podsim::sim {

/// Gravity energy of one node, -m g.x (g points down, e.g. (0, -9.81)); its gradient is the
/// constant -m g and its Hessian is zero.
template <int D> inline double gravity_energy(double m, const Vec<D>& g, const Vec<D>& x)
{
    return -m * g.dot(x);
}

/// Gradient of gravity_energy with respect to x: -m g.
template <int D> inline Vec<D> gravity_energy_gradient(double m, const Vec<D>& g)
{
    return -m * g;
}

} // namespace podsim::sim
