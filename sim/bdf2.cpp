// BDF2 / BDF1 steps as incremental potential minimisation with a projected Newton method.
#include "sim/bdf2.hpp"

#include <cassert>
#include <cmath>
#include <limits>
#include <sstream>

namespace podsim::sim {

bool reuses_factorization(const Model& model)
{
    return model.solver.reuse_factorization && model.n_x() >= kReuseMinDofs;
}

namespace {

constexpr double kArmijo = 1e-4;
constexpr int kMaxHalvings = 40;
// an iteration with a reused factorisation must cut |g|_inf at least this much, else refresh
constexpr double kReuseContraction = 0.25;
// inner conjugate gradients of an iteration with a reused factorisation: at most this many,
// stopping once the linear residual is kKrylovTolerance * min(1, |g|_2 / |g_0|_2) of |g|_2 (g_0
// the step's first gradient: the forcing term shrinks with the residual, so the last iterations
// converge superlinearly) or a tenth of the Newton tolerance; when they do not get below
// kKrylovTolerance |g|_2, the old factorisation is a poor preconditioner and is refreshed for
// the next iteration
constexpr int kKrylovMaxIterations = 8;
constexpr double kKrylovTolerance = 1e-2;
constexpr double kKrylovToleranceFloor = 0.1;
// nonlinear elimination (sparse systems): before a Newton iteration that follows one which cut
// |g|_inf less than 1 / kEliminationContraction, while |g|_inf is above kEliminationResidual
// tolerances and the kEliminatedNodes nodes with the largest gradient hold at least
// kEliminationShare of |g|_2^2, a Newton step on those nodes alone, at most kEliminationRounds
// times (the residual floor keeps it out of the last iterations of fast steps, where it cost more
// than it saved on the hanging cloth)
constexpr int kEliminatedNodes = 20;
constexpr double kEliminationShare = 0.5;
constexpr int kEliminationRounds = 2;
constexpr double kEliminationContraction = 0.01;
constexpr double kEliminationResidual = 1e5;
// the secant extrapolation of an accepted full step goes at most this far along it
constexpr double kMaxExtrapolation = 8;
constexpr int kMaxExtrapolations = 4;
// ... and only when dE/dalpha at the full step is still this fraction of its initial value
constexpr double kExtrapolationSlope = 0.1;

bool use_sparse(const Model& model)
{
    switch (model.solver.linear_solver) {
    case LinearSolverChoice::kDense: return false;
    case LinearSolverChoice::kSparse: return true;
    case LinearSolverChoice::kAuto: break;
    }
    return model.n_x() > kDenseSolverMaxDofs;
}

} // namespace

std::string StepStatus::message(int step) const
{
    std::ostringstream s;
    s.precision(3);
    s << "step " << step << (converged ? ": Newton converged" : ": Newton did not converge");
    if (!failure.empty()) s << ": " << failure;
    s << " (residual " << residual << ", tolerance " << tolerance << ", " << iterations << " iterations)";
    return s.str();
}

Simulator::Simulator(const Model& model)
    : m_model(&model), m_energy(model, m_hessian, use_sparse(model))
{
    const int nx = model.n_x();
    m_solver.analyze(m_hessian);
    m_q = model.nominal_positions();
    m_q_trial = m_q;
    for (Eigen::VectorXd* b : {&m_g, &m_g_trial, &m_dir, &m_cg_r, &m_cg_z, &m_cg_p, &m_cg_hp}) b->setZero(nx);
}

double Simulator::step_objective(const State& z, const Eigen::VectorXd& a, const Eigen::VectorXd& x)
{
    const Model& m = *m_model;
    m_energy.begin(z, m_ctx);
    Eigen::VectorXd q = m_q;
    q.head(m.n_x()) = x;
    q.segment(m.n_x(), m.n_p()) = z.p + m.dt * a;
    Eigen::VectorXd g(m.n_x());
    return m_energy.value_gradient(q, m_ctx, g);
}

StepStatus Simulator::step(const State& z, const Eigen::VectorXd& a, State& z_next)
{
    assert(&z != &z_next);
    const Model& m = *m_model;
    const int nx = m.n_x();
    const int np = m.n_p();
    const double h = m.dt;
    assert(a.size() == np && z.x.size() == nx && z.p.size() == np);

    // predictor xhat, weight gamma (BDF1 on the first step) and start positions
    m_energy.begin(z, m_ctx);
    const double gamma = m_ctx.gamma;

    // handles move explicitly; warm start from xhat
    m_q.head(nx) = m_ctx.xhat;
    m_q.segment(nx, np) = z.p + h * a;
    m_q_trial.segment(nx, np) = m_q.segment(nx, np);

    // a factorisation is reused only within one rollout (results must not depend on what the
    // workspace simulated before) and for the same gamma (BDF1 and BDF2 steps differ)
    if (z.t == 0 || m_factor_gamma != gamma) m_factor_valid = false;

    StepStatus status;
    status.tolerance = m.solver.tolerance * m.mass.maxCoeff() * m.length_scale;
    double e = m_energy.value_gradient(m_q, m_ctx, m_g);
    const double g0_norm = m_g.norm();
    // once the exact Hessian has failed to factorise in this step, later refreshes go straight
    // to the projected one (the inner iterations recover the exact curvature where it is positive)
    bool try_exact = true;
    double last_residual = 0; // |g|_inf at the start of the last iteration
    for (;;) {
        status.residual = m_g.lpNorm<Eigen::Infinity>();
        if (!std::isfinite(status.residual)) {
            status.failure = "non-finite residual";
            break;
        }
        if (status.residual <= status.tolerance) {
            status.converged = true;
            break;
        }
        if (status.iterations >= m.solver.max_iterations) {
            status.failure = "iteration limit reached";
            break;
        }
        ++status.iterations;

        // where a few nodes hold the residual (the nodes next to a pushed cloth's handles), the
        // energy there is far from quadratic over a whole-system Newton step: once an iteration
        // has converged slowly, solve them first
        const bool slow = status.iterations > 1 && status.residual > kEliminationContraction * last_residual &&
                          status.residual > kEliminationResidual * status.tolerance;
        last_residual = status.residual;
        if (m.solver.nonlinear_elimination && m_hessian.is_sparse() && slow && eliminate_residual_nodes(status, e)) {
            status.converged = true;
            break;
        }

        // Newton direction H d = -g; the factorisation of H is kept while it keeps converging
        // fast (also across steps), and refreshed at the current iterate otherwise
        const bool fresh = !m_factor_valid;
        if (fresh) {
            if (!factorize_newton_matrix(status, try_exact)) break;
            m_factor_valid = reuses_factorization(m);
            m_factor_gamma = gamma;
        }
        // with a fresh exact factorisation the direction is exact; otherwise (a projected or a
        // kept factorisation) conjugate gradients refine it on the exact Hessian
        if (fresh && !m_factor_projected) {
            m_dir = -m_g;
            m_solver.solve_in_place(m_dir);
        } else {
            krylov_direction(status, g0_norm);
        }

        // backtracking line search on E (Armijo); near convergence E cannot resolve the
        // decrease, so a step within round-off of E that reduces |g| is accepted too
        const double slope = m_g.dot(m_dir);
        const double roundoff = 64 * std::numeric_limits<double>::epsilon() * std::abs(e);
        double alpha = 1;
        bool accepted = false;
        bool resolved = false; // E fell by more than round-off
        for (int k = 0; k <= kMaxHalvings && !accepted; ++k) {
            if (k > 0) alpha *= 0.5;
            m_q_trial.head(nx) = m_q.head(nx) + alpha * m_dir;
            const double e_trial = m_energy.value_gradient(m_q_trial, m_ctx, m_g_trial);
            if (!std::isfinite(e_trial)) continue;
            const bool decrease = e_trial <= e + kArmijo * alpha * slope;
            const bool roundoff_step = e_trial <= e + roundoff &&
                                       m_g_trial.lpNorm<Eigen::Infinity>() < status.residual;
            if (decrease || roundoff_step) {
                accepted = true;
                resolved = e_trial < e - roundoff;
                e = e_trial;
                m_q.head(nx) = m_q_trial.head(nx);
                m_g.swap(m_g_trial);
            }
        }

        // a full step along which E still falls steeply underestimates the step (the matrix
        // is stiffer than E along d, as the projected Hessian of a buckling cloth is): move on
        // to the minimiser of the secant model of dE/dalpha while E keeps decreasing by more
        // than round-off (near the solution of an exact Newton step dE/dalpha is ~0 at 1)
        if (accepted && resolved && alpha == 1) {
            double s0 = slope;
            for (int r = 0; r < kMaxExtrapolations; ++r) {
                const double s1 = m_g.dot(m_dir);
                if (!(s1 < kExtrapolationSlope * s0)) break;
                const double beta = std::min(s0 / (s0 - s1), kMaxExtrapolation); // > 1
                m_q_trial.head(nx) = m_q.head(nx) + (beta - 1) * m_dir;
                const double e_trial = m_energy.value_gradient(m_q_trial, m_ctx, m_g_trial);
                if (!(e_trial < e - roundoff)) break;
                e = e_trial;
                m_q.head(nx) = m_q_trial.head(nx);
                m_g.swap(m_g_trial);
                // the next secant is taken along the whole step made so far
                m_dir *= beta;
                s0 = slope * beta;
            }
        }
        if (!accepted) {
            if (!fresh) { // an old factorisation may give a poor direction: refresh and retry
                m_factor_valid = false;
                continue;
            }
            status.failure = "line search found no decrease";
            break;
        }
        if (!fresh && m_g.lpNorm<Eigen::Infinity>() > kReuseContraction * status.residual) m_factor_valid = false;
    }

    // BDF velocity update and state shift
    z_next.t = z.t + 1;
    z_next.x_prev = z.x;
    z_next.v_prev = z.v;
    z_next.x = m_q.head(nx);
    if (z.t == 0)
        z_next.v = (z_next.x - z.x) / h;
    else
        z_next.v = (3 * z_next.x - 4 * z.x + z.x_prev) / (2 * h);
    z_next.p = m_q.segment(nx, np);
    return status;
}

bool Simulator::eliminate_residual_nodes(StepStatus& status, double& e)
{
    const Model& m = *m_model;
    const int nx = m.n_x();
    const int dim = m.dim;
    for (int round = 0; round < kEliminationRounds; ++round) {
        if (largest_residual_nodes(m_g, dim, kEliminatedNodes, m_node_order, m_eliminated) < kEliminationShare) break;
        // Newton on those nodes: their block of the exact Hessian (m_hessian is free between
        // iterations), where it is positive definite
        m_energy.assemble_hessian(m_q, m_ctx, false, m_hessian);
        gather_node_block(m_hessian, m_eliminated, m_local_h);
        m_local_llt.compute(m_local_h);
        if (m_local_llt.info() != Eigen::Success) break;
        const int k = int(m_eliminated.size());
        m_local_g.resize(k * dim);
        for (int a = 0; a < k; ++a) m_local_g.segment(a * dim, dim) = m_g.segment(m_eliminated[std::size_t(a)] * dim, dim);
        m_local_d = m_local_llt.solve(m_local_g);
        m_local_d = -m_local_d;
        ++status.eliminated;
        // backtracking on E (Armijo) along the nodes' step
        const double slope = m_local_g.dot(m_local_d);
        double alpha = 1;
        bool accepted = false;
        for (int h = 0; h <= kMaxHalvings && !accepted; ++h, alpha *= 0.5) {
            m_q_trial.head(nx) = m_q.head(nx);
            for (int a = 0; a < k; ++a)
                m_q_trial.segment(m_eliminated[std::size_t(a)] * dim, dim) += alpha * m_local_d.segment(a * dim, dim);
            const double e_trial = m_energy.value_gradient(m_q_trial, m_ctx, m_g_trial);
            if (std::isfinite(e_trial) && e_trial <= e + kArmijo * alpha * slope) {
                accepted = true;
                e = e_trial;
                m_q.head(nx) = m_q_trial.head(nx);
                m_g.swap(m_g_trial);
            }
        }
        if (!accepted) break;
    }
    status.residual = m_g.lpNorm<Eigen::Infinity>();
    return status.residual <= status.tolerance;
}

bool Simulator::factorize_newton_matrix(StepStatus& status, bool& try_exact)
{
    // H = M + gamma d2U/dx2, exact when it is positive definite (quadratic convergence),
    // otherwise PSD-projected, which always is, so d is a descent direction (the measured
    // alternatives are in docs/simulation.md)
    if (try_exact) {
        ++status.factorizations;
        m_energy.assemble_hessian(m_q, m_ctx, false, m_hessian);
        m_factor_projected = false;
        if (m_solver.factorize(m_hessian)) return true;
        try_exact = false;
    }
    ++status.factorizations;
    ++status.projected;
    m_energy.assemble_hessian(m_q, m_ctx, true, m_hessian);
    m_factor_projected = true;
    if (m_solver.factorize(m_hessian)) return true;
    status.failure = "projected Newton matrix not positive definite";
    return false;
}

void Simulator::krylov_direction(StepStatus& status, double g0_norm)
{
    // the current exact matrix (the factorisation copied the one it factorised, so m_hessian
    // is free); it may be indefinite, the preconditioner never is
    m_energy.assemble_hessian(m_q, m_ctx, false, m_hessian);
    const auto product = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) {
        if (m_hessian.is_sparse())
            out.noalias() = m_hessian.sparse() * v;
        else
            out.noalias() = m_hessian.dense() * v;
    };
    // preconditioned CG from d = 0; the first iterate is the old direction -P^-1 g scaled to
    // the current curvature, and every iterate is a descent direction while p^T H p > 0
    m_cg_r = -m_g;
    m_cg_z = m_cg_r;
    m_solver.solve_in_place(m_cg_z);
    m_cg_p = m_cg_z;
    m_dir.setZero();
    double rz = m_cg_r.dot(m_cg_z);
    const double g_norm = m_g.norm();
    const double enough = kKrylovTolerance * g_norm; // keeps the factorisation
    const double stop = std::max(enough * std::min(1.0, g_norm / g0_norm), kKrylovToleranceFloor * status.tolerance);
    for (int k = 0; k < kKrylovMaxIterations; ++k) {
        ++status.krylov;
        product(m_cg_p, m_cg_hp);
        const double php = m_cg_p.dot(m_cg_hp);
        if (!(php > 0)) { // negative curvature: stop with the last descent direction
            if (k == 0) m_dir = m_cg_p;  // the plain preconditioned direction -P^-1 g
            m_factor_valid = false;
            return;
        }
        const double a = rz / php;
        m_dir += a * m_cg_p;
        m_cg_r -= a * m_cg_hp;
        if (m_cg_r.norm() <= stop) return;
        if (k + 1 == kKrylovMaxIterations && m_cg_r.norm() <= enough) return;
        m_cg_z = m_cg_r;
        m_solver.solve_in_place(m_cg_z);
        const double rz_next = m_cg_r.dot(m_cg_z);
        m_cg_p = m_cg_z + (rz_next / rz) * m_cg_p;
        rz = rz_next;
    }
    m_factor_valid = false; // did not reach kKrylovTolerance: refresh for the next iteration
}

bool Simulator::factorize_exact_hessian(const State& z_next)
{
    assert(z_next.t >= 1);
    const Model& m = *m_model;
    if (!m_exact_analyzed) {
        m_exact_hessian = m_hessian; // same pattern and slots
        m_exact_solver.analyze(m_exact_hessian);
        m_exact_analyzed = true;
    }
    m_energy.begin_from_result(z_next, m_ctx_exact);
    if (m_q_exact.size() != m_q.size()) m_q_exact = m_q;
    m_q_exact.head(m.n_x()) = z_next.x;
    m_q_exact.segment(m.n_x(), m.n_p()) = z_next.p;
    m_energy.assemble_hessian(m_q_exact, m_ctx_exact, false, m_exact_hessian);
    return m_exact_solver.factorize_symmetric(m_exact_hessian);
}

void Simulator::solve_exact(Eigen::Ref<Eigen::MatrixXd> b)
{
    m_exact_solver.solve_in_place(b);
}

} // namespace podsim::sim
