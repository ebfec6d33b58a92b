#pragma once
// Runs the real `podsim` executable for command-line tests: exit code, stdout and stderr, plus
// scratch directories and file helpers.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace podsim::test {

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

inline std::string read_text(const std::filesystem::path& p)
{
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_text(const std::filesystem::path& p, const std::string& text)
{
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

/// A fresh empty directory under the system temp dir, unique per process and call.
inline std::filesystem::path scratch_dir(const std::string& tag)
{
    static int counter = 0;
    const auto dir = std::filesystem::temp_directory_path() /
                     ("podsim_test_" + std::to_string(::getpid()) + "_" + tag + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

/// Runs `podsim <args>` (args are passed to the shell as written; quote paths yourself).
inline CliResult run_podsim(const std::string& args)
{
    const auto dir = scratch_dir("cli");
    const std::string cmd = std::string("'") + PODSIM_EXE + "' " + args + " >'" + (dir / "out").string() +
                            "' 2>'" + (dir / "err").string() + "' </dev/null";
    const int status = std::system(cmd.c_str());
    CliResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_text(dir / "out");
    r.err = read_text(dir / "err");
    std::filesystem::remove_all(dir);
    return r;
}

} // namespace podsim::test
