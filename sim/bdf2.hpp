#pragma once
// The BDF2 time stepper (BDF1 for the first step) as incremental potential minimisation solved
// by Newton: the per-thread Simulator workspace over an immutable Model.

#include "sim/block_matrix.hpp"
#include "sim/linear_solver.hpp"
#include "sim/model.hpp"
#include "sim/nonlinear_elimination.hpp"
#include "sim/potential.hpp"
#include "sim/state.hpp"
#include "sim/step_energy.hpp"

#include <Eigen/Cholesky>

#include <string>
#include <vector>

namespace podsim::sim {

/// Outcome of one step's Newton solve.
struct StepStatus {
    bool converged = false;
    int iterations = 0;       ///< Newton iterations
    int factorizations = 0;   ///< numeric factorisations (reused ones are not counted)
    int projected = 0;        ///< factorisations that fell back to the PSD-projected Hessian
    int krylov = 0;           ///< inner conjugate-gradient iterations (on the exact Hessian, preconditioned by a kept or a projected factorisation)
    int eliminated = 0;       ///< Newton iterations on the few nodes that hold the residual, alone (nonlinear elimination, sparse systems)
    double residual = 0;      ///< |g|_inf at exit
    double tolerance = 0;     ///< the absolute tolerance on |g|_inf
    std::string failure;      ///< why it did not converge (empty when converged)

    /// "step 17: Newton did not converge: <failure> (residual 1e-3, tolerance 1e-10, 50 iterations)";
    /// "step 17: Newton converged (...)" for a converged step
    std::string message(int step) const;
};

/// Dense systems (up to kDenseSolverMaxDofs free DOFs) refactorise every Newton iteration: a
/// factorisation costs little more there than the inner iterations that make an old one
/// converge (measured in docs/simulation.md, "Newton").
inline constexpr int kReuseMinDofs = kDenseSolverMaxDofs + 1;
/// True when a Simulator of this model keeps Newton factorisations across the iterations and
/// steps of a rollout, so a step's round-off depends on the steps the Simulator took before it
/// (since the rollout's first step). Callers that interleave rollouts give each its own Simulator.
bool reuses_factorization(const Model& model);

/// Per-thread workspace: buffers, Hessian storage and factorisation for one Model. Steps do not
/// allocate after the first one.
class Simulator {
public:
    explicit Simulator(const Model& model);

    const Model& model() const { return *m_model; }
    bool uses_sparse_solver() const { return m_hessian.is_sparse(); }

    /// One step: z_next from z with handle velocities a (length n_p, applied as given:
    /// p_{t+1} = p_t + h a). BDF1 when z.t == 0, BDF2 after:
    ///   x_{t+1} = argmin 1/2 (x - xhat)^T M (x - xhat) + gamma U(x, p_{t+1}, x_t)
    /// (the StepEnergy; U includes friction, which depends on the start positions x_t).
    /// z_next must be a different object than z. On failure z_next holds the last iterate.
    StepStatus step(const State& z, const Eigen::VectorXd& a, State& z_next);

    /// Assembles and factorises the EXACT (unprojected) Hessian H = M + gamma d2U/dx2 of the
    /// step that produced z_next (z_next.t >= 1; its start positions are z_next.x_prev), for
    /// sensitivities. H may be indefinite (a buckled step that ended at a saddle of the step
    /// objective): the implicit function theorem still gives the derivative of the solution
    /// Newton found, through an indefinite factorisation (LinearSolver::factorize_symmetric).
    /// False only if H is numerically singular. Solve with solve_exact(); the mixed
    /// derivatives of the same step come from energy() at exact_hessian_positions() and
    /// exact_context().
    bool factorize_exact_hessian(const State& z_next);
    /// Solves H X = B in place with the factorisation of factorize_exact_hessian().
    void solve_exact(Eigen::Ref<Eigen::MatrixXd> b);
    /// The exact Hessian assembled by the last factorize_exact_hessian().
    const BlockMatrix& exact_hessian() const { return m_exact_hessian; }
    /// Stacked positions q = [x_{t+1}, p_{t+1}, fixed] and the step context (coefficients,
    /// gamma, start positions) of the last factorize_exact_hessian().
    const Eigen::VectorXd& exact_hessian_positions() const { return m_q_exact; }
    const StepContext& exact_context() const { return m_ctx_exact; }
    /// Whether the last exact Hessian was indefinite (factorised by the fallback).
    bool exact_hessian_indefinite() const { return m_exact_solver.indefinite(); }
    /// The step objective and its derivatives (shared by Newton and the sensitivities).
    const StepEnergy& energy() const { return m_energy; }

    /// E(x) of the step leaving z (for tests): 1/2 (x - xhat)^T M (x - xhat) + gamma U.
    /// Changes only the Newton buffers (call between steps, not inside one).
    double step_objective(const State& z, const Eigen::VectorXd& a, const Eigen::VectorXd& x);

private:
    // assembles and factorises the Newton matrix at m_q (exact if try_exact and it is positive
    // definite, else projected; a failed exact attempt clears try_exact)
    bool factorize_newton_matrix(StepStatus& status, bool& try_exact);
    // m_dir = an approximate solution of H(m_q) d = -g (exact Hessian) by conjugate gradients
    // preconditioned with the current factorisation (kept, or of the projected Hessian), to a
    // relative residual that shrinks with |g| / g0_norm (g0_norm = |g|_2 at the step's start),
    // stopping at negative curvature; invalidates the factorisation when they fall short
    void krylov_direction(StepStatus& status, double g0_norm);
    // nonlinear elimination: Newton on the nodes that hold most of the residual alone (the rest
    // held), updating m_q, m_g and e; true when that meets the tolerance
    bool eliminate_residual_nodes(StepStatus& status, double& e);
    const Model* m_model;
    BlockMatrix m_hessian;
    StepEnergy m_energy;
    LinearSolver m_solver;
    BlockMatrix m_exact_hessian;
    LinearSolver m_exact_solver;
    bool m_exact_analyzed = false;
    Eigen::VectorXd m_q_exact;
    StepContext m_ctx_exact;
    bool m_factor_valid = false;  // m_solver holds a usable factorisation
    double m_factor_gamma = 0;    // gamma it was built with
    bool m_factor_projected = false; // it factorises the projected Hessian

    // per-step data and buffers
    StepContext m_ctx;
    Eigen::VectorXd m_q, m_q_trial, m_g, m_g_trial, m_dir;
    Eigen::VectorXd m_cg_r, m_cg_z, m_cg_p, m_cg_hp; // conjugate-gradient buffers
    std::vector<int> m_node_order, m_eliminated;      // nonlinear-elimination buffers
    Eigen::MatrixXd m_local_h;
    Eigen::VectorXd m_local_g, m_local_d;
    Eigen::LLT<Eigen::MatrixXd> m_local_llt;
};

} // namespace podsim::sim
