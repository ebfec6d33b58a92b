#pragma once
// The norm the diagnostics measure state perturbations in (docs/diagnostics.md): the mechanical
// energy of the perturbation, so that a position offset along a stiff spring and the velocity it
// produces are weighed alike and the singular values of transitions mean "energy amplification",
// not "how stiff are the springs".

#include "pods/task/task.hpp"
#include "sim/state.hpp"

#include <Eigen/Core>

#include <vector>

namespace podsim::pods {

/// The weights of one BDF2 state z_t = (x_t, v_t, x_{t-1}, v_{t-1}, p_t):
///   |dz|^2 = |R_t dx|^2 + |M^1/2 dv|^2 + |M^1/2 (dx - dx_prev) / h|^2 + |M^1/2 dv_prev|^2,
///   R_t^T R_t = W(x_t, p_t) = K+_xx + c M,
/// with K+ the element-wise PSD-projected stiffness d2U/dq2 (the Newton matrix's projection; with
/// contact planes, plus each node's penalty stiffness e''(d) n n^T, friction storing no energy) and
/// c = (V / L)^2 from the policy's length and speed scales (observation_scale: g / L with gravity),
/// so that directions without spring stiffness get the pendulum stiffness m g / L. The previous
/// positions enter through the finite-difference velocity (x - x_prev) / h, weighed like a
/// velocity: BDF2 reads them that way, and a position offset that x_prev does not share is
/// motion. That is the norm of the free state q = (x, v, x_prev, v_prev) (open loop: the handles
/// follow the actions). For the full z (closed loop, the handles move too) x and p are weighed
/// together, |R^full_t (dx, dp)|^2 with R^full^T R^full = K+_(xp)(xp) + c diag(M, m_mean I), so
/// that moving a handle with what hangs on it does not count as stretching the springs between
/// them. A policy that plans several steps also carries the last applied action a_{t-1} (the
/// handle velocity it starts its plan from): that augmented state (z, a_{t-1}) adds
/// m_mean |da_prev|^2, a handle velocity weighed like a velocity. Twice the kinetic plus
/// potential energy of the linearised perturbation; independent of the scene's units.
struct StateWeights {
    Eigen::MatrixXd r;      ///< R_t, upper triangular, n_x x n_x
    Eigen::MatrixXd r_full; ///< R^full_t, upper triangular, (n_x + n_p) square, rows [x; p]
    Eigen::VectorXd sqrt_mass;
    double sqrt_mean_mass = 1; ///< weight of the last applied action in the augmented state
    double dt = 0;          ///< h
};

/// The weights of every state z_0..z_N of a trajectory (R_t from x_t and p_t).
std::vector<StateWeights> trajectory_weights(const sim::Model& model, const Task& task,
                                             const std::vector<sim::State>& states);

/// A map from one state to a later one in the weighted coordinates, D_to X D_from^{-1}, X square
/// of size 4 n_x (the free state q), 4 n_x + n_p (the full z) or 4 n_x + 2 n_p (z and the last
/// applied action).
Eigen::MatrixXd weighted_map(const Eigen::MatrixXd& x, const StateWeights& to, const StateWeights& from);

} // namespace podsim::pods
