#pragma once
// A rollout of a shipped scene whose actions sit on the box |a_i| <= L in part, for the
// box-aware step tests: the scene, its cost, a sampled initial state, actions and states.

#include "pods/improve/active_set.hpp"
#include "pods/task/cost.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/task/scene.hpp"
#include "sim/rollout.hpp"
#include "tests/fd.hpp"
#include "tests/paths.hpp"

#include <string>
#include <vector>

namespace podsim::test {

struct BoxFixture {
    pods::Scene scene;
    pods::QuadraticCost cost;
    sim::State z0;
    Eigen::MatrixXd actions; ///< n_a x N inside the box
    std::vector<sim::State> states;
    double cost_value = 0;

    double limit() const { return scene.task.action_limit; }
};

/// `steps` actions uniform in +-amplitude L, a fraction `on_bound` of the components moved onto
/// +-L (random sign), rolled out from the initial state sampled with `seed` (Newton's absolute
/// tolerance `newton_tolerance`).
inline BoxFixture box_fixture(const char* file, int steps, std::uint64_t seed, double amplitude = 0.5,
                              double on_bound = 0.3, double newton_tolerance = 1e-12)
{
    BoxFixture f;
    f.scene = pods::load_scene(source_path("scenes/") + file);
    f.scene.model.solver.tolerance = newton_tolerance;
    f.cost = pods::quadratic_cost(f.scene.model, f.scene.task);
    f.z0 = pods::sample_initial_state(f.scene.model, f.scene.task, seed);
    std::mt19937_64 rng(seed);
    const double l = f.limit();
    f.actions = random_vector(rng, f.scene.model.n_p() * steps, -amplitude * l, amplitude * l)
                    .reshaped(f.scene.model.n_p(), steps);
    std::uniform_real_distribution<double> u(0, 1);
    for (Eigen::Index i = 0; i < f.actions.size(); ++i)
        if (u(rng) < on_bound) f.actions.data()[i] = u(rng) < 0.5 ? -l : l;
    sim::Simulator sim(f.scene.model);
    REQUIRE(sim::rollout(sim, f.z0, f.actions, f.states).converged);
    f.cost_value = f.cost.total(f.scene.model, f.states, f.actions);
    return f;
}

/// C of a fresh rollout of `a` from f.z0 (which must converge).
inline double rollout_cost(sim::Simulator& sim, const BoxFixture& f, const Eigen::MatrixXd& a)
{
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(sim, f.z0, a, states).converged);
    return f.cost.total(sim.model(), states, a);
}

} // namespace podsim::test
