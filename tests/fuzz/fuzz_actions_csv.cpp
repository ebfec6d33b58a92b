// libFuzzer harness of action files (`--actions A.csv`): CSV text -> validated action matrix,
// against a 2D and a 3D scene (the first byte of the input picks one).
#include "tests/fuzz/fuzz_input.hpp"

#include "pods/task/episode_csv.hpp"
#include "pods/task/scene.hpp"
#include "tests/paths.hpp"

#include <cmath>

using namespace podsim;
using podsim::test::source_path;

namespace {

const pods::Scene& scene(int k)
{
    static const pods::Scene scenes[2] = {pods::load_scene(source_path("scenes/pendulum_2d_stop.json")),
                                          pods::load_scene(source_path("scenes/double_pendulum_3d_stop.json"))};
    return scenes[k];
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) return 0;
    const pods::Scene& s = scene(data[0] & 1);
    const std::string file(fuzz::kFile);
    try {
        const Eigen::MatrixXd a = pods::parse_actions_csv(fuzz::as_text(data + 1, size - 1), file, s.model, s.task.horizon);
        if (a.rows() != s.model.n_p() || a.cols() != s.task.horizon || !a.allFinite())
            fuzz::finding("accepted actions of the wrong shape or not finite", "");
    } catch (const common::InputError& e) {
        fuzz::check_error_message(e.what());
    }
    return 0;
}
