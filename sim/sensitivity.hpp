#pragma once
// Analytic sensitivities of BDF2 rollouts (docs/design.md section 3): forward tangents of a step by the
// implicit function theorem with the exact Hessian at the converged step, their exact transpose
// (the adjoint, one solve per step, no tape), the trajectory Jacobian ds/da and the Jacobian with
// respect to the initial state.

#include "sim/bdf2.hpp"
#include "common/input_error.hpp"

#include <Eigen/Core>

#include <vector>

namespace podsim::sim {

/// A tangent (forward) or cotangent (reverse) of a state z = (x, v, x_prev, v_prev, p), with
/// k columns (k = 1 for one direction). Rows as in State.
struct StateTangent {
    Eigen::MatrixXd x, v, x_prev, v_prev, p;

    /// All zero, n_x (resp. n_p) rows and `columns` columns.
    static StateTangent zero(const Model& model, int columns);
};

/// The reduced state s_t = (p_t, x_t of the observed nodes, v_t of the observed nodes) that the
/// cost and the policy see; length n_p + 2 dim n_nodes.
struct StateSelection {
    std::vector<int> nodes; ///< free node indices (internal order)

    int size(const Model& model) const { return model.n_p() + 2 * model.dim * int(nodes.size()); }
    /// s_t of a state.
    Eigen::VectorXd extract(const Model& model, const State& z) const;
    /// s_t of a state written into `s` (length size(); no allocation).
    void extract(const Model& model, const State& z, Eigen::Ref<Eigen::VectorXd> s) const;
    /// ds = S dz for a tangent (rows of s, the tangent's columns).
    Eigen::MatrixXd extract(const Model& model, const StateTangent& dz) const;
    /// The same written into `ds` (size() x dz's columns; no allocation).
    void extract(const Model& model, const StateTangent& dz, Eigen::Ref<Eigen::MatrixXd> ds) const;
    /// bar_z += S^T bar_s (bar_s: size() rows, same columns as bar_z).
    void add_transpose(const Model& model, const Eigen::Ref<const Eigen::MatrixXd>& bar_s,
                       StateTangent& bar_z) const;
};

/// Thrown when the exact Hessian of a step is numerically singular, so its sensitivities are
/// undefined (an indefinite but nonsingular Hessian is solved, docs/sensitivity.md). Carries the
/// step index.
class SensitivityError : public common::RuntimeFailure {
public:
    SensitivityError(int step);
    int step;
};

/// Forward tangent of the step z -> z_next (both from a converged rollout):
///   dp' = dp + h da
///   H dx' = -(E_xz dz + E_xp dp') = M dxhat - gamma (U_xy dx + U_xp dp'),
///   dxhat = c_x dx + c_xp dx_prev + h c_v dv + h c_vp dv_prev   (StepEnergy, y = x the start positions)
///   dv' = (3 dx' - 4 dx + dx_prev) / 2h   (BDF1: (dx' - dx) / h),   dx_prev' = dx, dv_prev' = dv
/// with H the exact Hessian at z_next. `da` is n_p x k. Throws SensitivityError.
void step_tangent(Simulator& sim, const State& z, const State& z_next, const StateTangent& dz,
                  const Eigen::Ref<const Eigen::MatrixXd>& da, StateTangent& dz_next);

/// The exact transpose of step_tangent: ADDS to `bar_z` (cotangent of z) and `bar_a` (n_p x k)
/// the contributions of `bar_next` (cotangent of z_next). One solve with H. Throws
/// SensitivityError.
void step_adjoint(Simulator& sim, const State& z, const State& z_next, const StateTangent& bar_next,
                  StateTangent& bar_z, Eigen::Ref<Eigen::MatrixXd> bar_a);

/// Scratch of step_adjoint: with one kept across the steps of a reverse recursion, the recursion
/// does not allocate once the buffers are sized.
struct AdjointWorkspace {
    Eigen::MatrixXd w, bar_p;
};
/// step_adjoint with caller-owned scratch.
void step_adjoint(Simulator& sim, const State& z, const State& z_next, const StateTangent& bar_next,
                  StateTangent& bar_z, Eigen::Ref<Eigen::MatrixXd> bar_a, AdjointWorkspace& ws);

/// step_tangent / step_adjoint at a step whose exact Hessian the caller has already factorised
/// in `solver` (TrajectoryLinearization keeps one per step): `q` = [x', p', fixed] and `ctx`
/// (StepEnergy::begin_from_result of z_next) are the point, as Simulator::exact_hessian_positions()
/// and exact_context() after factorize_exact_hessian(z_next). No factorisation, only the solve.
void step_tangent(const StepEnergy& energy, const Eigen::VectorXd& q, const StepContext& ctx, LinearSolver& solver,
                  const StateTangent& dz, const Eigen::Ref<const Eigen::MatrixXd>& da, StateTangent& dz_next);
void step_adjoint(const StepEnergy& energy, const Eigen::VectorXd& q, const StepContext& ctx, LinearSolver& solver,
                  const StateTangent& bar_next, StateTangent& bar_z, Eigen::Ref<Eigen::MatrixXd> bar_a,
                  AdjointWorkspace& ws);
/// The same with the exact Hessian's inverse `inverse` (n_x x n_x, dense) instead of its factor:
/// the solve becomes a matrix-vector product, about twice as fast as two triangular solves for
/// small dense systems (TrajectoryLinearization, docs/PERFORMANCE.md). `scratch` is reused
/// (no allocation once sized).
void step_tangent(const StepEnergy& energy, const Eigen::VectorXd& q, const StepContext& ctx,
                  const Eigen::MatrixXd& inverse, const StateTangent& dz, const Eigen::Ref<const Eigen::MatrixXd>& da,
                  StateTangent& dz_next, Eigen::MatrixXd& scratch);
void step_adjoint(const StepEnergy& energy, const Eigen::VectorXd& q, const StepContext& ctx,
                  const Eigen::MatrixXd& inverse, const StateTangent& bar_next, StateTangent& bar_z,
                  Eigen::Ref<Eigen::MatrixXd> bar_a, AdjointWorkspace& ws, Eigen::MatrixXd& scratch);

// The trajectory functions below take a whole rollout `states` = z_0..z_N that starts at an
// initial state (states[0].t == 0), as sim::rollout produces from a sampled or nominal state. A
// rollout that starts later (truncated BPTT windows, NDP segments) is refused with
// std::invalid_argument in every build type: its derivatives also depend on x_{t-1}, v_{t-1},
// which these functions do not report; chain step_tangent / step_adjoint for those.

/// Directional derivative of s_0..s_N (stacked, (N+1) n_s) of a rollout `states` (z_0..z_N) for
/// action direction `da` (n_p x N) and initial-state direction (dx0, dv0).
Eigen::VectorXd trajectory_tangent(Simulator& sim, const std::vector<State>& states,
                                   const StateSelection& sel, const Eigen::MatrixXd& da,
                                   const Eigen::VectorXd& dx0, const Eigen::VectorXd& dv0);

/// Gradients of L = sum_t bar_s_t . s_t with respect to the actions and the initial state, by
/// the adjoint recursion (one solve per step, memory O(states)).
struct TrajectoryGradient {
    Eigen::MatrixXd actions; ///< n_p x N
    Eigen::VectorXd x0, v0;  ///< n_x each
};
TrajectoryGradient trajectory_adjoint(Simulator& sim, const std::vector<State>& states,
                                      const StateSelection& sel, const Eigen::VectorXd& bar_s);

/// The trajectory Jacobian J = ds/da_bar: rows (N+1) n_s for s_0..s_N, columns N n_a for
/// a_0..a_{N-1} (a_t = column t of the action matrix); block lower triangular (ds_t/da_k = 0
/// for k >= t). Built with matrix-valued tangents: one multi-right-hand-side solve per step
/// over the columns that are not yet zero.
Eigen::MatrixXd trajectory_jacobian(Simulator& sim, const std::vector<State>& states,
                                    const StateSelection& sel);

/// ds/d(x0, v0): rows (N+1) n_s, columns 2 n_x ([dx0, dv0]).
Eigen::MatrixXd initial_state_jacobian(Simulator& sim, const std::vector<State>& states,
                                       const StateSelection& sel);

} // namespace podsim::sim
