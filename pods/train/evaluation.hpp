#pragma once
// Evaluation of a policy on a test bed of unseen initial states (docs/design.md section 4):
// return statistics, terminal payload kinetic energy, final distance to the target, mean |a|.

#include "pods/task/cost.hpp"
#include "pods/task/episode.hpp"
#include "pods/task/observation.hpp"
#include "pods/train/closed_loop.hpp"
#include "pods/train/workers.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <vector>

namespace podsim::pods {

/// The test bed: `episodes` initial states of the task's sampler, episode i from
/// derive_seed(seed, kTestStream, i) (so every method and training seed sees the same states).
std::vector<sim::State> test_bed(const sim::Model& model, const Task& task, std::uint64_t seed, int episodes);

/// Means over the successful episodes (failed ones are counted, not averaged).
struct EvaluationSummary {
    int episodes = 0;
    int failed = 0;
    double return_mean = 0, return_std = 0;   ///< return = -C
    double terminal_ke_mean = 0;              ///< sum over payload nodes of 1/2 m |v_N|^2 (J)
    double final_distance_mean = 0;           ///< mean over payload nodes of |x_N - x*| (m)
    double action_mag_mean = 0;               ///< mean over steps of |a_t| (m/s)
    /// evaluate --optimality: mean of C(policy) / C(open-loop optimum) (NaN when not computed)
    double optimality_ratio = std::numeric_limits<double>::quiet_NaN();
    /// the mean open-loop optimal cost over the same episodes (NaN when not computed)
    double optimal_cost_mean = std::numeric_limits<double>::quiet_NaN();
};

/// Per-episode numbers of a successful rollout.
double terminal_kinetic_energy(const sim::Model& model, const Task& task, const sim::State& z);
double final_distance(const sim::Model& model, const Task& task, const sim::State& z);
double action_magnitude(const Eigen::MatrixXd& actions);

/// Rolls the policy out from every initial state (OpenMP over episodes, the batches spread over
/// the workers' cluster; results independent of thread and rank counts) and summarises.
/// `rollouts`, when given, receives every rollout in order (single-process workers only: throws
/// std::invalid_argument otherwise).
EvaluationSummary evaluate_policy(Workers& workers, const policy::Policy& policy, const ObservationMap& obs_map,
                                  const Task& task, const QuadraticCost& cost, const std::vector<sim::State>& initial,
                                  std::vector<ClosedLoopRollout>* rollouts = nullptr);

/// The rule that picks the policy a run with validation states delivers (docs/training.md,
/// "Validation"): fewer failed validation episodes win, and among equal failures the higher mean
/// return of the others; a tie keeps the earlier policy.
bool validates_better(const EvaluationSummary& candidate, int best_failed, double best_return);

/// The Episode (states, applied actions, per-step costs) of a successful closed-loop rollout, for
/// the CSV writers.
Episode to_episode(const sim::Model& model, const Task& task, const ClosedLoopRollout& r);

/// {"episodes", "failed", "return_mean", ...} (optimality_ratio, optimal_return_mean only when
/// computed).
nlohmann::json to_json(const EvaluationSummary& s);

/// Stream index of test-bed seeds (training states use other streams).
inline constexpr std::uint64_t kTestStream = 0x7e57;

} // namespace podsim::pods
