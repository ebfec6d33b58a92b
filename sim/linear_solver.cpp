// Dense (Eigen LLT) and sparse (CHOLMOD supernodal) Cholesky behind one interface.
#include "sim/linear_solver.hpp"

#include <Eigen/CholmodSupport>
#include <Eigen/Cholesky>

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
        assert(ok);
        (void)ok;
        std::memcpy(b, m_x->x, sizeof(double) * std::size_t(n) * std::size_t(columns));
    }

private:
    cholmod_dense* m_x = nullptr;
    cholmod_dense* m_y = nullptr;
    cholmod_dense* m_e = nullptr;
};

} // namespace

struct LinearSolver::Impl {
    bool sparse = false;
    Eigen::LLT<Eigen::MatrixXd> dense;
    std::unique_ptr<CholmodLLT> cholmod;
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
    m_impl->cholmod->analyzePattern(a.sparse());
}

bool LinearSolver::factorize(const BlockMatrix& a)
{
    assert(a.is_sparse() == m_impl->sparse);
    if (!m_impl->sparse) {
        m_impl->dense.compute(a.dense());
        return m_impl->dense.info() == Eigen::Success;
    }
    assert(m_impl->cholmod && "analyze() first");
    m_impl->cholmod->factorize(a.sparse());
    return m_impl->cholmod->info() == Eigen::Success;
}

void LinearSolver::solve_in_place(Eigen::Ref<Eigen::MatrixXd> b)
{
    if (!m_impl->sparse) {
        m_impl->dense.solveInPlace(b);
        return;
    }
    assert(b.outerStride() == b.rows());
    m_impl->cholmod->solve_in_place(b.data(), int(b.rows()), int(b.cols()));
}

void LinearSolver::solve_in_place(Eigen::VectorXd& b)
{
    if (!m_impl->sparse) {
        m_impl->dense.solveInPlace(b);
        return;
    }
    m_impl->cholmod->solve_in_place(b.data(), int(b.size()), 1);
}

} // namespace podsim::sim
