#pragma once
// Text output helpers shared by every writer: round-trip number formatting and atomic file
// writes (temporary file + rename), so an interrupted run never leaves a half-written output.

#include <string>

namespace podsim::common {

/// Shortest decimal text that parses back to exactly `v` ("0.1", "1e-300", "-3").
std::string format_double(double v);

/// Appends format_double(v) to `out` (no allocation beyond the string's growth).
void append_double(std::string& out, double v);

/// Writes `content` to `path` atomically: `path.tmp.<pid>` is written, flushed and renamed over
/// `path`. Creates missing parent directories. Throws RuntimeFailure on I/O errors.
void write_file_atomic(const std::string& path, const std::string& content);

/// Creates `dir` and its parents if missing; throws InputError if it exists and is not a
/// directory or cannot be created.
void ensure_directory(const std::string& dir);

} // namespace podsim::common
