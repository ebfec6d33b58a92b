#pragma once
// Validated reading of user JSON: every accessor checks type and rule and throws an InputError
// whose one-line message names the file, the JSON path, the offending value and the rule.

#include "common/input_error.hpp"

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace podsim::common {

/// Deepest nesting of arrays and objects accepted in user JSON.
inline constexpr std::size_t kMaxJsonDepth = 64;

/// Parses a JSON file; a missing or non-regular file, a syntax error (with line and column), a
/// number out of range, a duplicate key or nesting deeper than kMaxJsonDepth is an InputError
/// naming the file (and the JSON path).
nlohmann::json read_json_file(const std::string& path);

/// Same checks on JSON text already in memory; `file` is used in messages.
nlohmann::json parse_json_text(std::string_view text, const std::string& file);

/// A view of one JSON value with the file it came from and its path (`springs[3].stiffness`).
/// The referenced json must outlive the node.
class JsonNode {
public:
    JsonNode(const nlohmann::json& value, std::string file, std::string path = "");

    const nlohmann::json& json() const { return *m_value; }
    const std::string& path() const { return m_path; }
    const std::string& file() const { return m_file; }

    /// Throws InputError "<file>: <path>: <what>".
    [[noreturn]] void fail(const std::string& what) const;
    /// Throws InputError "<file>: <path>: got <value>, <rule>" (rule e.g. "must be > 0").
    [[noreturn]] void fail_value(const std::string& rule) const;

    // objects
    bool has(std::string_view key) const;
    /// Required member; missing -> "missing required key".
    JsonNode operator[](std::string_view key) const;
    /// Rejects any key not in `allowed`, suggesting the closest allowed key.
    void allow_keys(std::span<const std::string_view> allowed) const;
    void allow_keys(std::initializer_list<std::string_view> allowed) const { allow_keys({allowed.begin(), allowed.size()}); }
    void require_object() const;

    // arrays
    std::size_t size() const; ///< requires an array
    JsonNode operator[](std::size_t i) const;
    bool is_array() const { return m_value->is_array(); }
    bool is_string() const { return m_value->is_string(); }

    // scalars
    double number() const;                 ///< finite number
    double positive() const;               ///< finite, > 0
    double non_negative() const;           ///< finite, >= 0
    double number_in(double lo, double hi) const; ///< finite, in [lo, hi]
    std::int64_t integer_in(std::int64_t lo, std::int64_t hi) const;
    std::string string() const;
    /// One of `choices` (error lists them).
    std::string choice(std::span<const std::string_view> choices) const;
    std::string choice(std::initializer_list<std::string_view> choices) const { return choice({choices.begin(), choices.size()}); }
    bool boolean() const;
    /// Array of exactly n finite numbers.
    Eigen::VectorXd vector(int n) const;
    /// Array of 2 finite numbers [lo, hi] with lo <= hi.
    Eigen::Vector2d range() const;

private:
    std::string child_path(std::string_view key) const;

    const nlohmann::json* m_value;
    std::string m_file;
    std::string m_path;
};

/// Runs f(); a std::invalid_argument it throws (a library's own check of a value read from
/// `node`) becomes an InputError located at `node`.
template <typename F> auto located(const JsonNode& node, F&& f)
{
    try {
        return f();
    } catch (const std::invalid_argument& e) {
        node.fail(e.what());
    }
}

/// Short printable form of a JSON value for error messages (truncated).
std::string short_dump(const nlohmann::json& value);

} // namespace podsim::common
