#pragma once
// Cholesky solves of the Newton / sensitivity systems behind one interface: Eigen's dense LLT
// for small systems, CHOLMOD supernodal (through Eigen/CholmodSupport) for large sparse ones,
// with the symbolic analysis done once per pattern and reused for every factorisation; an
// indefinite fallback (LU / LDL^T) for the sensitivities' exact Hessian. Use from
// one thread per solver; concurrent solvers must run on OpenMP threads (see linear_solver.cpp).

#include "sim/block_matrix.hpp"

#include <memory>

namespace podsim::sim {

class LinearSolver {
public:
    LinearSolver();
    ~LinearSolver();
    LinearSolver(LinearSolver&&) noexcept;
    LinearSolver& operator=(LinearSolver&&) noexcept;

    /// Symbolic analysis of A's pattern (fill-reducing ordering, supernodes); dense: nothing.
    /// Call again only when the pattern changes.
    void analyze(const BlockMatrix& a);

    /// Numeric factorisation A = L L^T; false if A is not (numerically) positive definite.
    bool factorize(const BlockMatrix& a);

    /// Factorisation of a symmetric A that may be indefinite (the exact Hessian of a buckled
    /// step, docs/sensitivity.md): Cholesky when A is positive definite, else a partially
    /// pivoted LU (dense) or Eigen's simplicial LDL^T (sparse). False only when A is numerically
    /// singular (dense: reciprocal condition estimate below kSingular; sparse: a pivot below
    /// kSingular times the largest).
    bool factorize_symmetric(const BlockMatrix& a);
    /// Whether the last factorisation is the indefinite fallback of factorize_symmetric().
    bool indefinite() const;
    static constexpr double kSingular = 1e-13;

    /// Solves A X = B for every column of B, in place (multi right-hand side).
    void solve_in_place(Eigen::Ref<Eigen::MatrixXd> b);

    /// Same for one vector.
    void solve_in_place(Eigen::VectorXd& b);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace podsim::sim
