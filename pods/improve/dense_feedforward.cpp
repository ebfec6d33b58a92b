// Feedforward and control Hessians of the dense Gauss-Newton step (see dense_feedforward.hpp).
#include "pods/improve/dense_feedforward.hpp"

#include "pods/improve/improvement.hpp"

#include <stdexcept>
#include <string>

namespace podsim::pods {

FeedbackLaw dense_feedforward(const Eigen::MatrixXd& g, const Eigen::MatrixXd& gradient, const ActionMask& fixed,
                              const Eigen::MatrixXd& fixed_delta, double floor)
{
    const Eigen::Index na = gradient.rows(), n = gradient.cols(), order = gradient.size();
    if (g.rows() != order || g.cols() != order || fixed.rows() != na || fixed.cols() != n ||
        fixed_delta.rows() != na || fixed_delta.cols() != n)
        throw std::invalid_argument("dense_feedforward: need an n_a N square matrix and n_a x N gradient, mask and "
                                    "fixed steps, got " + std::to_string(g.rows()) + " x " + std::to_string(g.cols()) +
                                    " and " + std::to_string(na) + " x " + std::to_string(n));
    // position of component (c, t) in reverse time order
    const auto rev = [&](Eigen::Index i) { return (n - 1 - i / na) * na + i % na; };
    Eigen::MatrixXd r(order, order);
    for (Eigen::Index tj = 0; tj < n; ++tj)
        for (Eigen::Index ti = 0; ti < n; ++ti)
            r.block((n - 1 - ti) * na, (n - 1 - tj) * na, na, na) = g.block(ti * na, tj * na, na, na);
    // fixed components decoupled (their diagonal kept, as in the dense step's reduced solve); the
    // right-hand side of every tail: -grad on the free ones, G_ii d_i on the fixed ones
    Eigen::VectorXd b(order);
    Eigen::Array<bool, Eigen::Dynamic, 1> free(order);
    for (Eigen::Index i = 0; i < order; ++i) {
        const Eigen::Index p = rev(i);
        free[p] = !fixed.reshaped()[i];
        b[p] = -gradient.reshaped()[i];
    }
    // the coupling of a fixed component of step s enters the tails from s on: per step, the sum
    // of G_{:,i} d_i over its fixed components (free rows only)
    Eigen::MatrixXd coupling = Eigen::MatrixXd::Zero(order, n);
    for (Eigen::Index i = 0; i < order; ++i) {
        if (free[rev(i)]) continue;
        const double d = fixed_delta.reshaped()[i];
        if (d != 0)
            for (Eigen::Index j = 0; j < order; ++j)
                if (free[rev(j)]) coupling(rev(j), i / na) += g(j, i) * d;
    }
    for (Eigen::Index p = 0; p < order; ++p) {
        if (free[p]) continue;
        const double diag = r(p, p) > 0 ? r(p, p) : 1.0;
        r.row(p).setZero();
        r.col(p).setZero();
        r(p, p) = diag;
    }
    for (Eigen::Index i = 0; i < order; ++i)
        if (!free[rev(i)]) b[rev(i)] = r(rev(i), rev(i)) * fixed_delta.reshaped()[i];
    Eigen::VectorXd x = b; // the whole step (unused): the factorisation is what is wanted
    solve_gauss_newton_system(r, x, free, floor, "reduced Gauss-Newton matrix");
    const auto l = r.triangularView<Eigen::Lower>();
    // y = L^-1 (b - sum of the couplings), per tail: the tail from t sees the couplings of the
    // steps >= t, whose rows all lie in its leading block
    const Eigen::VectorXd y = l.solve(b);
    const Eigen::MatrixXd w = l.solve(coupling);
    FeedbackLaw law;
    law.feedforward.resize(na, n);
    law.control_hessian.resize(std::size_t(n));
    Eigen::VectorXd seen = Eigen::VectorXd::Zero(order); // sum of w's columns of steps >= t
    for (Eigen::Index t = n - 1; t >= 0; --t) {
        seen += w.col(t);
        const Eigen::Index p = (n - 1 - t) * na;
        const Eigen::MatrixXd ltt = r.block(p, p, na, na).triangularView<Eigen::Lower>();
        const Eigen::VectorXd yt = y.segment(p, na) - seen.segment(p, na);
        law.feedforward.col(t) = ltt.transpose().triangularView<Eigen::Upper>().solve(yt);
        law.control_hessian[std::size_t(t)] = ltt * ltt.transpose();
    }
    return law;
}

} // namespace podsim::pods
