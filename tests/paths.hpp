#pragma once
// Where a test finds the source tree and the podsim executable: environment variables that ctest
// sets on every test (tests/CMakeLists.txt), so no test object holds the path of its checkout and
// a compiler cache serves every clone.

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace podsim::test {

/// The value of the environment variable `name`; throws, naming it, when it is unset or empty.
inline std::string path_from_environment(const char* name)
{
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0')
        throw std::runtime_error(std::string(name) +
                                 " is not set: run the tests through ctest (ctest --test-dir build), which sets "
                                 "it, or set it by hand (tests/paths.hpp)");
    return value;
}

/// The source tree (PODSIM_SOURCE_DIR), without a trailing slash.
inline const std::string& source_dir()
{
    static const std::string dir = path_from_environment("PODSIM_SOURCE_DIR");
    return dir;
}

/// A file or folder of the source tree, e.g. source_path("scenes/pendulum_2d_stop.json").
inline std::string source_path(const std::string& relative) { return source_dir() + "/" + relative; }

/// The podsim executable of the build the tests belong to (PODSIM_CLI).
inline const std::string& podsim_cli()
{
    static const std::string exe = path_from_environment("PODSIM_CLI");
    return exe;
}

} // namespace podsim::test
