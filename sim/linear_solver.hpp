#pragma once
// Cholesky solves of the Newton / sensitivity systems behind one interface: Eigen's dense LLT
// for small systems, CHOLMOD supernodal (through Eigen/CholmodSupport) for large sparse ones,
// with the symbolic analysis done once per pattern and reused for every factorisation. Use from
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

    /// Solves A X = B for every column of B, in place (multi right-hand side).
    void solve_in_place(Eigen::Ref<Eigen::MatrixXd> b);

    /// Same for one vector.
    void solve_in_place(Eigen::VectorXd& b);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace podsim::sim
