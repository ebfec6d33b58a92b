#pragma once
// The exception for bad user input (scene JSON, CSV, command-line values): its message is one
// line "<file>: <json path>: <what and why>", turned into exit code 2 by the command line.

#include <stdexcept>
#include <string>

namespace podsim::common {

/// Bad user input. The message names the file, the location in it and the violated rule.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A numerical or run-time failure (e.g. Newton did not converge): exit code 1.
class RuntimeFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace podsim::common
