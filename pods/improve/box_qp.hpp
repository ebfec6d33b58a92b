#pragma once
// A small box-constrained quadratic programme, the per-step subproblem of the box-DDP backward
// pass (docs/optimization.md):
//   minimise 1/2 u^T H u + h^T u   subject to   lo <= u <= hi
// with H symmetric positive definite (m x m, m = the action size of one step, a handful).

#include <Eigen/Core>

namespace podsim::pods {

struct BoxQpResult {
    Eigen::VectorXd u;                            ///< the minimiser (m)
    Eigen::Array<bool, Eigen::Dynamic, 1> bound;  ///< u_i held at lo_i or hi_i (m)
    bool well_conditioned = true;                 ///< false: a free block of H was singular or
                                                  ///< ill-conditioned (u is then meaningless)
    int iterations = 0;                           ///< active-set changes
};

/// Primal active-set method from the feasible point u = 0: lo <= 0 <= hi is required; lo_i =
/// hi_i (= 0) fixes a component, infinite bounds are allowed (all infinite: u = -H^-1 h). Each
/// iteration minimises over the free components with the bound ones fixed, moves to the first
/// bound on the way (which then joins the bound set) or, at the face's minimiser, frees the bound
/// component whose multiplier has the wrong sign; it stops when none has. Exact for strictly
/// convex problems after finitely many iterations (capped at 4 m + 8). A free block of H with
/// reciprocal condition number below `min_reciprocal_condition` is reported, not solved.
BoxQpResult solve_box_qp(const Eigen::MatrixXd& h_mat, const Eigen::VectorXd& h, const Eigen::VectorXd& lo,
                         const Eigen::VectorXd& hi, double min_reciprocal_condition);

} // namespace podsim::pods
