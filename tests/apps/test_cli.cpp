// Command-line behaviour of `podsim`: help, exit codes, outputs.
#include "tests/apps/run_podsim.hpp"

#include <doctest/doctest.h>

using podsim::test::run_podsim;

TEST_CASE("cli: every command has --help and exits 0")
{
    for (const char* cmd : {"", "validate", "simulate"}) {
        const auto r = run_podsim(std::string(cmd) + " --help");
        INFO(cmd);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Usage") != std::string::npos);
    }
}

TEST_CASE("cli: unknown options are usage errors with exit 2")
{
    const auto r = run_podsim("simulate --no-such-option x.json");
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("podsim: error: ", 0) == 0);
}
