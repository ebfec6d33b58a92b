#pragma once
// The simulator state z_t = (x_t, v_t, x_{t-1}, v_{t-1}, p_t) carried from step to step.

#include "sim/model.hpp"

#include <Eigen/Core>

namespace podsim::sim {

/// State after t steps. BDF2 needs the previous positions and velocities; at t = 0 they are
/// unused (the first step is BDF1) and kept equal to x, v.
struct State {
    int t = 0;               ///< number of steps taken
    Eigen::VectorXd x;       ///< free positions, n_free*dim, [x0, y0, (z0), x1, ...]
    Eigen::VectorXd v;       ///< free velocities, n_free*dim
    Eigen::VectorXd x_prev;  ///< x_{t-1} (t >= 1)
    Eigen::VectorXd v_prev;  ///< v_{t-1} (t >= 1)
    Eigen::VectorXd p;       ///< handle positions, n_handles*dim
};

/// The nominal initial state of the scene file (t = 0).
State nominal_state(const Model& model);

} // namespace podsim::sim
