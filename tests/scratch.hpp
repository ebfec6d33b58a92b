#pragma once
// Scratch directories and whole-file text helpers for tests.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace podsim::test {

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

/// CSV text with the 0-based column `column` of every line removed (e.g. a log's wall time,
/// which differs between otherwise identical runs).
inline std::string without_column(const std::string& text, int column)
{
    std::istringstream in(text);
    std::string line, out;
    while (std::getline(in, line)) {
        std::size_t a = 0;
        for (int c = 0; c < column; ++c) a = line.find(',', a) + 1;
        const std::size_t b = line.find(',', a);
        out += line.substr(0, a) + (b == std::string::npos ? "" : line.substr(b + 1)) + "\n";
    }
    return out;
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

} // namespace podsim::test
