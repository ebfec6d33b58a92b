// Tests of common/text_io.hpp: shortest round-trip number text, atomic file writes (the file is
// replaced whole, no temporary is left), directory creation and its errors.
#include "common/input_error.hpp"
#include "common/text_io.hpp"
#include "tests/scratch.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>

using namespace podsim::common;
using podsim::test::read_text;
using podsim::test::scratch_dir;

TEST_CASE("text_io: format_double writes the shortest text that parses back to the same bits")
{
    CHECK(format_double(0.1) == "0.1");
    CHECK(format_double(1e-300) == "1e-300");
    CHECK(format_double(-3) == "-3");
    CHECK(format_double(0.1 + 0.2) == "0.30000000000000004");
    // random bit patterns over every binade, subnormals included
    std::mt19937_64 rng(17);
    int checked = 0;
    for (int i = 0; i < 20000; ++i) {
        const double v = std::bit_cast<double>(rng());
        if (!std::isfinite(v)) continue;
        const std::string text = format_double(v);
        INFO(text);
        CHECK(std::bit_cast<std::uint64_t>(std::strtod(text.c_str(), nullptr)) == std::bit_cast<std::uint64_t>(v));
        ++checked;
    }
    CHECK(checked > 19000);
}

TEST_CASE("text_io: append_double appends format_double's text")
{
    std::string s = "x=";
    append_double(s, 2.5);
    append_double(s, -1e-7);
    CHECK(s == "x=2.5-1e-07");
}

TEST_CASE("text_io: write_file_atomic creates parents, replaces the file whole and leaves no temporary")
{
    const auto dir = scratch_dir("text_io");
    const std::string path = (dir / "a/b/out.txt").string();
    write_file_atomic(path, "first\n");
    CHECK(read_text(path) == "first\n");
    write_file_atomic(path, "second");
    CHECK(read_text(path) == "second");
    int files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir / "a/b")) ++files;
    CHECK(files == 1);
    // a directory in the way cannot be replaced: RuntimeFailure, and the temporary is removed
    std::filesystem::create_directories(dir / "c/taken/inside");
    CHECK_THROWS_AS(write_file_atomic((dir / "c/taken").string(), "x"), RuntimeFailure);
    files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir / "c")) ++files;
    CHECK(files == 1);
    std::filesystem::remove_all(dir);
}

TEST_CASE("text_io: ensure_directory creates nested folders, a file in the way is an input error")
{
    const auto dir = scratch_dir("text_io");
    ensure_directory((dir / "x/y/z").string());
    CHECK(std::filesystem::is_directory(dir / "x/y/z"));
    ensure_directory((dir / "x/y/z").string()); // existing: nothing to do
    podsim::test::write_text(dir / "file", "text");
    const std::string message = (dir / "file").string() + ": exists and is not a directory";
    CHECK_THROWS_WITH_AS(ensure_directory((dir / "file").string()), message.c_str(), InputError);
    std::filesystem::remove_all(dir);
}
