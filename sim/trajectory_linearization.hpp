#pragma once
// A converged rollout's derivatives kept for repeated products (docs/sensitivity.md, "Matrix-free
// products"): every step's factorised exact Hessian, so that J v (a tangent sweep) and J^T w (an
// adjoint sweep) cost solves and products only, no factorisation.

#include "sim/bdf2.hpp"
#include "sim/sensitivity.hpp"

#include <memory>
#include <vector>

namespace podsim::sim {

/// The linearisation of a rollout z_0..z_N (states[0].t == 0) along which the trajectory
/// Jacobian J = ds/da_bar (sim::trajectory_jacobian; rows (N+1) n_s, columns N n_a) is applied
/// without forming it. Construction assembles and factorises the exact Hessian of each of the N
/// steps once (the work of one adjoint gradient) and keeps the factors: memory N times one
/// factorisation (dense: n_x^2 doubles per step; sparse: the Cholesky factor's non-zeros). Dense
/// steps replace their factor by the inverse H^-1 from the kInverseAfterSweeps-th sweep on: a
/// solve is then one matrix-vector product, 2.5x faster than two triangular solves at n_x = 60,
/// for n_x^3 flops per step once (docs/PERFORMANCE.md). Then
///   tangent: ds = J da,   adjoint: bar_a = J^T bar_s,
/// each one solve with a stored factor and the step's mixed-derivative products per step,
/// identical in arithmetic to trajectory_tangent / trajectory_adjoint with a zero initial-state
/// direction. Owns its own step objective and factors: independent of the Simulator it was built
/// from (whose Newton state it does not touch), but not of the Model, which must outlive it.
/// Not thread-safe (per-thread, like the Simulator); the sweeps do not allocate once sized.
class TrajectoryLinearization {
public:
    /// Factorises every step of `states` (a converged rollout of `sim`'s model). Throws
    /// std::invalid_argument when states[0].t != 0 or there are no steps, SensitivityError when a
    /// step's exact Hessian is singular.
    TrajectoryLinearization(const Simulator& sim, const std::vector<State>& states);
    ~TrajectoryLinearization();
    TrajectoryLinearization(TrajectoryLinearization&&) noexcept;
    TrajectoryLinearization& operator=(TrajectoryLinearization&&) noexcept;

    const Model& model() const { return *m_model; }
    int horizon() const { return m_horizon; }
    /// Steps whose exact Hessian was indefinite (factorised by the fallback, docs/sensitivity.md).
    int indefinite_steps() const { return m_indefinite; }

    /// ds = J da: `da` n_p x N (column t = a_t), `ds` (N+1) n_s stacked s_0..s_N (s_0 rows zero).
    void tangent(const StateSelection& sel, const Eigen::Ref<const Eigen::MatrixXd>& da, Eigen::Ref<Eigen::VectorXd> ds);
    /// bar_a = J^T bar_s: `bar_s` (N+1) n_s stacked, `bar_a` n_p x N (overwritten).
    void adjoint(const StateSelection& sel, const Eigen::Ref<const Eigen::VectorXd>& bar_s, Eigen::Ref<Eigen::MatrixXd> bar_a);

    /// DS = J DA for m directions at once (one multi-column solve per step): `da` N n_p x m,
    /// column j the flattened direction (a_0 first, as tangent()'s da reshaped), `ds` (N+1) n_s x m.
    /// A column enters the sweep at its first non-zero step: with the columns ordered by that step
    /// (as a time coarse space's), step t solves only for the columns begun by t. Equal to tangent()
    /// column by column up to round-off. One sweep for the inverse switch.
    void tangent_columns(const StateSelection& sel, const Eigen::Ref<const Eigen::MatrixXd>& da, Eigen::Ref<Eigen::MatrixXd> ds);

    /// Sweeps (tangent or adjoint) after which dense steps keep H^-1 instead of the factor: the
    /// inverse costs about as much as 8 products (16 sweeps) with the factor at n_x = 60, so it
    /// is bought only once a solve has spent that much (short CG solves do without).
    static constexpr int kInverseAfterSweeps = 16;
    /// Whether the steps now keep H^-1 (dense, after kInverseAfterSweeps sweeps).
    bool uses_inverses() const { return m_dense && m_sweeps >= kInverseAfterSweeps; }

private:
    struct Step;
    void count_sweep();
    const Model* m_model;
    std::unique_ptr<BlockMatrix> m_hessian; // the assembly buffer (pattern of the step objective)
    std::unique_ptr<StepEnergy> m_energy;
    std::vector<Step> m_steps;
    int m_horizon = 0;
    int m_indefinite = 0;
    bool m_dense = false;
    int m_sweeps = 0;
    // sweep buffers
    StateTangent m_dz, m_next;
    StateTangent m_block_dz, m_block_next; // the multi-column sweeps'
    AdjointWorkspace m_ws;
    Eigen::MatrixXd m_scratch; // the product with a stored inverse
};

} // namespace podsim::sim
