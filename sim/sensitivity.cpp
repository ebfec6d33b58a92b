// Tangent and adjoint recursions of BDF2 rollouts (see sensitivity.hpp).
#include "sim/sensitivity.hpp"

#include "sim/step_energy.hpp"

#include <cassert>
#include <stdexcept>
#include <string>

namespace podsim::sim {

StateTangent StateTangent::zero(const Model& model, int columns)
{
    StateTangent t;
    for (Eigen::MatrixXd* m : {&t.x, &t.v, &t.x_prev, &t.v_prev}) m->setZero(model.n_x(), columns);
    t.p.setZero(model.n_p(), columns);
    return t;
}

Eigen::VectorXd StateSelection::extract(const Model& model, const State& z) const
{
    Eigen::VectorXd s(size(model));
    extract(model, z, s);
    return s;
}

void StateSelection::extract(const Model& model, const State& z, Eigen::Ref<Eigen::VectorXd> s) const
{
    // element by element: the blocks are a few entries long, too short for Eigen's block loops
    const int d = model.dim, np = model.n_p(), k = int(nodes.size());
    for (int r = 0; r < np; ++r) s[r] = z.p[r];
    for (int i = 0; i < k; ++i) {
        const int node = nodes[std::size_t(i)] * d;
        for (int j = 0; j < d; ++j) {
            s[np + i * d + j] = z.x[node + j];
            s[np + (k + i) * d + j] = z.v[node + j];
        }
    }
}

Eigen::MatrixXd StateSelection::extract(const Model& model, const StateTangent& dz) const
{
    Eigen::MatrixXd s(size(model), dz.x.cols());
    extract(model, dz, s);
    return s;
}

void StateSelection::extract(const Model& model, const StateTangent& dz, Eigen::Ref<Eigen::MatrixXd> s) const
{
    const int d = model.dim, np = model.n_p(), k = int(nodes.size());
    assert(s.rows() == size(model) && s.cols() == dz.x.cols());
    s.topRows(np) = dz.p;
    for (int i = 0; i < k; ++i) {
        s.middleRows(np + i * d, d) = dz.x.middleRows(nodes[std::size_t(i)] * d, d);
        s.middleRows(np + (k + i) * d, d) = dz.v.middleRows(nodes[std::size_t(i)] * d, d);
    }
}

void StateSelection::add_transpose(const Model& model, const Eigen::Ref<const Eigen::MatrixXd>& bar_s,
                                   StateTangent& bar_z) const
{
    // element by element, as extract()
    const int d = model.dim, np = model.n_p(), k = int(nodes.size());
    for (Eigen::Index c = 0; c < bar_s.cols(); ++c) {
        for (int r = 0; r < np; ++r) bar_z.p(r, c) += bar_s(r, c);
        for (int i = 0; i < k; ++i) {
            const int node = nodes[std::size_t(i)] * d;
            for (int j = 0; j < d; ++j) {
                bar_z.x(node + j, c) += bar_s(np + i * d + j, c);
                bar_z.v(node + j, c) += bar_s(np + (k + i) * d + j, c);
            }
        }
    }
}

SensitivityError::SensitivityError(int s)
    : common::RuntimeFailure("step " + std::to_string(s) +
                         ": the exact Hessian is singular, so the step has no derivative"),
      step(s)
{
}

namespace {

void factorize_or_throw(Simulator& sim, const State& z_next)
{
    if (!sim.factorize_exact_hessian(z_next)) throw SensitivityError(z_next.t - 1);
}

// views of a tangent's parts for StepEnergy
StateTangentView view(const StateTangent& dz)
{
    return {dz.x, dz.v, dz.x_prev, dz.v_prev};
}

// the tangent of one step at its converged point (q, ctx) with the exact Hessian's solve
template <typename Solve>
void tangent_at(const StepEnergy& energy, const Eigen::VectorXd& q, const StepContext& ctx, Solve&& solve,
                const StateTangent& dz, const Eigen::Ref<const Eigen::MatrixXd>& da, StateTangent& dz_next)
{
    const Model& m = energy.model();
    const double h = m.dt;
    // handles: dp' = dp + h da
    assert(&dz != &dz_next);
    dz_next.p = dz.p + h * da;
    // H dx' = -(E_xz dz + E_xp dp'), solved in place in dz_next.x (no allocation once sized)
    Eigen::MatrixXd& x = dz_next.x;
    x.setZero(m.n_x(), da.cols());
    energy.add_state_product(q, ctx, -1, view(dz), x);
    energy.add_handle_product(q, ctx, -1, dz_next.p, x);
    solve(x);
    // velocity update and shift
    if (ctx.t == 0)
        dz_next.v = (x - dz.x) / h;
    else
        dz_next.v = (3 * x - 4 * dz.x + dz.x_prev) / (2 * h);
    dz_next.x_prev = dz.x;
    dz_next.v_prev = dz.v;
}

// its exact transpose
template <typename Solve>
void adjoint_at(const StepEnergy& energy, const Eigen::VectorXd& q, const StepContext& ctx, Solve&& solve,
                const StateTangent& bar_next, StateTangent& bar_z, Eigen::Ref<Eigen::MatrixXd> bar_a,
                AdjointWorkspace& ws)
{
    const double h = energy.model().dt;
    // cotangent of x' (its own plus the velocity update's), then w = H^-1 bar_x' (in place)
    Eigen::MatrixXd& w = ws.w;
    if (ctx.t == 0) w = bar_next.x + bar_next.v / h;
    else w = bar_next.x + (3 / (2 * h)) * bar_next.v;
    solve(w);
    // x' = x'(p', z) with dx' = -H^-1 (E_xp dp' + E_xz dz): p' = p + h a gets -E_xp^T w
    Eigen::MatrixXd& bar_p_next = ws.bar_p;
    bar_p_next = bar_next.p;
    energy.add_handle_product_transpose(q, ctx, -1, w, bar_p_next);
    bar_z.p += bar_p_next;
    bar_a += h * bar_p_next;
    // ... and z gets -E_xz^T w (through xhat and the start positions)
    energy.add_state_product_transpose(q, ctx, -1, w, {bar_z.x, bar_z.v, bar_z.x_prev, bar_z.v_prev});
    // the velocity update and the shift read z directly
    bar_z.v += bar_next.v_prev;
    if (ctx.t == 0) {
        bar_z.x += bar_next.x_prev - bar_next.v / h;
    } else {
        bar_z.x += bar_next.x_prev - (2 / h) * bar_next.v;
        bar_z.x_prev += (1 / (2 * h)) * bar_next.v;
    }
}

} // namespace

void step_tangent(Simulator& sim, const State& z, const State& z_next, const StateTangent& dz,
                  const Eigen::Ref<const Eigen::MatrixXd>& da, StateTangent& dz_next)
{
    factorize_or_throw(sim, z_next);
    assert(sim.exact_context().t == z.t);
    (void)z;
    tangent_at(sim.energy(), sim.exact_hessian_positions(), sim.exact_context(),
               [&sim](Eigen::Ref<Eigen::MatrixXd> b) { sim.solve_exact(b); }, dz, da, dz_next);
}

void step_tangent(const StepEnergy& energy, const Eigen::VectorXd& q, const StepContext& ctx, LinearSolver& solver,
                  const StateTangent& dz, const Eigen::Ref<const Eigen::MatrixXd>& da, StateTangent& dz_next)
{
    tangent_at(energy, q, ctx, [&solver](Eigen::Ref<Eigen::MatrixXd> b) { solver.solve_in_place(b); }, dz, da, dz_next);
}

void step_adjoint(Simulator& sim, const State& z, const State& z_next, const StateTangent& bar_next,
                  StateTangent& bar_z, Eigen::Ref<Eigen::MatrixXd> bar_a)
{
    AdjointWorkspace ws;
    step_adjoint(sim, z, z_next, bar_next, bar_z, bar_a, ws);
}

void step_adjoint(Simulator& sim, const State& z, const State& z_next, const StateTangent& bar_next,
                  StateTangent& bar_z, Eigen::Ref<Eigen::MatrixXd> bar_a, AdjointWorkspace& ws)
{
    factorize_or_throw(sim, z_next);
    assert(sim.exact_context().t == z.t);
    (void)z;
    adjoint_at(sim.energy(), sim.exact_hessian_positions(), sim.exact_context(),
               [&sim](Eigen::Ref<Eigen::MatrixXd> b) { sim.solve_exact(b); }, bar_next, bar_z, bar_a, ws);
}

void step_adjoint(const StepEnergy& energy, const Eigen::VectorXd& q, const StepContext& ctx, LinearSolver& solver,
                  const StateTangent& bar_next, StateTangent& bar_z, Eigen::Ref<Eigen::MatrixXd> bar_a,
                  AdjointWorkspace& ws)
{
    adjoint_at(energy, q, ctx, [&solver](Eigen::Ref<Eigen::MatrixXd> b) { solver.solve_in_place(b); }, bar_next, bar_z,
               bar_a, ws);
}

namespace {

// b <- H^-1 b with a stored inverse (scratch holds the product; H^-1 is symmetric, so it is also
// the adjoint's H^-T). Several columns (TrajectoryLinearization::tangent_columns) take a
// coefficient-based product: on one thread whatever Eigen's OpenMP setting, so the same bits for
// any thread count (Eigen's threaded product also stalls on a loaded machine)
auto inverse_product(const Eigen::MatrixXd& inverse, Eigen::MatrixXd& scratch)
{
    return [&inverse, &scratch](Eigen::Ref<Eigen::MatrixXd> b) {
        if (b.cols() == 1) scratch.noalias() = inverse * b;
        else scratch.noalias() = inverse.lazyProduct(b);
        b = scratch;
    };
}

} // namespace

void step_tangent(const StepEnergy& energy, const Eigen::VectorXd& q, const StepContext& ctx,
                  const Eigen::MatrixXd& inverse, const StateTangent& dz, const Eigen::Ref<const Eigen::MatrixXd>& da,
                  StateTangent& dz_next, Eigen::MatrixXd& scratch)
{
    tangent_at(energy, q, ctx, inverse_product(inverse, scratch), dz, da, dz_next);
}

void step_adjoint(const StepEnergy& energy, const Eigen::VectorXd& q, const StepContext& ctx,
                  const Eigen::MatrixXd& inverse, const StateTangent& bar_next, StateTangent& bar_z,
                  Eigen::Ref<Eigen::MatrixXd> bar_a, AdjointWorkspace& ws, Eigen::MatrixXd& scratch)
{
    adjoint_at(energy, q, ctx, inverse_product(inverse, scratch), bar_next, bar_z, bar_a, ws);
}

namespace {

// the trajectory functions treat states[0] as an initial state (BDF1 first step, no previous
// step slots): a rollout that starts later is refused in every build type
void require_initial_rollout(const std::vector<State>& states, const char* function)
{
    if (states.empty() || states[0].t != 0)
        throw std::invalid_argument(std::string(function) + ": the rollout must start at an initial state (t = 0), got " +
                                    (states.empty() ? std::string("no states") : "t = " + std::to_string(states[0].t)) +
                                    "; use step_tangent / step_adjoint for rollouts that start later");
}

} // namespace

Eigen::VectorXd trajectory_tangent(Simulator& sim, const std::vector<State>& states,
                                   const StateSelection& sel, const Eigen::MatrixXd& da,
                                   const Eigen::VectorXd& dx0, const Eigen::VectorXd& dv0)
{
    require_initial_rollout(states, __func__);
    const Model& m = sim.model();
    const int n = int(states.size()) - 1, ns = sel.size(m);
    assert(da.rows() == m.n_p() && da.cols() == n);
    Eigen::VectorXd ds(Eigen::Index(n + 1) * ns);
    StateTangent dz = StateTangent::zero(m, 1), next;
    dz.x.col(0) = dx0;
    dz.v.col(0) = dv0;
    dz.x_prev = dz.x;
    dz.v_prev = dz.v;
    ds.head(ns) = sel.extract(m, dz);
    for (int t = 0; t < n; ++t) {
        step_tangent(sim, states[std::size_t(t)], states[std::size_t(t) + 1], dz, da.col(t), next);
        std::swap(dz, next);
        ds.segment(Eigen::Index(t + 1) * ns, ns) = sel.extract(m, dz);
    }
    return ds;
}

TrajectoryGradient trajectory_adjoint(Simulator& sim, const std::vector<State>& states,
                                      const StateSelection& sel, const Eigen::VectorXd& bar_s)
{
    require_initial_rollout(states, __func__);
    const Model& m = sim.model();
    const int n = int(states.size()) - 1, ns = sel.size(m);
    assert(bar_s.size() == Eigen::Index(n + 1) * ns);
    TrajectoryGradient g;
    g.actions.setZero(m.n_p(), n);
    StateTangent bar_next = StateTangent::zero(m, 1), bar = bar_next;
    AdjointWorkspace ws;
    sel.add_transpose(m, bar_s.segment(Eigen::Index(n) * ns, ns), bar_next);
    for (int t = n - 1; t >= 0; --t) {
        for (Eigen::MatrixXd* b : {&bar.x, &bar.v, &bar.x_prev, &bar.v_prev, &bar.p}) b->setZero();
        sel.add_transpose(m, bar_s.segment(Eigen::Index(t) * ns, ns), bar);
        step_adjoint(sim, states[std::size_t(t)], states[std::size_t(t) + 1], bar_next, bar, g.actions.col(t), ws);
        std::swap(bar, bar_next);
    }
    // z_0's previous-step slots do not enter the BDF1 step
    g.x0 = bar_next.x.col(0);
    g.v0 = bar_next.v.col(0);
    return g;
}

Eigen::MatrixXd trajectory_jacobian(Simulator& sim, const std::vector<State>& states, const StateSelection& sel)
{
    require_initial_rollout(states, __func__);
    const Model& m = sim.model();
    const int n = int(states.size()) - 1, ns = sel.size(m), na = m.n_p(), nx = m.n_x(), d = m.dim;
    const double h = m.dt;
    Eigen::MatrixXd j = Eigen::MatrixXd::Zero(Eigen::Index(n + 1) * ns, Eigen::Index(n) * na);
    // step_tangent specialised to all actions at once: the tangents of z_t carry only the
    // columns of a_0..a_{t-1} (later ones are zero) and dp_t/da_k = h I for k < t is known, so
    // step t solves with (t+1) n_a right-hand sides; buffers rotate instead of being copied
    Eigen::MatrixXd x = Eigen::MatrixXd::Zero(nx, Eigen::Index(n) * na), v = x, x_prev = x, v_prev = x, next = x;
    Eigen::MatrixXd coupling(nx, na);
    const Eigen::MatrixXd identity = Eigen::MatrixXd::Identity(na, na);
    for (int t = 0; t < n; ++t) {
        const int k = (t + 1) * na;
        factorize_or_throw(sim, states[std::size_t(t) + 1]);
        const StepEnergy& energy = sim.energy();
        const StepContext& ctx = sim.exact_context();
        const Eigen::VectorXd& q = sim.exact_hessian_positions();
        // right-hand side -(E_xz dz_t + E_xp dp_{t+1}), dp_{t+1} = h [I ... I]
        auto rhs = next.leftCols(k);
        rhs.setZero();
        energy.add_state_product(q, ctx, -1, {x.leftCols(k), v.leftCols(k), x_prev.leftCols(k), v_prev.leftCols(k)}, rhs);
        coupling.setZero();
        energy.add_handle_product(q, ctx, -h, identity, coupling);
        for (int col = 0; col <= t; ++col) rhs.middleCols(col * na, na) += coupling;
        sim.solve_exact(rhs);
        // velocities, then rotate: (x_prev, x, next) <- (x, next, x_prev), (v_prev, v) <- (v, new v)
        if (t == 0)
            x_prev.leftCols(k) = (rhs - x.leftCols(k)) / h; // x_prev is free at t = 0: new v
        else
            x_prev.leftCols(k) = (3 * rhs - 4 * x.leftCols(k) + x_prev.leftCols(k)) / (2 * h);
        std::swap(v_prev, v);      // v_prev <- v
        std::swap(v, x_prev);      // v <- new v; x_prev now holds stale data
        std::swap(x_prev, x);      // x_prev <- x
        std::swap(x, next);        // x <- new x; next is scratch
        // rows of s_{t+1}: p, payload x, payload v
        const Eigen::Index row = Eigen::Index(t + 1) * ns;
        for (int col = 0; col <= t; ++col) j.block(row, col * na, na, na) = h * identity;
        for (std::size_t i = 0; i < sel.nodes.size(); ++i) {
            const int node = sel.nodes[i];
            j.block(row + na + Eigen::Index(i) * d, 0, d, k) = x.block(node * d, 0, d, k);
            j.block(row + na + Eigen::Index(sel.nodes.size() + i) * d, 0, d, k) = v.block(node * d, 0, d, k);
        }
    }
    return j;
}

Eigen::MatrixXd initial_state_jacobian(Simulator& sim, const std::vector<State>& states, const StateSelection& sel)
{
    require_initial_rollout(states, __func__);
    const Model& m = sim.model();
    const int n = int(states.size()) - 1, ns = sel.size(m), nx = m.n_x();
    Eigen::MatrixXd j(Eigen::Index(n + 1) * ns, 2 * nx);
    StateTangent dz = StateTangent::zero(m, 2 * nx), next;
    dz.x.leftCols(nx).setIdentity();
    dz.v.rightCols(nx).setIdentity();
    dz.x_prev = dz.x;
    dz.v_prev = dz.v;
    j.topRows(ns) = sel.extract(m, dz);
    const Eigen::MatrixXd da = Eigen::MatrixXd::Zero(m.n_p(), 2 * nx);
    for (int t = 0; t < n; ++t) {
        step_tangent(sim, states[std::size_t(t)], states[std::size_t(t) + 1], dz, da, next);
        std::swap(dz, next);
        j.middleRows(Eigen::Index(t + 1) * ns, ns) = sel.extract(m, dz);
    }
    return j;
}

} // namespace podsim::sim
