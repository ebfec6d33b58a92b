// Energy weights of state perturbations (see energy_norm.hpp).
#include "pods/diagnose/energy_norm.hpp"

#include "common/input_error.hpp"
#include "pods/task/observation.hpp"
#include "sim/contact.hpp"
#include "sim/potential.hpp"

#include <Eigen/Cholesky>

#include <cassert>
#include <cmath>
#include <string>

namespace podsim::pods {

namespace {

// k (free block) += e''(d) n n^T per free node and plane: the contact penalty is potential energy,
// so a node pressed into a table is as stiff as the table (PSD: e'' >= 0). Friction and the
// normal damping dissipate and store none, so they do not enter.
void add_contact_stiffness(const sim::Model& model, const Eigen::VectorXd& x, Eigen::MatrixXd& k)
{
    const int dim = model.dim;
    for (const sim::ContactPlane& c : model.contacts) {
        const Eigen::VectorXd n = c.normal.head(dim);
        for (int i = 0; i < model.n_free; ++i) {
            const double d = n.dot(x.segment(i * dim, dim) - c.point.head(dim));
            const double stiffness = sim::penalty_energy_hessian(d, c.stiffness, c.smoothing);
            if (stiffness > 0) k.block(i * dim, i * dim, dim, dim) += stiffness * n * n.transpose();
        }
    }
}

} // namespace

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
        add_contact_stiffness(model, states[t].x, k);
        k.diagonal() += diagonal;
        // free block and whole: both positive definite (K+ is PSD, c > 0)
        const Eigen::LLT<Eigen::MatrixXd> free(k.topLeftCorner(nx, nx)), full(k);
        if (free.info() != Eigen::Success || full.info() != Eigen::Success)
            throw common::RuntimeFailure("state " + std::to_string(t) +
                                         ": the energy weight of the diagnostics is not positive definite");
        w[t].r = free.matrixU();
        w[t].r_full = full.matrixU();
        w[t].sqrt_mass = model.mass.cwiseSqrt();
        w[t].sqrt_mean_mass = std::sqrt(nx > 0 ? model.mass.mean() : 1.0);
        w[t].dt = model.dt;
    }
    return w;
}

namespace {

// D X for X with the rows of z (n = 4 n_x + np rows, np = 0 or n_p), any columns
Eigen::MatrixXd weigh_rows(const Eigen::MatrixXd& x, const StateWeights& w, Eigen::Index np)
{
    const Eigen::Index nx = w.r.rows(), n = x.rows();
    Eigen::MatrixXd y(n, x.cols());
    // (R [x; p], M^1/2 v, M^1/2 (x - x_prev) / h, M^1/2 v_prev)
    if (np > 0) {
        Eigen::MatrixXd pos(nx + np, x.cols());
        pos << x.topRows(nx), x.bottomRows(np);
        pos = w.r_full.triangularView<Eigen::Upper>() * pos;
        y.topRows(nx) = pos.topRows(nx);
        y.bottomRows(np) = pos.bottomRows(np);
    } else {
        y.topRows(nx).noalias() = w.r.triangularView<Eigen::Upper>() * x.topRows(nx);
    }
    y.middleRows(nx, nx) = w.sqrt_mass.asDiagonal() * x.middleRows(nx, nx);
    y.middleRows(2 * nx, nx) = (w.sqrt_mass / w.dt).asDiagonal() * (x.topRows(nx) - x.middleRows(2 * nx, nx));
    y.middleRows(3 * nx, nx) = w.sqrt_mass.asDiagonal() * x.middleRows(3 * nx, nx);
    return y;
}

// Y D^-1 for Y with the columns of z: x = R^-1 zeta_x (with p: [x; p] = R_full^-1 zeta_xp),
// v = M^-1/2 zeta_v, x_prev = x - h M^-1/2 zeta_w, v_prev = M^-1/2 zeta_vp
Eigen::MatrixXd unweigh_cols(const Eigen::MatrixXd& y, const StateWeights& w, Eigen::Index np)
{
    const Eigen::Index nx = w.r.rows(), n = y.cols();
    Eigen::MatrixXd out(y.rows(), n);
    const Eigen::VectorXd inv_sqrt_mass = w.sqrt_mass.cwiseInverse();
    out.middleCols(2 * nx, nx) = -w.dt * (y.middleCols(2 * nx, nx) * inv_sqrt_mass.asDiagonal());
    out.middleCols(nx, nx) = y.middleCols(nx, nx) * inv_sqrt_mass.asDiagonal();
    out.middleCols(3 * nx, nx) = y.middleCols(3 * nx, nx) * inv_sqrt_mass.asDiagonal();
    if (np > 0) {
        Eigen::MatrixXd pos(y.rows(), nx + np);
        pos << y.leftCols(nx) + y.middleCols(2 * nx, nx), y.rightCols(np);
        w.r_full.triangularView<Eigen::Upper>().solveInPlace<Eigen::OnTheRight>(pos);
        out.leftCols(nx) = pos.leftCols(nx);
        out.rightCols(np) = pos.rightCols(np);
    } else {
        Eigen::MatrixXd pos = y.leftCols(nx) + y.middleCols(2 * nx, nx);
        w.r.triangularView<Eigen::Upper>().solveInPlace<Eigen::OnTheRight>(pos);
        out.leftCols(nx) = pos;
    }
    return out;
}

} // namespace

Eigen::MatrixXd weighted_map(const Eigen::MatrixXd& x, const StateWeights& to, const StateWeights& from)
{
    const Eigen::Index nx = to.r.rows(), nq = 4 * nx, n = x.rows(), np = to.r_full.rows() - nx;
    assert(x.cols() == n && (n == nq || n == nq + np || n == nq + 2 * np));
    if (np == 0 || n < nq + 2 * np) {
        const Eigen::Index p = n - nq;
        return unweigh_cols(weigh_rows(x, to, p), from, p);
    }
    // the augmented state (z, a_prev): z blocks as above, a_prev weighed by sqrt(m_mean)
    const Eigen::Index nz = nq + np;
    Eigen::MatrixXd out(n, n);
    out.topLeftCorner(nz, nz) = unweigh_cols(weigh_rows(x.topLeftCorner(nz, nz), to, np), from, np);
    out.topRightCorner(nz, np) = weigh_rows(x.topRightCorner(nz, np), to, np) / from.sqrt_mean_mass;
    out.bottomLeftCorner(np, nz) = to.sqrt_mean_mass * unweigh_cols(x.bottomLeftCorner(np, nz), from, np);
    out.bottomRightCorner(np, np) = (to.sqrt_mean_mass / from.sqrt_mean_mass) * x.bottomRightCorner(np, np);
    return out;
}

} // namespace podsim::pods
