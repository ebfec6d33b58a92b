// Dense (Eigen LLT) and sparse (CHOLMOD supernodal) Cholesky behind one interface.
#include "sim/linear_solver.hpp"

#include "common/input_error.hpp"

#include <Eigen/CholmodSupport>
#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <Eigen/SparseCholesky>

#include <omp.h>

#include <cassert>
#include <cstring>

namespace podsim::sim {

namespace {

// Eigen's CHOLMOD wrapper allocates a new result on every solve; this subclass solves through
// cholmod_solve2 with workspaces kept between calls, so repeated solves do not allocate.
class CholmodLLT : public Eigen::CholmodSupernodalLLT<Eigen::SparseMatrix<double>, Eigen::Lower> {
public:
    CholmodLLT()
    {
        cholmod().print = 0; // libraries never print: failures are reported through status
    }
    ~CholmodLLT()
    {
        for (cholmod_dense** d : {&m_x, &m_y, &m_e})
            if (*d) cholmod_free_dense(d, &cholmod());
    }
    CholmodLLT(const CholmodLLT&) = delete;
    CholmodLLT& operator=(const CholmodLLT&) = delete;

    void solve_in_place(double* b, int n, int columns)
    {
        cholmod_dense rhs{};
        rhs.nrow = std::size_t(n);
        rhs.ncol = std::size_t(columns);
        rhs.nzmax = std::size_t(n) * std::size_t(columns);
        rhs.d = std::size_t(n);
        rhs.x = b;
        rhs.xtype = CHOLMOD_REAL;
        rhs.dtype = CHOLMOD_DOUBLE;
        const int ok = cholmod_solve2(CHOLMOD_A, m_cholmodFactor, &rhs, nullptr, &m_x, nullptr, &m_y,
                                      &m_e, &cholmod());
        if (!ok || !m_x) throw common::RuntimeFailure("CHOLMOD solve failed (out of memory?)");
        std::memcpy(b, m_x->x, sizeof(double) * std::size_t(n) * std::size_t(columns));
    }

private:
    cholmod_dense* m_x = nullptr;
    cholmod_dense* m_y = nullptr;
    cholmod_dense* m_e = nullptr;
};

// CHOLMOD's supernodal code opens OpenMP regions with a fixed num_threads(4) that
// OMP_NUM_THREADS cannot lower; on small machines the thread start-ups cost more than the work
// (measured 2-5x slower on 2 cores). Outside our own parallel regions this guard makes every
// region serial for its lifetime; inside them (parallel rollouts) CHOLMOD's regions are nested
// and run serially anyway. It changes a process-wide OpenMP setting, so Simulators must be
// driven from OpenMP threads (or one thread), not from concurrent std::threads.
class SerialOpenMp {
public:
    SerialOpenMp() : m_active(!omp_in_parallel())
    {
        if (!m_active) return;
        m_saved = omp_get_max_active_levels();
        omp_set_max_active_levels(0);
    }
    ~SerialOpenMp()
    {
        if (m_active) omp_set_max_active_levels(m_saved);
    }
    SerialOpenMp(const SerialOpenMp&) = delete;
    SerialOpenMp& operator=(const SerialOpenMp&) = delete;

private:
    bool m_active;
    int m_saved = 1;
};

} // namespace

struct LinearSolver::Impl {
    bool sparse = false;
    Eigen::LLT<Eigen::MatrixXd> dense;
    std::unique_ptr<CholmodLLT> cholmod;
    // the indefinite fallback
    bool indefinite = false;
    Eigen::PartialPivLU<Eigen::MatrixXd> dense_lu;
    std::unique_ptr<Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>, Eigen::Lower>> ldlt;
};

LinearSolver::LinearSolver() : m_impl(std::make_unique<Impl>()) {}
LinearSolver::~LinearSolver() = default;
LinearSolver::LinearSolver(LinearSolver&&) noexcept = default;
LinearSolver& LinearSolver::operator=(LinearSolver&&) noexcept = default;

void LinearSolver::analyze(const BlockMatrix& a)
{
    m_impl->sparse = a.is_sparse();
    if (!m_impl->sparse) return;
    m_impl->cholmod = std::make_unique<CholmodLLT>();
    const SerialOpenMp serial;
    m_impl->cholmod->analyzePattern(a.sparse());
}

bool LinearSolver::factorize(const BlockMatrix& a)
{
    assert(a.is_sparse() == m_impl->sparse);
    m_impl->indefinite = false;
    if (!m_impl->sparse) {
        m_impl->dense.compute(a.dense());
        return m_impl->dense.info() == Eigen::Success;
    }
    assert(m_impl->cholmod && "analyze() first");
    const SerialOpenMp serial;
    m_impl->cholmod->factorize(a.sparse());
    return m_impl->cholmod->info() == Eigen::Success;
}

bool LinearSolver::factorize_symmetric(const BlockMatrix& a)
{
    if (factorize(a)) return true;
    m_impl->indefinite = true;
    if (!m_impl->sparse) {
        m_impl->dense_lu.compute(a.dense());
        return m_impl->dense_lu.rcond() > kSingular;
    }
    // the pattern is fixed: the symbolic analysis once
    auto& ldlt = m_impl->ldlt;
    if (!ldlt) {
        ldlt = std::make_unique<Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>, Eigen::Lower>>();
        ldlt->analyzePattern(a.sparse());
    }
    ldlt->factorize(a.sparse());
    if (ldlt->info() != Eigen::Success) return false;
    const Eigen::VectorXd pivots = ldlt->vectorD().cwiseAbs();
    return pivots.size() > 0 && pivots.minCoeff() > kSingular * pivots.maxCoeff();
}

bool LinearSolver::indefinite() const { return m_impl->indefinite; }

void LinearSolver::solve_in_place(Eigen::Ref<Eigen::MatrixXd> b)
{
    if (m_impl->indefinite) {
        const Eigen::MatrixXd x = m_impl->sparse ? Eigen::MatrixXd(m_impl->ldlt->solve(b)) : Eigen::MatrixXd(m_impl->dense_lu.solve(b));
        b = x;
        return;
    }
    if (!m_impl->sparse) {
        // one column through Eigen's vector kernel: the matrix kernel allocates its blocking space
        if (b.cols() == 1) {
            auto column = b.col(0);
            m_impl->dense.solveInPlace(column);
            return;
        }
        m_impl->dense.solveInPlace(b);
        return;
    }
    assert(b.outerStride() == b.rows());
    const SerialOpenMp serial;
    m_impl->cholmod->solve_in_place(b.data(), int(b.rows()), int(b.cols()));
}

void LinearSolver::solve_in_place(Eigen::VectorXd& b)
{
    if (m_impl->indefinite) {
        solve_in_place(Eigen::Ref<Eigen::MatrixXd>(b));
        return;
    }
    if (!m_impl->sparse) {
        m_impl->dense.solveInPlace(b);
        return;
    }
    const SerialOpenMp serial;
    m_impl->cholmod->solve_in_place(b.data(), int(b.size()), 1);
}

} // namespace podsim::sim
