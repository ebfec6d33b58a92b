// Stored per-step factorisations and the matrix-free J v / J^T w sweeps (see trajectory_linearization.hpp).
#include "sim/trajectory_linearization.hpp"

#include <cassert>
#include <stdexcept>
#include <string>
#include <vector>

namespace podsim::sim {

struct TrajectoryLinearization::Step {
    StepContext ctx;
    Eigen::VectorXd q;     // [x_{t+1}, p_{t+1}, fixed]
    LinearSolver solver;   // the exact Hessian at q, factorised (sparse systems)
    Eigen::MatrixXd inverse; // or its inverse (dense systems; the solver is then released)
};

TrajectoryLinearization::TrajectoryLinearization(const Simulator& sim, const std::vector<State>& states)
    : m_model(&sim.model()), m_hessian(std::make_unique<BlockMatrix>())
{
    if (states.size() < 2 || states[0].t != 0)
        throw std::invalid_argument("TrajectoryLinearization: need a rollout of at least one step that starts at t = 0, got " +
                                    std::to_string(states.size()) + " states" +
                                    (states.empty() ? std::string() : " from t = " + std::to_string(states[0].t)));
    const Model& m = *m_model;
    const int n = int(states.size()) - 1, nx = m.n_x(), np = m.n_p();
    m_energy = std::make_unique<StepEnergy>(m, *m_hessian, sim.uses_sparse_solver());
    m_horizon = n;
    m_steps.resize(std::size_t(n));
    const Eigen::VectorXd nominal = m.nominal_positions();
    for (int t = 0; t < n; ++t) {
        // the point of step t -> t + 1 and its exact Hessian, as Simulator::factorize_exact_hessian
        const State& z_next = states[std::size_t(t) + 1];
        Step& s = m_steps[std::size_t(t)];
        m_energy->begin_from_result(z_next, s.ctx);
        s.q = nominal;
        s.q.head(nx) = z_next.x;
        s.q.segment(nx, np) = z_next.p;
        m_energy->assemble_hessian(s.q, s.ctx, false, *m_hessian);
        s.solver.analyze(*m_hessian);
        if (!s.solver.factorize_symmetric(*m_hessian)) throw SensitivityError(t);
        if (s.solver.indefinite()) ++m_indefinite;
    }
    m_dense = !sim.uses_sparse_solver();
    m_dz = StateTangent::zero(m, 1);
    m_next = m_dz;
}

TrajectoryLinearization::~TrajectoryLinearization() = default;
TrajectoryLinearization::TrajectoryLinearization(TrajectoryLinearization&&) noexcept = default;
TrajectoryLinearization& TrajectoryLinearization::operator=(TrajectoryLinearization&&) noexcept = default;

void TrajectoryLinearization::count_sweep()
{
    // dense, from the kInverseAfterSweeps-th sweep on: every step's H^-1 (symmetrised, as H is)
    // replaces its factor, one matrix-vector product per solve instead of two triangular solves
    if (!m_dense || m_sweeps >= kInverseAfterSweeps || ++m_sweeps < kInverseAfterSweeps) return;
    const int nx = m_model->n_x();
    for (Step& s : m_steps) {
        s.inverse.setIdentity(nx, nx);
        s.solver.solve_in_place(Eigen::Ref<Eigen::MatrixXd>(s.inverse));
        s.inverse = 0.5 * (s.inverse + s.inverse.transpose()).eval();
        s.solver = LinearSolver();
    }
}

void TrajectoryLinearization::tangent(const StateSelection& sel, const Eigen::Ref<const Eigen::MatrixXd>& da,
                                      Eigen::Ref<Eigen::VectorXd> ds)
{
    const Model& m = *m_model;
    const int n = horizon(), ns = sel.size(m);
    assert(da.rows() == m.n_p() && da.cols() == n);
    assert(ds.size() == Eigen::Index(n + 1) * ns);
    count_sweep();
    // z_0 is not perturbed
    for (Eigen::MatrixXd* b : {&m_dz.x, &m_dz.v, &m_dz.x_prev, &m_dz.v_prev, &m_dz.p}) b->setZero();
    ds.head(ns).setZero();
    for (int t = 0; t < n; ++t) {
        Step& s = m_steps[std::size_t(t)];
        if (s.inverse.size() > 0) step_tangent(*m_energy, s.q, s.ctx, s.inverse, m_dz, da.col(t), m_next, m_scratch);
        else step_tangent(*m_energy, s.q, s.ctx, s.solver, m_dz, da.col(t), m_next);
        std::swap(m_dz, m_next);
        Eigen::Map<Eigen::MatrixXd> out(ds.data() + Eigen::Index(t + 1) * ns, ns, 1);
        sel.extract(m, m_dz, out);
    }
}

void TrajectoryLinearization::adjoint(const StateSelection& sel, const Eigen::Ref<const Eigen::VectorXd>& bar_s,
                                      Eigen::Ref<Eigen::MatrixXd> bar_a)
{
    const Model& m = *m_model;
    const int n = horizon(), ns = sel.size(m);
    assert(bar_s.size() == Eigen::Index(n + 1) * ns);
    assert(bar_a.rows() == m.n_p() && bar_a.cols() == n);
    count_sweep();
    bar_a.setZero();
    // m_next is the cotangent of z_{t+1}, m_dz that of z_t
    for (Eigen::MatrixXd* b : {&m_next.x, &m_next.v, &m_next.x_prev, &m_next.v_prev, &m_next.p}) b->setZero();
    sel.add_transpose(m, bar_s.segment(Eigen::Index(n) * ns, ns), m_next);
    for (int t = n - 1; t >= 0; --t) {
        for (Eigen::MatrixXd* b : {&m_dz.x, &m_dz.v, &m_dz.x_prev, &m_dz.v_prev, &m_dz.p}) b->setZero();
        sel.add_transpose(m, bar_s.segment(Eigen::Index(t) * ns, ns), m_dz);
        Step& s = m_steps[std::size_t(t)];
        if (s.inverse.size() > 0) step_adjoint(*m_energy, s.q, s.ctx, s.inverse, m_next, m_dz, bar_a.col(t), m_ws, m_scratch);
        else step_adjoint(*m_energy, s.q, s.ctx, s.solver, m_next, m_dz, bar_a.col(t), m_ws);
        std::swap(m_dz, m_next);
    }
}

namespace {

// every part of a tangent resized to `columns`, the new columns zero (a column that has not begun)
void grow_columns(StateTangent& dz, Eigen::Index columns)
{
    for (Eigen::MatrixXd* b : {&dz.x, &dz.v, &dz.x_prev, &dz.v_prev, &dz.p}) {
        const Eigen::Index old = b->cols();
        b->conservativeResize(Eigen::NoChange, columns);
        b->rightCols(columns - old).setZero();
    }
}

} // namespace

void TrajectoryLinearization::tangent_columns(const StateSelection& sel, const Eigen::Ref<const Eigen::MatrixXd>& da,
                                              Eigen::Ref<Eigen::MatrixXd> ds)
{
    const Model& m = *m_model;
    const int n = horizon(), ns = sel.size(m), np = m.n_p();
    const Eigen::Index columns = da.cols();
    assert(da.rows() == Eigen::Index(n) * np && ds.rows() == Eigen::Index(n + 1) * ns && ds.cols() == columns);
    count_sweep();
    // the first non-zero step of each column; the sweep carries the leading columns up to the
    // last one begun (columns begun later are zero until then)
    std::vector<int> first(std::size_t(columns), n);
    for (Eigen::Index j = 0; j < columns; ++j)
        for (int t = 0; t < n; ++t)
            if (!da.col(j).segment(Eigen::Index(t) * np, np).isZero(0)) {
                first[std::size_t(j)] = t;
                break;
            }
    StateTangent& dz = m_block_dz;
    StateTangent& next = m_block_next;
    dz = StateTangent::zero(m, 0);
    next = dz;
    ds.setZero();
    Eigen::MatrixXd da_t;
    for (int t = 0; t < n; ++t) {
        Eigen::Index active = dz.x.cols();
        for (Eigen::Index j = active; j < columns; ++j)
            if (first[std::size_t(j)] <= t) active = j + 1;
        if (active == 0) continue;
        if (active > dz.x.cols()) grow_columns(dz, active);
        da_t = da.block(Eigen::Index(t) * np, 0, np, active);
        Step& s = m_steps[std::size_t(t)];
        if (s.inverse.size() > 0) step_tangent(*m_energy, s.q, s.ctx, s.inverse, dz, da_t, next, m_scratch);
        else step_tangent(*m_energy, s.q, s.ctx, s.solver, dz, da_t, next);
        std::swap(dz, next);
        sel.extract(m, dz, ds.block(Eigen::Index(t + 1) * ns, 0, ns, active));
    }
}

} // namespace podsim::sim
