// libFuzzer harness of demonstration files (`podsim dmp fit DEMO.csv`): CSV text -> validated
// demonstration, then, for modest sizes, a DMP fit with the command's defaults.
#include "tests/fuzz/fuzz_input.hpp"

#include "policy/dmp_fit.hpp"
#include "policy/dmp_io.hpp"

#include <stdexcept>

using namespace podsim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string file(fuzz::kFile);
    try {
        const policy::Demonstration demo = policy::parse_demo_csv(fuzz::as_text(data, size), file);
        if (demo.y.size() > 20000) return 0;
        policy::DmpFitOptions options;
        options.config.basis = 10;
        try {
            (void)policy::fit_dmp(demo, options);
        } catch (const std::invalid_argument& e) {
            // `podsim dmp fit` reports these as "<file>: <what>"
            fuzz::check_error_message(file + ": " + e.what());
        }
    } catch (const common::InputError& e) {
        fuzz::check_error_message(e.what());
    }
    return 0;
}
