#pragma once
// Box-aware Gauss-Newton steps (docs/optimization.md): the Gauss-Newton model
//   m(delta) = grad . delta + 1/2 delta^T G delta,   G = J^T Q J + R + mu I,
// minimised over the free action components with the others fixed.
//   dense:   projected Newton (Bertsekas 1982), the reduced system G_FF delta_F = -(grad + G delta_C)_F,
//            optionally with passes that fix the components the step takes out of the box
//   Riccati: a control-limited box-DDP backward pass (Tassa, Mansard and Todorov 2014) over the
//            linearised dynamics: per step a small box QP on the control, the bound components'
//            rows removed from the feedback gain.
//   matrix-free: the dense path's reduced systems and box passes, each solved by conjugate
//            gradients with G applied by tangent and adjoint sweeps (GaussNewtonOperator),
//            deflated by a time coarse space (coarse_space.hpp).
// On the same fixed set (and fixed values) all give the same step (matrix-free: to the CG tolerance).

#include "pods/improve/active_set.hpp"
#include "pods/improve/conjugate_gradient.hpp"
#include "pods/improve/gauss_newton_operator.hpp"
#include "pods/improve/lq_model.hpp"
#include "pods/task/cost.hpp"

#include <vector>

namespace podsim::pods {

/// The local feedback law of a Riccati (box-DDP) step around the rollout it linearised: per step t
/// the gain K_t (n_a x nz, over the BDF2 state z = (x, v, x_prev, v_prev, p); zero rows on the
/// components the box QP put on a bound) and the control Hessian H_uu,t = B_t^T P_{t+1} B_t + R +
/// mu I (n_a x n_a, symmetric positive definite): the curvature of the cost-to-go in a_t when the
/// later steps follow the law. Empty for the other paths.
struct FeedbackLaw {
    std::vector<Eigen::MatrixXd> gain;
    std::vector<Eigen::MatrixXd> control_hessian;
    Eigen::MatrixXd feedforward; ///< k_t, n_a x N: the step at the linearised rollout's own states

    bool empty() const { return gain.empty(); }
};

/// A box-aware step and the components it fixed.
struct BoxStepResult {
    Eigen::MatrixXd delta; ///< n_a x N; the fixed components keep a + delta in the box, the free
                           ///< ones can leave it (Riccati: through the feedback; the line search projects)
    ActionMask fixed;      ///< components not free in the final solve: held, or put on a bound by the
                           ///< box QPs / box passes (delta = the bound's offset; Riccati: gain row zero)
    int clamped = 0;       ///< fixed components that were not held
    int cg_iterations = 0; ///< matrix-free path: CG iterations (G products) over all its solves
    bool cg_converged = true; ///< matrix-free path: every solve reached the CG tolerance
    double shift = 0;      ///< dense path: the largest damping added to an ill-conditioned reduced
                           ///< system (solve_gauss_newton_system; 0: none)
    FeedbackLaw feedback;  ///< Riccati path: the step's gains and control Hessians
};

/// Dense projected Newton step (n_a x N): components flagged in `fixed` take delta =
/// `fixed_delta` (n_a x N, read only there; zero for the usual active set), the others minimise
/// the Gauss-Newton model. `jacobian` from sim::trajectory_jacobian, `gradient` = dC/da. With
/// nothing fixed it equals gauss_newton_step_dense. Factorises G in place (one N n_a square
/// matrix). An ill-conditioned free block (reciprocal condition below kMinReciprocalCondition)
/// gets the small damping shift of solve_gauss_newton_system when 2 w_a + mu > 0; otherwise, or
/// if the shifts fail too, throws common::RuntimeFailure.
Eigen::MatrixXd projected_newton_step_dense(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian,
                                            const Eigen::MatrixXd& gradient, double mu, const ActionMask& fixed,
                                            const Eigen::MatrixXd& fixed_delta);

/// Dense projected Newton with box passes: the projected Newton step on the held set, then up to
/// `passes` times the free components that the step takes out of the box are fixed on their
/// bound (delta_i = clamp(a_i + delta_i) - a_i) and the reduced system is solved again (once
/// fixed, a component stays fixed). The dense counterpart of the box-DDP clamping; passes = 0 is
/// projected_newton_step_dense. G is formed once and copied per solve (two N n_a square
/// matrices). Throws like projected_newton_step_dense.
BoxStepResult box_newton_step_dense(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian,
                                    const Eigen::MatrixXd& gradient, const Eigen::MatrixXd& actions, double limit,
                                    double mu, const ActionMask& held, int passes);

/// box_newton_step_dense without forming J or G: the same projected Newton solve on `held` and
/// the same box passes, each reduced system G_FF delta_F = -(grad + G delta_C)_F solved by
/// conjugate gradients with `g` (whose mu is the damping), the first from delta = 0 and each pass
/// warm-started from the previous step: deflated by the time coarse space of the solve's free
/// components (deflated_conjugate_gradient) when cg.coarse_spacing > 0, otherwise
/// masked_conjugate_gradient with the passes preconditioned by the first solve's directions. Equal to the dense step to
/// the CG tolerance when every solve converges; a solve stopped by the iteration cap returns its
/// iterate (a descent direction of the model, no worse than the previous pass). Throws
/// common::RuntimeFailure when G is singular on the free set before any progress (w_a = mu = 0).
BoxStepResult box_newton_step_matrix_free(GaussNewtonOperator& g, const Eigen::MatrixXd& gradient,
                                          const Eigen::MatrixXd& actions, double limit, const ActionMask& held,
                                          int passes, const CgOptions& cg);

/// Box-DDP backward pass and linear forward pass from dz_0 = 0 on the LQ model of a rollout:
/// per step t, with the value function 1/2 dz^T P dz + p^T dz of step t + 1,
///   H_uu = B^T P B + R + mu I,  H_uz = B^T P A,  h_u = dC/da_t + B^T p
///   k = argmin 1/2 u^T H_uu u + h_u^T u  s.t. u_i = 0 (held), -L - a_ti <= u_i <= L - a_ti (others)
///   K = -H_uu,FF^-1 H_uz,F on the free rows F of that QP's solution, 0 on the bound ones
///   P <- S^T Q_t S + A^T P A + H_uz^T K,  p <- S^T dC/ds_t + A^T p + H_uz^T k + K^T (H_uu k + h_u)
/// and delta_t = K dz_t + k, dz_{t+1} = A dz_t + B delta_t. `actions` (n_a x N) are the current
/// ones, inside the box. With limit = +infinity there is no box QP (only `held` fixed): this is
/// the reduced Riccati solve of the dense projected Newton step; with nothing held either it is
/// gauss_newton_step_riccati. Throws common::RuntimeFailure if a step's free H_uu block is
/// singular or ill-conditioned.
BoxStepResult box_riccati_step(const LqModel& lq, const Eigen::MatrixXd& actions, double limit, double mu,
                               const ActionMask& held);

} // namespace podsim::pods
