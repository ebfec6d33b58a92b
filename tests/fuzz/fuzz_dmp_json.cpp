// libFuzzer harness of DMP files: JSON text -> validated DMP model, then its warnings and, for
// modest sizes, its rollout and trajectory.csv (what `podsim dmp rollout` does with it).
#include "tests/fuzz/fuzz_input.hpp"

#include "common/json_node.hpp"
#include "policy/dmp_io.hpp"

#include <stdexcept>

using namespace podsim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string file(fuzz::kFile);
    try {
        const nlohmann::json j = common::parse_json_text(fuzz::as_text(data, size), file);
        const policy::DmpModel m = policy::dmp_from_json(common::JsonNode(j, file));
        (void)policy::dmp_warnings(m);
        if (std::int64_t(m.dim()) * (m.config.steps + 1) * (m.config.basis + 1) > 200000) return 0;
        policy::DmpTrajectory t;
        try {
            t = policy::rollout(m);
        } catch (const std::invalid_argument& e) {
            // `podsim dmp rollout` reports these as "<file>: <what>"
            fuzz::check_error_message(file + ": " + e.what());
            return 0;
        }
        (void)policy::trajectory_csv(m, t);
    } catch (const common::InputError& e) {
        fuzz::check_error_message(e.what());
    }
    return 0;
}
