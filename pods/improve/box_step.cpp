// Box-aware Gauss-Newton steps: dense projected Newton and Riccati box-DDP (see box_step.hpp).
#include "pods/improve/box_step.hpp"

#include "common/input_error.hpp"
#include "common/text_io.hpp"
#include "pods/improve/box_qp.hpp"
#include "pods/improve/coarse_space.hpp"
#include "pods/improve/improvement.hpp"
#include "pods/improve/row_split.hpp"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace podsim::pods {

namespace {

void require_shape(const char* function, const Eigen::MatrixXd& actions, const ActionMask& mask, const char* what)
{
    if (mask.rows() != actions.rows() || mask.cols() != actions.cols())
        throw std::invalid_argument(std::string(function) + ": " + what + " is " + std::to_string(mask.rows()) + " x " +
                                    std::to_string(mask.cols()) + ", need " + std::to_string(actions.rows()) + " x " +
                                    std::to_string(actions.cols()));
}

[[noreturn]] void ill_conditioned(int t)
{
    throw common::RuntimeFailure("the Gauss-Newton system is singular or ill-conditioned at step " + std::to_string(t) +
                                 ": use an action weight or mu > 0");
}

} // namespace

namespace {

// G_FF d_F = -(grad + G d_C)_F with d_C = fixed_delta on the fixed components; G is consumed.
// `floor` is G's least eigenvalue bound 2 w_a + mu; *shift receives the damping the free block
// needed (solve_gauss_newton_system)
Eigen::MatrixXd reduced_solve(Eigen::MatrixXd g, const Eigen::MatrixXd& gradient, const ActionMask& fixed,
                              const Eigen::MatrixXd& fixed_delta, double floor, double* shift)
{
    const Eigen::Index order = gradient.size();
    const auto is_fixed = fixed.reshaped();
    const Eigen::VectorXd d_fixed = is_fixed.select(fixed_delta.reshaped().array(), 0.0).matrix();
    // fixed rows decoupled as G_ii d_i = G_ii d_C,i (the diagonal kept so that the condition
    // estimate stays on the scale of G)
    Eigen::VectorXd delta = -(gradient.reshaped() + g * d_fixed);
    for (Eigen::Index i = 0; i < order; ++i) {
        if (!is_fixed[i]) continue;
        const double diag = g(i, i) > 0 ? g(i, i) : 1.0;
        g.row(i).setZero();
        g.col(i).setZero();
        g(i, i) = diag;
        delta[i] = diag * d_fixed[i];
    }
    const double lambda = solve_gauss_newton_system(g, delta, !is_fixed.array(), floor, "reduced Gauss-Newton matrix");
    if (shift) *shift = std::max(*shift, lambda);
    return delta.reshaped(gradient.rows(), gradient.cols());
}

} // namespace

Eigen::MatrixXd projected_newton_step_dense(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian,
                                            const Eigen::MatrixXd& gradient, double mu, const ActionMask& fixed,
                                            const Eigen::MatrixXd& fixed_delta)
{
    require_shape(__func__, gradient, fixed, "the fixed mask");
    if (fixed_delta.rows() != gradient.rows() || fixed_delta.cols() != gradient.cols())
        throw std::invalid_argument("projected_newton_step_dense: fixed_delta differs in shape from the gradient");
    return reduced_solve(gauss_newton_matrix(cost, jacobian, int(gradient.cols()), mu), gradient, fixed, fixed_delta,
                         2 * cost.action_weight + mu, nullptr);
}

BoxStepResult box_newton_step_dense(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian,
                                    const Eigen::MatrixXd& gradient, const Eigen::MatrixXd& actions, double limit,
                                    double mu, const ActionMask& held, int passes)
{
    require_shape(__func__, gradient, held, "the held mask");
    if (actions.rows() != gradient.rows() || actions.cols() != gradient.cols())
        throw std::invalid_argument("box_newton_step_dense: the actions differ in shape from the gradient");
    const Eigen::MatrixXd g = gauss_newton_matrix(cost, jacobian, int(gradient.cols()), mu);
    BoxStepResult out;
    out.fixed = held;
    Eigen::MatrixXd fixed_delta = Eigen::MatrixXd::Zero(actions.rows(), actions.cols());
    const double floor = 2 * cost.action_weight + mu;
    out.delta = reduced_solve(g, gradient, out.fixed, fixed_delta, floor, &out.shift);
    for (int pass = 0; pass < passes; ++pass) {
        // free components the step takes out of the box: onto the bound, then solve again
        const Eigen::ArrayXXd moved = actions.array() + out.delta.array();
        const ActionMask leaving = !out.fixed && moved.abs() > limit;
        if (!leaving.any()) break;
        fixed_delta = leaving.select(moved.cwiseMax(-limit).cwiseMin(limit) - actions.array(), fixed_delta.array()).matrix();
        out.fixed = out.fixed || leaving;
        out.delta = reduced_solve(g, gradient, out.fixed, fixed_delta, floor, &out.shift);
    }
    out.clamped = count(out.fixed) - count(held);
    return out;
}

