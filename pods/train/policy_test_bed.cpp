// A saved policy on a scene's test bed (see policy_test_bed.hpp).
#include "pods/train/policy_test_bed.hpp"

#include "pods/train/policy_factory.hpp"
#include "policy/policy_io.hpp"

namespace podsim::pods {

PolicyTestBed run_policy_test_bed(const std::string& scene_path, const std::string& policy_path, std::uint64_t seed,
                                  int episodes, int threads)
{
    PolicyTestBed b;
    b.scene = load_scene(scene_path);
    b.policy = policy::read_policy_json(policy_path);
    check_policy_fits(*b.policy, b.scene.model, b.scene.task, policy_path);
    b.cost = quadratic_cost(b.scene.model, b.scene.task);
    b.obs = observation_map(b.scene.model, b.scene.task);
    b.initial = test_bed(b.scene.model, b.scene.task, seed, episodes);
    b.workers = std::make_unique<Workers>(b.scene.model, threads);
    b.summary = evaluate_policy(*b.workers, *b.policy, b.obs, b.scene.task, b.cost, b.initial, &b.rollouts);
    return b;
}

} // namespace podsim::pods
