#pragma once
// The exception for bad user input (scene JSON, CSV, command-line values): its message is one
// line "<file>: <json path>: <what and why>", turned into exit code 2 by the command line.

#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace podsim::common {

/// `text` with every control character written as an escape (`\n`, `\r`, `\t`, `\xHH` for the
/// others, NUL and DEL included), so a message that quotes user input (a JSON key, a CSV field)
/// stays one printable line and is never cut short at a NUL byte.
inline std::string one_line(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c != 0x7f) {
            out += ch;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", unsigned(c));
            out += hex;
        }
    }
    return out;
}

/// Bad user input. The message names the file, the location in it and the violated rule; it is
/// made one line by construction (one_line), whatever user text it quotes.
class InputError : public std::runtime_error {
public:
    explicit InputError(const std::string& message) : std::runtime_error(one_line(message)) {}
};

/// A numerical or run-time failure (e.g. Newton did not converge): exit code 1. One line, as
/// InputError.
class RuntimeFailure : public std::runtime_error {
public:
    explicit RuntimeFailure(const std::string& message) : std::runtime_error(one_line(message)) {}
};

} // namespace podsim::common
