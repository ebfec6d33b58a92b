// Round-trip number formatting and atomic file writes (see text_io.hpp).
#include "common/text_io.hpp"

#include "common/input_error.hpp"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <unistd.h>

namespace podsim::common {

void append_double(std::string& out, double v)
{
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof(buffer), v);
    out.append(buffer, result.ptr);
}

std::string format_double(double v)
{
    std::string s;
    append_double(s, v);
    return s;
}

void ensure_directory(const std::string& dir)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(dir, ec)) {
        if (!fs::is_directory(dir, ec)) throw InputError(dir + ": exists and is not a directory");
        return;
    }
    fs::create_directories(dir, ec);
    if (ec) throw InputError(dir + ": cannot create directory: " + ec.message());
}

void write_file_atomic(const std::string& path, const std::string& content)
{
    namespace fs = std::filesystem;
    const fs::path target(path);
    if (target.has_parent_path()) ensure_directory(target.parent_path().string());
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw RuntimeFailure(tmp + ": cannot open file for writing");
        out.write(content.data(), std::streamsize(content.size()));
        out.flush();
        if (!out) {
            std::remove(tmp.c_str());
            throw RuntimeFailure(tmp + ": write failed");
        }
    }
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) {
        std::remove(tmp.c_str());
        throw RuntimeFailure(path + ": cannot replace file: " + ec.message());
    }
}

} // namespace podsim::common
