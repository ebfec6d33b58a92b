#pragma once
// Exact checkpoint text for arrays of doubles: their IEEE-754 bytes, least significant first, as
// base64 with padding (RFC 4648's alphabet; about 10.7 characters per double). Used where a
// checkpoint must restore bit for bit (replay buffers; docs/training.md, "Files of a run").

#include "common/json_node.hpp"

#include <cstddef>
#include <string>

namespace podsim::common {

/// The n doubles at v as base64 text.
std::string doubles_to_base64(const double* v, std::size_t n);

/// The inverse of doubles_to_base64 for exactly n finite doubles written to v; throws InputError
/// at `node` (a string) naming the rule when the text has the wrong length, a character outside
/// the alphabet, wrong padding or a value that is not finite.
void base64_to_doubles(const JsonNode& node, double* v, std::size_t n);

} // namespace podsim::common