BoxStepResult box_newton_step_matrix_free(GaussNewtonOperator& g, const Eigen::MatrixXd& gradient,
                                          const Eigen::MatrixXd& actions, double limit, const ActionMask& held,
                                          int passes, const CgOptions& cg)
{
    require_shape(__func__, gradient, held, "the held mask");
    if (actions.rows() != gradient.rows() || actions.cols() != gradient.cols() || g.size() != gradient.size())
        throw std::invalid_argument("box_newton_step_matrix_free: the actions, the gradient and the operator differ in size");
    const LinearOperator apply = [&g](const Eigen::VectorXd& x, Eigen::VectorXd& y) { g.apply(x, y); };
    const Eigen::VectorXd rhs = -gradient.reshaped();
    BoxStepResult out;
    out.fixed = held;
    Eigen::VectorXd delta = Eigen::VectorXd::Zero(gradient.size());
    // every solve is deflated by the time coarse space of its free components (coarse_spacing > 0);
    // otherwise the first solve's leading directions precondition the passes' solves (same
    // operator, fewer free components: the preconditioner restricted to them stays SPD)
    const bool deflated = cg.coarse_spacing > 0;
    CgHistory history;
    history.capacity = passes > 0 && !deflated ? std::max(cg.recycled_directions, 0) : 0;
    LimitedMemoryPreconditioner recycled;
    const LinearOperator precondition = [&recycled](const Eigen::VectorXd& r, Eigen::VectorXd& z) { recycled.apply(r, z); };
    // one reduced solve on the current fixed set, from the current delta
    const auto solve = [&](bool first) {
        CgOptions o = cg;
        if (first) o.history = &history;
        else if (recycled.pairs() > 0) o.preconditioner = &precondition;
        const CgResult r = deflated ? deflated_conjugate_gradient(g, rhs, out.fixed.reshaped(), delta, o, cg.coarse_spacing)
                                    : masked_conjugate_gradient(apply, rhs, out.fixed.reshaped(), delta, o);
        if (r.zero_curvature && r.iterations == 0)
            throw common::RuntimeFailure("the reduced Gauss-Newton matrix is singular (zero curvature in conjugate gradients): "
                                         "use an action weight or mu > 0");
        out.cg_iterations += r.iterations;
        out.cg_converged = out.cg_converged && r.converged;
    };
    solve(true);
    if (history.kept() > 0) recycled = LimitedMemoryPreconditioner(history);
    for (int pass = 0; pass < passes; ++pass) {
        // free components the step takes out of the box: onto the bound, then solve again
        const Eigen::ArrayXXd moved = actions.array() + delta.reshaped(actions.rows(), actions.cols()).array();
        const ActionMask leaving = !out.fixed && moved.abs() > limit;
        if (!leaving.any()) break;
        const Eigen::ArrayXXd on_bound = moved.cwiseMax(-limit).cwiseMin(limit) - actions.array();
        delta = leaving.reshaped().select(on_bound.reshaped(), delta.array()).matrix();
        out.fixed = out.fixed || leaving;
        solve(false);
    }
    out.delta = delta.reshaped(actions.rows(), actions.cols());
    out.clamped = count(out.fixed) - count(held);
    return out;
}

