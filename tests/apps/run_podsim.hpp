#pragma once
// Runs the real `podsim` executable for command-line tests: exit code, stdout and stderr.

#include "tests/paths.hpp"
#include "tests/scratch.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <sys/wait.h>

namespace podsim::test {

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

/// A path in single quotes, for the shell command line of run_podsim.
inline std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

/// Runs `podsim <args>` (args are passed to the shell as written; quote paths yourself), started
/// by `launcher` when given (e.g. "mpiexec -np 2").
inline CliResult run_podsim(const std::string& args, const std::string& launcher = "")
{
    const auto dir = scratch_dir("cli");
    const std::string cmd = launcher + " '" + podsim_cli() + "' " + args + " >'" + (dir / "out").string() +
                            "' 2>'" + (dir / "err").string() + "' </dev/null";
    const int status = std::system(cmd.c_str());
    CliResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_text(dir / "out");
    r.err = read_text(dir / "err");
    std::filesystem::remove_all(dir);
    return r;
}

/// The bad-usage / bad-input contract: exit code 2 and one line "podsim: error: ..." on stderr
/// that contains `needle`.
inline void check_usage_error(const CliResult& r, const std::string& needle)
{
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("podsim: error: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find(needle) != std::string::npos);
}

} // namespace podsim::test
