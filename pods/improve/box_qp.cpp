// Small box-constrained QP by a primal active-set method (see box_qp.hpp).
#include "pods/improve/box_qp.hpp"

#include <Eigen/Cholesky>

#include <algorithm>
#include <stdexcept>

namespace podsim::pods {

BoxQpResult solve_box_qp(const Eigen::MatrixXd& h_mat, const Eigen::VectorXd& h, const Eigen::VectorXd& lo,
                         const Eigen::VectorXd& hi, double min_reciprocal_condition)
{
    const Eigen::Index m = h.size();
    if (h_mat.rows() != m || h_mat.cols() != m || lo.size() != m || hi.size() != m)
        throw std::invalid_argument("solve_box_qp: H, h, lo and hi differ in size");
    if (!((lo.array() <= 0).all() && (hi.array() >= 0).all()))
        throw std::invalid_argument("solve_box_qp: u = 0 must be feasible (lo <= 0 <= hi)");
    BoxQpResult r;
    r.u.setZero(m);
    const Eigen::Array<bool, Eigen::Dynamic, 1> fixed = lo.array() == hi.array();
    r.bound = fixed;

    // multipliers of bound components are tested against this (round-off in H u + h)
    const double tiny = 1e-13 * std::max(1.0, h.cwiseAbs().maxCoeff());
    const int cap = int(4 * m + 8);
    Eigen::VectorXi free(m);
    Eigen::MatrixXd hff;
    Eigen::VectorXd rhs, target;
    for (;;) {
        Eigen::Index nf = 0;
        for (Eigen::Index i = 0; i < m; ++i)
            if (!r.bound[i]) free[nf++] = int(i);
        if (nf > 0) {
            // minimiser over the free components, the bound ones fixed: H_FF y = -(h + H u_B)_F
            hff.resize(nf, nf);
            rhs.resize(nf);
            for (Eigen::Index a = 0; a < nf; ++a) {
                double s = h[free[a]];
                for (Eigen::Index j = 0; j < m; ++j)
                    if (r.bound[j]) s += h_mat(free[a], j) * r.u[j];
                rhs[a] = -s;
                for (Eigen::Index b = 0; b < nf; ++b) hff(a, b) = h_mat(free[a], free[b]);
            }
            const Eigen::LLT<Eigen::MatrixXd> llt(hff);
            if (llt.info() != Eigen::Success || !(llt.rcond() >= min_reciprocal_condition)) {
                r.well_conditioned = false;
                return r;
            }
            target = llt.solve(rhs);
            // move towards it as far as the box allows
            double alpha = 1, blocking_value = 0;
            Eigen::Index blocking = -1;
            for (Eigen::Index a = 0; a < nf; ++a) {
                const Eigen::Index i = free[a];
                const double p = target[a] - r.u[i];
                if (p == 0) continue;
                const double edge = p > 0 ? hi[i] : lo[i];
                const double reach = (edge - r.u[i]) / p; // +inf for an infinite bound
                if (reach < alpha) {
                    alpha = std::max(0.0, reach);
                    blocking = i;
                    blocking_value = edge;
                }
            }
            for (Eigen::Index a = 0; a < nf; ++a) {
                const Eigen::Index i = free[a];
                r.u[i] = std::clamp(r.u[i] + alpha * (target[a] - r.u[i]), lo[i], hi[i]); // round-off
            }
            if (blocking >= 0) {
                r.u[blocking] = blocking_value; // exactly on the bound
                r.bound[blocking] = true;
                if (++r.iterations >= cap) return r;
                continue;
            }
        }
        // at the minimiser of the current face: free the worst bound component whose multiplier
        // points into the box (at hi: dq/du_i > 0; at lo: dq/du_i < 0)
        Eigen::Index release = -1;
        double worst = tiny;
        for (Eigen::Index i = 0; i < m; ++i) {
            if (!r.bound[i] || fixed[i]) continue;
            const double g = h_mat.row(i).dot(r.u) + h[i];
            const double wrong = r.u[i] >= hi[i] ? g : -g;
            if (wrong > worst) {
                worst = wrong;
                release = i;
            }
        }
        if (release < 0) return r;
        r.bound[release] = false;
        if (++r.iterations >= cap) return r;
    }
}

} // namespace podsim::pods
