#pragma once
// The C-step of mirror-descent guided policy search (docs/training.md, "GPS"): around one rollout
// of the policy, the time-varying linear controller of the box-DDP Riccati pass whose damping eta
// keeps it within a step size of the rollout's actions, its rollouts (with and without noise),
// and MDGPS's step-size rule.

#include "pods/improve/active_set.hpp"
#include "pods/improve/box_step.hpp"
#include "pods/improve/lq_model.hpp"
#include "pods/task/cost.hpp"
#include "pods/task/task.hpp"
#include "sim/bdf2.hpp"

#include <vector>

namespace podsim::pods {

/// The mean squared action change of a step over the squared action limit,
///   D = 1/(N n_a L^2) sum_t |clamp(a_t + delta_t, -L, L) - a_t|^2,
/// `actions` and `delta` n_a x N (the change clamped to the box).
double mean_squared_step(const Eigen::MatrixXd& actions, const Eigen::MatrixXd& delta, double limit);

/// A local controller: the box-DDP law around a rollout at damping eta.
struct LocalController {
    FeedbackLaw law;      ///< gains K_t, feedforward k_t, control Hessians (with eta in them)
    double eta = 0;       ///< the trust region's multiplier: the Riccati pass's mu
    double step = 0;      ///< mean_squared_step of the law's linear forward pass (BoxStepResult::delta)
    int passes = 0;       ///< Riccati passes of the search
};

/// How trust_region_controller searches eta.
struct EtaSearchOptions {
    double eta_min = 1e-6;   ///< below this the law is taken whatever its step
    double eta_max = 1e8;    ///< above this the law is taken whatever its step
    int max_passes = 16;     ///< Riccati passes at most
    double tolerance = 0.25; ///< accept eta when epsilon / (1 + tol) <= D <= epsilon (1 + tol)
};

/// MDGPS's C-step on the LQ model `lq` of a rollout with `actions` (n_a x N, inside the box of
/// `limit`) and the held set `held`: the minimiser of the linearised cost plus eta/2 sum_t |delta_t|^2
/// (box_riccati_step with mu = eta), with eta such that the predicted step D(eta)
/// (mean_squared_step of the law's linear forward pass) is about `epsilon`. D falls as eta grows:
/// starting at `eta_start` (clamped to [eta_min, eta_max]) eta is multiplied or divided by 10 until
/// D crosses epsilon, then bisected in log eta; a pass whose H_uu is ill-conditioned counts as
/// a step too long. Returns the first law within the tolerance; else, when the passes run out, the
/// law of the smallest eta tried whose D is at most epsilon (at eta_max the law of eta_max, at
/// eta_min the law of eta_min). Throws common::RuntimeFailure when no pass succeeded.
LocalController trust_region_controller(const LqModel& lq, const Eigen::MatrixXd& actions, double limit,
                                        const ActionMask& held, double epsilon, double eta_start,
                                        const EtaSearchOptions& options = {});

/// One rollout of a local controller from the linearised rollout's initial state.
struct ControllerRollout {
    std::vector<sim::State> states; ///< z'_0..z'_N (fewer when a step failed)
    Eigen::MatrixXd actions;        ///< n_a x N, applied: clamp(mean + noise)
    Eigen::MatrixXd mean;           ///< n_a x N, the controller's action at z'_t without noise
    double cost = 0;                ///< C of (states, actions)
    bool ok = false;                ///< false when a step failed or an action was not finite
    int steps = 0;                  ///< steps simulated
};

/// Runs `law` around the rollout (`states` z_0..z_N, `actions` a) from z_0:
///   mean_t = clamp(a_t + k_t + K_t (z'_t - z_t), -L, L),   a'_t = clamp(mean_t + noise_t, -L, L),
/// `noise` n_a x N or empty (none). Never throws for a failed step: out.ok is false.
void controller_rollout(sim::Simulator& sim, const Task& task, const QuadraticCost& cost,
                        const std::vector<sim::State>& states, const Eigen::MatrixXd& actions, const FeedbackLaw& law,
                        const Eigen::MatrixXd& noise, ControllerRollout& out);

/// MDGPS's step-size multiplier from the last epoch's promise and result on a condition: with
/// `predicted` = C(pi_old) - C(controller) and `actual` = C(pi_old) - C(pi_new),
///   m = predicted / (2 max(predicted - actual, 1e-4 predicted))   clamped to [0.1, 5]
/// (the improvement modelled as quadratic in the step: m = 1 when the policy realised half the
/// promise); 0.1 when the controller promised nothing (predicted <= 0).
double gps_step_multiplier(double predicted, double actual);

/// The step size stays within [kGpsStepMin, kGpsStepMax] times its initial value (gps_step).
inline constexpr double kGpsStepMin = 0.01, kGpsStepMax = 10;

} // namespace podsim::pods
