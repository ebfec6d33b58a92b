#pragma once
// Box-DDP's feedforward k_t and control Hessians H_uu,t from the dense Gauss-Newton matrix, for
// scenes whose BDF2 state is too large for a Riccati pass (docs/optimization.md, "The dense
// path's feedforward"). The tail problem from step t keeps a_0..a_{t-1} and minimises the
// Gauss-Newton model over a_t..a_{N-1}; with the time blocks in reverse order every tail is a
// leading block of G, so one Cholesky factorisation L L^T of the reordered G gives all of them:
//   y = L^-1 b (one forward substitution, shared by every tail),
//   k_t = L_tt^-T y_t (the last block of the tail's back substitution),
//   H_uu,t = L_tt L_tt^T (the Schur complement of the later actions in the tail's matrix),
// with L_tt the diagonal block of step t.

#include "pods/improve/active_set.hpp"
#include "pods/improve/box_step.hpp"

namespace podsim::pods {

/// The feedforward and control Hessians of the dense box step on `fixed` (the law has no gains):
/// per step t, k_t is the step at t of the minimiser of grad . d + 1/2 d^T G d over the free
/// components at times >= t, with d = 0 before t and d = `fixed_delta` on the fixed components
/// from t on; H_uu,t is the Schur complement of the free later components in G's tail block (on a
/// fixed component: its diagonal entry of G, decoupled). `g` is the Gauss-Newton matrix J^T Q J +
/// R + mu I (n_a N square, from gauss_newton_matrix), `floor` its least eigenvalue bound 2 w_a +
/// mu; an ill-conditioned matrix gets solve_gauss_newton_system's damping shift. With nothing
/// fixed k_0 is the step's own first action, and k_t, H_uu,t equal box_riccati_step's at the same
/// mu. Throws like solve_gauss_newton_system.
FeedbackLaw dense_feedforward(const Eigen::MatrixXd& g, const Eigen::MatrixXd& gradient, const ActionMask& fixed,
                              const Eigen::MatrixXd& fixed_delta, double floor);

} // namespace podsim::pods
