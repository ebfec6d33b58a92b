#pragma once
// Closed-loop rollouts of a policy on a task (docs/design.md section 4) and their adjoint: the
// gradient of the trajectory cost with respect to the policy parameters (BPTT), through the
// simulator's state adjoint and the policy's input and parameter vector-Jacobian products.
// Trajectories run in lockstep batches: one policy call (a matrix product per layer) per decision
// for the whole batch, one simulator step per trajectory.

#include "pods/task/cost.hpp"
#include "pods/task/observation.hpp"
#include "pods/task/task.hpp"
#include "policy/policy.hpp"
#include "sim/bdf2.hpp"
#include "sim/sensitivity.hpp"

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace podsim::pods {

/// One closed-loop trajectory. The policy decides at steps t = 0, k, 2k, ... (k = its horizon:
/// 1 for the MLP, the plan length for the NDP head) from obs_t = O(z_t) and the last applied action
/// a_{t-1} (zero at t = 0); its k planned actions are clamped to the action limit and applied.
struct ClosedLoopRollout {
    std::vector<sim::State> states;  ///< z_0..z_N (fewer when a step failed)
    Eigen::MatrixXd actions;         ///< n_a x N, applied (clamped), column t = a_t
    Eigen::MatrixXd requested;       ///< n_a x N, the policy's outputs before clamping
    Eigen::MatrixXd obs;             ///< n_obs x n_decisions, the observation at each decision
    Eigen::MatrixXd handle_velocity; ///< n_a x n_decisions, the policy's velocity input a_{t-1}
    double cost = 0;                 ///< C of the trajectory (cost, not reward)
    bool ok = false;                 ///< false: a step failed or a value was not finite
    int failed_step = -1;            ///< the step t (z_t -> z_{t+1}) that failed
    std::string failure;             ///< why (empty when ok)

    /// Number of decisions for horizon N and plan length k: ceil(N / k).
    static int decisions(int horizon, int k) { return (horizon + k - 1) / k; }
};

/// Per-trajectory cotangents of the reverse pass.
struct TrajectoryCotangents {
    Eigen::VectorXd d_s;
    Eigen::MatrixXd d_a, bar_a;
    sim::StateTangent bar, bar_next;
};

/// Per-thread scratch of a batch of closed-loop rollouts and their gradient, reused across
/// batches. The tape keeps one policy workspace per decision for the gradient.
struct ClosedLoopWorkspace {
    std::unique_ptr<policy::PolicyWorkspace> tape_scratch; // the tape's shared vjp scratch
    std::vector<std::unique_ptr<policy::PolicyWorkspace>> tape;
    std::string tape_type;                   // policy type the tape was made for
    Eigen::MatrixXd obs, hv, plan;           // the policy's batch, one column per trajectory
    Eigen::MatrixXd d_plan, d_obs, d_hv;
    std::vector<TrajectoryCotangents> cot;   // one per trajectory of the batch
    sim::AdjointWorkspace adjoint;
};

/// Runs `policy` from every z0[b] for task.horizon steps in lockstep; trajectory b steps with
/// *sims[b] (distinct Simulators for models that reuse factorisations, see
/// sim::reuses_factorization, so no trajectory depends on another). With `keep_tape` the policy
/// workspaces of every decision are kept in `ws` for closed_loop_gradient(). Never throws for a
/// Newton failure or a non-finite action: out[b].ok is false and failed_step, failure say why.
/// With `noise` (one n_a x N matrix per trajectory, PPO's exploration) the requested action of
/// step t is the policy's plus noise[b].col(t), before clamping.
void closed_loop_rollouts(std::span<sim::Simulator* const> sims, const policy::Policy& policy,
                          const ObservationMap& obs_map, const Task& task, const QuadraticCost& cost,
                          std::span<const sim::State> z0, bool keep_tape, ClosedLoopWorkspace& ws,
                          std::span<ClosedLoopRollout> out, std::span<const Eigen::MatrixXd> noise = {});

/// What a windowed actor loss adds to closed_loop_gradient's reverse pass (SHAC,
/// pods/train/shac.hpp). With window h and window ends t_e = h, 2h, ... < N, trajectory b's loss is
///   L_b = sum_{t<N} weight_t c_t + weight_N c_N + sum_e v_e(O_v(z_{t_e}), a_{t_e - 1})
/// and its gradient is taken inside each window only: at every window start t_e the state
/// cotangent is cut, z_{t_e}'s own cost term does not reach earlier steps (nothing before t_e
/// depends on that window's actions), the decision at t_e does not pass its handle-velocity
/// cotangent back, and what z_{t_e} and a_{t_e - 1} send back is the value term's cotangent
/// d_obs^T O_v (through the transpose of `map`, O_v, which may differ from the policy's) and d_hv.
struct WindowValues {
    Eigen::VectorXd weight;                 ///< N + 1: the factors of c_0 .. c_{N-1} and of c_N
    const ObservationMap* map = nullptr;    ///< what the values observe of the state (the critic's map)
    std::span<const Eigen::MatrixXd> d_obs; ///< per trajectory of the batch: map size x ends, dv_e/dobs
    std::span<const Eigen::MatrixXd> d_hv;  ///< per trajectory of the batch: n_a x ends, dv_e/da_{t_e - 1}

    /// Number of window ends strictly inside a horizon of N steps: ceil(N / h) - 1.
    static int ends(int horizon, int window) { return (horizon + window - 1) / window - 1; }
};

/// The sum over the batch's successful trajectories of dC_b/dtheta (n_params), for rollouts made
/// by closed_loop_rollouts with keep_tape and the same `ws`, by the reverse recursion
///   bar_z_t = dc_t/ds_t S + (step adjoint of bar_z_{t+1}) + O^T (dpi/dobs)^T bar_u_t,
///   bar_u_t = mask_t .* bar_a_t  (clamped components get zero derivative),
/// where bar_a_t also receives the NDP head's handle-velocity input cotangent of the next
/// decision. `window` > 0 truncates the state cotangent every `window` steps (truncated BPTT).
/// A trajectory whose step sensitivity is undefined is left out: `failures[b]` gets the reason
/// (never thrown). Returns the number of trajectories summed. With `values` (window > 0) the
/// gradient is that of the windowed loss of WindowValues instead of C_b.
int closed_loop_gradient(std::span<sim::Simulator* const> sims, const policy::Policy& policy,
                         const ObservationMap& obs_map, const Task& task, const QuadraticCost& cost,
                         std::span<const ClosedLoopRollout> rollouts, int window, ClosedLoopWorkspace& ws,
                         Eigen::VectorXd& d_params, std::vector<std::string>& failures,
                         const WindowValues* values = nullptr);

/// One trajectory (a batch of one).
void closed_loop_rollout(sim::Simulator& sim, const policy::Policy& policy, const ObservationMap& obs_map,
                         const Task& task, const QuadraticCost& cost, const sim::State& z0, bool keep_tape,
                         ClosedLoopWorkspace& ws, ClosedLoopRollout& out);
/// dC/dtheta of one trajectory; false with `failure` set when its sensitivity is undefined.
bool closed_loop_gradient(sim::Simulator& sim, const policy::Policy& policy, const ObservationMap& obs_map,
                          const Task& task, const QuadraticCost& cost, const ClosedLoopRollout& rollout, int window,
                          ClosedLoopWorkspace& ws, Eigen::VectorXd& d_params, std::string& failure);

} // namespace podsim::pods
