// Energy weights of state perturbations (see energy_norm.hpp).
#include "pods/diagnose/energy_norm.hpp"

#include "common/input_error.hpp"
#include "pods/task/observation.hpp"
#include "sim/potential.hpp"

#include <Eigen/Cholesky>

#include <cassert>
#include <cmath>
#include <string>

namespace podsim::pods {

std::vector<StateWeights> trajectory_weights(const sim::Model& model, const Task& task,
                                             const std::vector<sim::State>& states)
{
    const int nx = model.n_x(), np = model.n_p();
    // c = (V / L)^2 from the policy's input scales (1/L on positions, 1/V on velocities)
    const Eigen::VectorXd s = observation_scale(model, task);
    const double ratio = s[s.size() - 1] / s[0], c = 1 / (ratio * ratio);
    Eigen::VectorXd q = model.nominal_positions();
    Eigen::VectorXd diagonal(nx + np);
    diagonal.head(nx) = c * model.mass;
    diagonal.tail(np).setConstant(c * (nx > 0 ? model.mass.mean() : 1.0));
    std::vector<StateWeights> w(states.size());
    for (std::size_t t = 0; t < states.size(); ++t) {
        // W = K+ + c diag(M, m_mean I) over (x, p) at (x_t, p_t), fixed nodes where the model has them
        q.head(nx) = states[t].x;
        q.segment(nx, np) = states[t].p;
        Eigen::MatrixXd k = Eigen::MatrixXd(sim::potential_energy_hessian(model, q, true)).topLeftCorner(nx + np, nx + np);
        k.diagonal() += diagonal;
        // free block and whole: both positive definite (K+ is PSD, c > 0)
        const Eigen::LLT<Eigen::MatrixXd> free(k.topLeftCorner(nx, nx)), full(k);
        if (free.info() != Eigen::Success || full.info() != Eigen::Success)
            throw common::RuntimeFailure("state " + std::to_string(t) +
                                         ": the energy weight of the diagnostics is not positive definite");
        w[t].r = free.matrixU();
        w[t].r_full = full.matrixU();
        w[t].sqrt_mass = model.mass.cwiseSqrt();
        w[t].dt = model.dt;
    }
    return w;
}

Eigen::MatrixXd weighted_map(const Eigen::MatrixXd& x, const StateWeights& to, const StateWeights& from)
{
    const Eigen::Index nx = to.r.rows(), nq = 4 * nx, n = x.rows(), np = n - nq;
    assert(x.cols() == n && np >= 0);
    const bool full = np > 0;
    // rows: Y = D_to X, with D (x, v, x_prev, v_prev, p) -> (R [x; p], M^1/2 v, M^1/2 (x - x_prev) / h, M^1/2 v_prev)
    Eigen::MatrixXd y(n, n);
    if (full) {
        Eigen::MatrixXd pos(nx + np, n);
        pos << x.topRows(nx), x.bottomRows(np);
        pos = to.r_full.triangularView<Eigen::Upper>() * pos;
        y.topRows(nx) = pos.topRows(nx);
        y.bottomRows(np) = pos.bottomRows(np);
    } else {
        y.topRows(nx).noalias() = to.r.triangularView<Eigen::Upper>() * x.topRows(nx);
    }
    y.middleRows(nx, nx) = to.sqrt_mass.asDiagonal() * x.middleRows(nx, nx);
    y.middleRows(2 * nx, nx) = (to.sqrt_mass / to.dt).asDiagonal() * (x.topRows(nx) - x.middleRows(2 * nx, nx));
    y.middleRows(3 * nx, nx) = to.sqrt_mass.asDiagonal() * x.middleRows(3 * nx, nx);
    // columns: Y D_from^-1 with x = R^-1 zeta_x (with p: [x; p] = R_full^-1 zeta_xp),
    // v = M^-1/2 zeta_v, x_prev = x - h M^-1/2 zeta_w, v_prev = M^-1/2 zeta_vp
    Eigen::MatrixXd out(n, n);
    const Eigen::VectorXd inv_sqrt_mass = from.sqrt_mass.cwiseInverse();
    out.middleCols(2 * nx, nx) = -from.dt * (y.middleCols(2 * nx, nx) * inv_sqrt_mass.asDiagonal());
    out.middleCols(nx, nx) = y.middleCols(nx, nx) * inv_sqrt_mass.asDiagonal();
    out.middleCols(3 * nx, nx) = y.middleCols(3 * nx, nx) * inv_sqrt_mass.asDiagonal();
    if (full) {
        Eigen::MatrixXd pos(n, nx + np);
        pos << y.leftCols(nx) + y.middleCols(2 * nx, nx), y.rightCols(np);
        from.r_full.triangularView<Eigen::Upper>().solveInPlace<Eigen::OnTheRight>(pos);
        out.leftCols(nx) = pos.leftCols(nx);
        out.rightCols(np) = pos.rightCols(np);
    } else {
        Eigen::MatrixXd pos = y.leftCols(nx) + y.middleCols(2 * nx, nx);
        from.r.triangularView<Eigen::Upper>().solveInPlace<Eigen::OnTheRight>(pos);
        out.leftCols(nx) = pos;
    }
    return out;
}

} // namespace podsim::pods
