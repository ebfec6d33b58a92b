#pragma once
// Helpers of the whole-rollout derivative tests (test_sensitivity, test_trajectory_linearization):
// random action sequences and the stacked selected states of a rollout.

#include "sim/rollout.hpp"
#include "sim/sensitivity.hpp"
#include "tests/fd.hpp"

#include <doctest/doctest.h>

#include <random>
#include <vector>

namespace podsim::test {

/// n_p x n actions uniform in [-scale, scale].
inline Eigen::MatrixXd random_actions(std::mt19937_64& rng, const sim::Model& m, int n, double scale)
{
    return random_vector(rng, m.n_p() * n, -scale, scale).reshaped(m.n_p(), n);
}

/// Stacked s_0..s_N (the selection of every state) of a rollout from z0 with actions a.
inline Eigen::VectorXd observe(sim::Simulator& sim, const sim::StateSelection& sel, const sim::State& z0,
                               const Eigen::MatrixXd& a)
{
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(sim, z0, a, states).converged);
    const int ns = sel.size(sim.model());
    Eigen::VectorXd s(Eigen::Index(states.size()) * ns);
    for (std::size_t t = 0; t < states.size(); ++t) s.segment(Eigen::Index(t) * ns, ns) = sel.extract(sim.model(), states[t]);
    return s;
}

} // namespace podsim::test
