#pragma once
// The oracle every fuzz harness shares: bad input must end in one common::InputError whose
// message is a single line starting with "<file>: "; another exception type, a sanitizer report,
// an assert or a timeout is a finding (docs/reliability.md).

#include "common/input_error.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace podsim::fuzz {

/// The file name the harnesses pass to the readers (messages must start with it).
inline constexpr std::string_view kFile = "fuzz-input";

/// The fuzzer's bytes as text (any bytes, NUL included).
inline std::string as_text(const std::uint8_t* data, std::size_t size)
{
    return std::string(reinterpret_cast<const char*>(data), size);
}

[[noreturn]] inline void finding(const char* what, std::string_view message)
{
    std::fprintf(stderr, "fuzz: %s: \"%.*s\"\n", what, int(message.size()), message.data());
    std::abort();
}

/// Aborts unless `message` is one line "<kFile>: <something>".
inline void check_error_message(std::string_view message)
{
    const std::string prefix = std::string(kFile) + ": ";
    if (message.substr(0, prefix.size()) != prefix || message.size() == prefix.size())
        finding("error message does not start with the file name", message);
    if (message.find_first_of("\n\r") != std::string_view::npos) finding("error message spans more than one line", message);
}

} // namespace podsim::fuzz
