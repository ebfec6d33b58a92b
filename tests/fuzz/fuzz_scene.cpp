// libFuzzer harness of scene files: JSON text -> validated scene; a small valid scene is also
// sampled and simulated for a few steps (what `podsim simulate` does with it).
#include "tests/fuzz/fuzz_input.hpp"

#include "common/json_node.hpp"
#include "pods/task/episode.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/task/scene.hpp"

#include <algorithm>

using namespace podsim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string file(fuzz::kFile);
    try {
        const pods::Scene scene = pods::parse_scene(common::parse_json_text(fuzz::as_text(data, size), file), file);
        // simulate only small scenes, so one input stays well under a millisecond or two
        const sim::Model& model = scene.model;
        if (model.n_nodes() > 40 || model.springs.size() > 200) return 0;
        const sim::State z0 = pods::sample_initial_state(model, scene.task, 1);
        sim::Simulator simulator(model);
        const int steps = std::min(scene.task.horizon, 3);
        const Eigen::MatrixXd actions = Eigen::MatrixXd::Constant(model.n_p(), steps, 0.5);
        (void)pods::run_episode(simulator, scene.task, z0, actions);
    } catch (const common::InputError& e) {
        fuzz::check_error_message(e.what());
    } catch (const common::RuntimeFailure&) {
        // Newton did not converge on a valid but stiff or violent scene: exit 1, not a finding
    }
    return 0;
}
