#pragma once
// A saved policy run on a scene's test bed: what `podsim evaluate` and `podsim rollout` share
// (loading and checking the files, the rollouts, their statistics).

#include "pods/task/scene.hpp"
#include "pods/train/evaluation.hpp"
#include "pods/train/workers.hpp"
#include "policy/policy.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace podsim::pods {

struct PolicyTestBed {
    Scene scene;
    std::unique_ptr<policy::Policy> policy;
    QuadraticCost cost;
    ObservationMap obs;
    std::vector<sim::State> initial;         ///< test_bed(seed, episodes)
    std::unique_ptr<Workers> workers;
    std::vector<ClosedLoopRollout> rollouts; ///< one per initial state
    EvaluationSummary summary;
};

/// Loads both files (InputError naming the file on any problem, including a policy made for
/// another scene) and rolls the policy out from the first `episodes` test-bed states of `seed`.
PolicyTestBed run_policy_test_bed(const std::string& scene_path, const std::string& policy_path, std::uint64_t seed,
                                  int episodes, int threads);

} // namespace podsim::pods
