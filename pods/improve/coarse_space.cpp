// Conjugate gradients deflated by a time coarse space (see coarse_space.hpp).
#include "pods/improve/coarse_space.hpp"

#include "pods/improve/improvement.hpp"

#include <Eigen/Cholesky>
#include <Eigen/SparseCore>

#include <cassert>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace podsim::pods {

Eigen::MatrixXd time_hat_basis(int horizon, int actions, int spacing)
{
    if (horizon < 1 || actions < 1 || spacing < 1)
        throw std::invalid_argument("time_hat_basis: need horizon, actions and spacing >= 1, got " + std::to_string(horizon) +
                                    ", " + std::to_string(actions) + ", " + std::to_string(spacing));
    const int nodes = (horizon - 1 + spacing - 1) / spacing + 1;
    Eigen::MatrixXd z = Eigen::MatrixXd::Zero(Eigen::Index(horizon) * actions, Eigen::Index(nodes) * actions);
    for (int t = 0; t < horizon; ++t) {
        const int j = t / spacing;
        const double f = double(t - j * spacing) / spacing; // weight of node j + 1
        for (int i = 0; i < actions; ++i) {
            const Eigen::Index row = Eigen::Index(t) * actions + i;
            z(row, Eigen::Index(j) * actions + i) = 1 - f;
            if (f > 0) z(row, Eigen::Index(j + 1) * actions + i) = f;
        }
    }
    return z;
}

CgResult deflated_conjugate_gradient(GaussNewtonOperator& g, const Eigen::VectorXd& b,
                                     const Eigen::Array<bool, Eigen::Dynamic, 1>& fixed, Eigen::VectorXd& x,
                                     const CgOptions& options, int spacing)
{
    const Eigen::Index n = b.size();
    assert(g.size() == n && x.size() == n && fixed.size() == n);
    CgResult result;
    const MaskedCgStart start = start_masked_cg(b, fixed, options);
    if (start.done) {
        result.converged = true;
        return result;
    }
    const Eigen::VectorXd& b_free = start.b_free;
    const double reference = start.reference;
    const int cap = start.cap;
    CgHistory* history = options.history;
    const auto mask = [&fixed](Eigen::VectorXd& v) { v = fixed.select(0.0, v.array()).matrix(); };
    const Eigen::VectorXd& q = g.state_weights();
    const double d = g.diagonal();

    // the coarse space on the free components, T = J Z and E = Z^T G Z = T^T Q T + d Z^T Z
    const Eigen::MatrixXd hats = time_hat_basis(g.horizon(), g.actions(), spacing);
    Eigen::MatrixXd z(n, hats.cols());
    Eigen::Index m = 0;
    for (Eigen::Index j = 0; j < hats.cols(); ++j) {
        const Eigen::VectorXd free_part = fixed.select(0.0, hats.col(j).array()).matrix();
        if (!free_part.isZero(0)) z.col(m++) = free_part;
    }
    z.conservativeResize(Eigen::NoChange, m);
    Eigen::MatrixXd t;
    g.state_directions(z, t);
    // T^T Q T over the weighted rows (a rank update: Eigen's OpenMP matrix product stalls on a
    // loaded machine), Z^T Z sparse
    std::vector<Eigen::Index> weighted;
    for (Eigen::Index i = 0; i < q.size(); ++i)
        if (q[i] != 0) weighted.push_back(i);
    Eigen::MatrixXd wt(Eigen::Index(weighted.size()), m);
    for (std::size_t k = 0; k < weighted.size(); ++k) wt.row(Eigen::Index(k)) = std::sqrt(q[weighted[k]]) * t.row(weighted[k]);
    Eigen::MatrixXd e = Eigen::MatrixXd::Zero(m, m);
    e.selfadjointView<Eigen::Lower>().rankUpdate(wt.transpose());
    e = e.selfadjointView<Eigen::Lower>();
    const Eigen::SparseMatrix<double> zs = z.sparseView();
    e += d * Eigen::MatrixXd(zs.transpose() * zs);
    const Eigen::LLT<Eigen::MatrixXd> coarse(e);
    if (coarse.info() != Eigen::Success || !(coarse.rcond() >= kMinReciprocalCondition)) {
        // no usable coarse space (only possible with w_a = mu = 0): plain CG
        const LinearOperator apply = [&g](const Eigen::VectorXd& v, Eigen::VectorXd& out) { g.apply(v, out); };
        CgOptions plain = options;
        plain.preconditioner = nullptr;
        return masked_conjugate_gradient(apply, b, fixed, x, plain);
    }
    result.coarse_columns = int(m);

    // r = (b - G x)_F, then x_0 = x + Z E^-1 Z^T r and r_0 = r - (G Z E^-1 Z^T r)_F
    Eigen::VectorXd r = b_free, ap(n), jr, jp;
    if (!x.isZero(0)) {
        g.apply(x, ap);
        r = b - ap;
        mask(r);
    }
    Eigen::VectorXd y = coarse.solve(zs.transpose() * r);
    const Eigen::VectorXd zy = zs * y;
    x += zy;
    g.apply_from_state(zy, t * y, ap);
    r -= ap;
    mask(r);
    // the search direction's coarse correction, E mu = Z^T G r, and J p alongside p
    const auto coarse_correction = [&](const Eigen::VectorXd& jr_, const Eigen::VectorXd& r_) {
        const Eigen::VectorXd qjr = q.cwiseProduct(jr_);
        Eigen::VectorXd zgr = t.transpose() * qjr;
        const Eigen::VectorXd zr = zs.transpose() * r_;
        zgr += d * zr;
        return Eigen::VectorXd(coarse.solve(zgr));
    };
    double rr = r.squaredNorm();
    const double target = options.tolerance * reference;
    Eigen::VectorXd p, mu;
    if (std::sqrt(rr) > target && cap > 0) {
        g.state_direction(r, jr);
        mu = coarse_correction(jr, r);
        p = r - zs * mu;
        jp = jr - t * mu;
    }
    while (std::sqrt(rr) > target && result.iterations < cap) {
        g.apply_from_state(p, jp, ap);
        mask(ap);
        const double curvature = p.dot(ap);
        if (!(curvature > 0)) {
            result.zero_curvature = true;
            break;
        }
        if (history) history->record(p, ap);
        ++result.iterations;
        const double alpha = rr / curvature;
        x.noalias() += alpha * p;
        r.noalias() -= alpha * ap;
        const double rr_next = r.squaredNorm();
        const double beta = rr_next / rr;
        rr = rr_next;
        if (!(std::sqrt(rr) > target) || result.iterations >= cap) break;
        g.state_direction(r, jr);
        mu = coarse_correction(jr, r);
        p = beta * p + r - zs * mu;
        jp = beta * jp + jr - t * mu;
    }
    result.relative_residual = std::sqrt(rr) / reference;
    result.converged = result.relative_residual <= options.tolerance;
    return result;
}

} // namespace podsim::pods