BoxStepResult box_riccati_step(const LqModel& lq, const Eigen::MatrixXd& actions, double limit, double mu,
                               const ActionMask& held)
{
    const int n = lq.horizon(), na = lq.action_size(), nz = lq.state_size();
    const int ns = int(lq.selection.rows());
    if (actions.rows() != na || actions.cols() != n)
        throw std::invalid_argument("box_riccati_step: the actions are " + std::to_string(actions.rows()) + " x " +
                                    std::to_string(actions.cols()) + ", the LQ model " + std::to_string(na) + " x " +
                                    std::to_string(n));
    require_shape(__func__, actions, held, "the held mask");
    const Eigen::MatrixXd& s = lq.selection;
    const double inf = std::numeric_limits<double>::infinity();

    BoxStepResult out;
    out.fixed.setConstant(na, n, false);
    std::vector<Eigen::MatrixXd>& gain = out.feedback.gain;
    gain.resize(std::size_t(n));
    out.feedback.control_hessian.resize(std::size_t(n));
    Eigen::MatrixXd feed(na, n);

    // A_t's copy rows (x_prev, v_prev, p) make its products n_z^2 n_d; S is usually a selection
    RowSplit a_split, s_split;
    split_rows(s, s_split);
    // S^T diag(q) S and S^T g into p and pv
    const auto add_state_cost = [&](Eigen::Index row0, Eigen::MatrixXd& p, Eigen::VectorXd& pv) {
        const auto q = lq.q.segment(row0, ns);
        const auto g = lq.d_s.segment(row0, ns);
        if (s_split.dense.empty()) {
            for (const auto& [k, j] : s_split.copies) {
                p(j, j) += q[k];
                pv[j] += g[k];
            }
        } else {
            p.noalias() += s.transpose() * q.asDiagonal() * s;
            pv.noalias() += s.transpose() * g;
        }
    };

    // value function of step N: the terminal cost
    Eigen::MatrixXd p = Eigen::MatrixXd::Zero(nz, nz);
    Eigen::VectorXd pv = Eigen::VectorXd::Zero(nz);
    add_state_cost(Eigen::Index(n) * ns, p, pv);
    Eigen::MatrixXd pb, huu, hux, pa, p_new, gathered, hff, gf, kf;
    Eigen::VectorXd hu, u, residual, pv_new, lo(na), hi(na);
    Eigen::VectorXi free;
    Eigen::Array<bool, Eigen::Dynamic, 1> bound(na);
    Eigen::LLT<Eigen::MatrixXd> llt(na);
    for (int t = n - 1; t >= 0; --t) {
        const Eigen::MatrixXd& bt = lq.b[std::size_t(t)];
        split_rows(lq.a[std::size_t(t)], a_split);
        pb.noalias() = p * bt;
        huu.noalias() = bt.transpose() * pb;
        huu.diagonal().array() += lq.r + mu;
        transpose_times_split(a_split, pb, gathered, pa); // (B^T P A)^T
        hux = pa.transpose();
        hu = lq.d_a.col(t);
        hu.noalias() += bt.transpose() * pv;
        for (int i = 0; i < na; ++i) {
            const double a = actions(i, t);
            lo[i] = held(i, t) ? 0.0 : std::isinf(limit) ? -inf : std::min(0.0, -limit - a);
            hi[i] = held(i, t) ? 0.0 : std::isinf(limit) ? inf : std::max(0.0, limit - a);
        }
        // feedforward k (the box QP's solution) and the gain on its free rows, -H_uu,FF^-1 H_uz,F
        Eigen::MatrixXd& k = gain[std::size_t(t)];
        bound.setConstant(na, false);
        bool solved = false;
        if (!held.col(t).any()) {
            // the unconstrained minimiser solves the QP when it is inside the box (the usual case)
            llt.compute(huu);
            if (llt.info() != Eigen::Success || !(llt.rcond() >= kMinReciprocalCondition)) ill_conditioned(t);
            u = -llt.solve(hu);
            if (((u.array() >= lo.array()) && (u.array() <= hi.array())).all()) {
                k = -llt.solve(hux);
                solved = true;
            }
        }
        if (!solved) {
            const BoxQpResult qp = solve_box_qp(huu, hu, lo, hi, kMinReciprocalCondition);
            if (!qp.well_conditioned) ill_conditioned(t);
            u = qp.u;
            bound = qp.bound;
            k.setZero(na, nz);
            const int nf = int((!bound).count());
            if (nf > 0) {
                hff.resize(nf, nf);
                gf.resize(nf, nz);
                free.resize(nf);
                for (int i = 0, f = 0; i < na; ++i)
                    if (!bound[i]) free[f++] = i;
                for (int a = 0; a < nf; ++a) {
                    gf.row(a) = hux.row(free[a]);
                    for (int b = 0; b < nf; ++b) hff(a, b) = huu(free[a], free[b]);
                }
                kf = -hff.llt().solve(gf);
                for (int a = 0; a < nf; ++a) k.row(free[a]) = kf.row(a);
            }
            for (int i = 0; i < na; ++i) {
                if (!bound[i]) continue;
                out.fixed(i, t) = true;
                if (!held(i, t)) ++out.clamped;
            }
        }
        feed.col(t) = u;
        out.feedback.control_hessian[std::size_t(t)] = huu;
        // value function of step t
        residual = hu;
        residual.noalias() += huu * u; // zero on the free rows
        times_split(p, a_split, gathered, pa);
        transpose_times_split(a_split, pa, gathered, p_new);
        p_new.noalias() += hux.transpose() * k;
        transpose_times_vector(a_split, pv, pv_new);
        pv_new.noalias() += hux.transpose() * u;
        pv_new.noalias() += k.transpose() * residual;
        add_state_cost(Eigen::Index(t) * ns, p_new, pv_new);
        p = 0.5 * (p_new + p_new.transpose());
        std::swap(pv, pv_new);
    }

    out.feedback.feedforward = feed;
    // forward pass from dz_0 = 0 (the initial state is not a decision variable)
    out.delta.resize(na, n);
    Eigen::VectorXd z = Eigen::VectorXd::Zero(nz), z_next(nz);
    for (int t = 0; t < n; ++t) {
        out.delta.col(t) = feed.col(t);
        out.delta.col(t).noalias() += gain[std::size_t(t)] * z;
        z_next.noalias() = lq.a[std::size_t(t)] * z;
        z_next.noalias() += lq.b[std::size_t(t)] * out.delta.col(t);
        std::swap(z, z_next);
    }
    return out;
}

} // namespace podsim::pods
