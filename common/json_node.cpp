// Validated JSON reading with one-line error messages (see json_node.hpp).
#include "common/json_node.hpp"

#include "common/text_io.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace podsim::common {

namespace {

// edit distance, for "did you mean" suggestions on unknown keys
std::size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1] ? 1u : 0u)});
            diag = up;
        }
    }
    return row[b.size()];
}


} // namespace

nlohmann::json read_json_file(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw InputError(path + ": cannot open file for reading (no such file)");
    if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path + ": not a regular file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot open file for reading");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw InputError(path + ": cannot read file");
    return parse_json_text(text.view(), path);
}

nlohmann::json parse_json_text(std::string_view text, const std::string& path)
{
    // the parser callback rejects duplicate keys (JSON allows them and nlohmann keeps the last
    // one silently: a typo'd duplicate must not change a value) and absurd nesting
    struct Frame {
        bool object = false;
        std::set<std::string> keys;
        std::string key;
        long index = -1;
    };
    std::vector<Frame> stack;
    auto where = [&stack] {
        std::string p;
        for (const Frame& f : stack)
            p += f.object ? (p.empty() ? "" : ".") + f.key : "[" + std::to_string(f.index) + "]";
        return p.empty() ? std::string("(top level)") : p;
    };
    using Event = nlohmann::json::parse_event_t;
    auto callback = [&](int, Event event, nlohmann::json& parsed) {
        const bool starts_value = event == Event::object_start || event == Event::array_start || event == Event::value;
        if (starts_value && !stack.empty() && !stack.back().object) ++stack.back().index;
        switch (event) {
        case Event::object_start:
        case Event::array_start:
            if (stack.size() >= kMaxJsonDepth)
                throw InputError(path + ": " + where() + ": nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
            stack.push_back({event == Event::object_start, {}, {}, -1});
            break;
        case Event::object_end:
        case Event::array_end: stack.pop_back(); break;
        case Event::key: {
            Frame& f = stack.back();
            f.key = parsed.get<std::string>();
            if (!f.keys.insert(f.key).second) throw InputError(path + ": " + where() + ": duplicate key \"" + f.key + "\"");
            break;
        }
        case Event::value: break;
        }
        return true;
    };
    try {
        return nlohmann::json::parse(text, callback);
    } catch (const nlohmann::json::exception& e) {
        // nlohmann's message starts with "[json.exception.parse_error.101] "
        std::string what = e.what();
        const auto pos = what.find("] ");
        if (pos != std::string::npos) what = what.substr(pos + 2);
        throw InputError(path + ": not valid JSON: " + what);
    }
}

std::string short_dump(const nlohmann::json& value)
{
    // never serialise a whole (possibly huge or deeply nested) value: small flat arrays and
    // scalars are shown, anything else is described
    if (value.is_object()) return "an object";
    if (value.is_array()) {
        bool flat = value.size() <= 8;
        for (const auto& item : value) flat = flat && (item.is_primitive() || (item.is_array() && item.size() <= 4 && std::all_of(item.begin(), item.end(), [](const nlohmann::json& x) { return x.is_primitive(); })));
        if (!flat) return "an array of " + std::to_string(value.size()) + " items";
    }
    std::string s = value.dump();
    if (s.size() > 48) s = s.substr(0, 45) + "...";
    return s;
}

JsonNode::JsonNode(const nlohmann::json& value, std::string file, std::string path)
    : m_value(&value), m_file(std::move(file)), m_path(std::move(path))
{
}

void JsonNode::fail(const std::string& what) const
{
    throw InputError(m_file + ": " + (m_path.empty() ? "(top level)" : m_path) + ": " + what);
}

void JsonNode::fail_value(const std::string& rule) const
{
    fail("got " + short_dump(*m_value) + ", " + rule);
}

std::string JsonNode::child_path(std::string_view key) const
{
    return m_path.empty() ? std::string(key) : m_path + "." + std::string(key);
}

void JsonNode::require_object() const
{
    if (!m_value->is_object()) fail_value("must be an object");
}

bool JsonNode::has(std::string_view key) const
{
    require_object();
    return m_value->contains(key);
}

JsonNode JsonNode::operator[](std::string_view key) const
{
    require_object();
    const auto it = m_value->find(key);
    if (it == m_value->end()) fail("missing required key \"" + std::string(key) + "\"");
    return JsonNode(*it, m_file, child_path(key));
}

void JsonNode::allow_keys(std::span<const std::string_view> allowed) const
{
    require_object();
    for (const auto& item : m_value->items()) {
        const std::string& key = item.key();
        if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
        std::string_view best;
        std::size_t best_distance = 3; // suggest only close matches
        for (const auto candidate : allowed) {
            const std::size_t d = edit_distance(key, candidate);
            if (d < best_distance) { best_distance = d; best = candidate; }
        }
        std::string msg = "unknown key \"" + key + "\"";
        if (!best.empty()) msg += " (did you mean \"" + std::string(best) + "\"?)";
        JsonNode(item.value(), m_file, child_path(key)).fail(msg);
    }
}

std::size_t JsonNode::size() const
{
    if (!m_value->is_array()) fail_value("must be an array");
    return m_value->size();
}

JsonNode JsonNode::operator[](std::size_t i) const
{
    if (i >= size()) fail("index " + std::to_string(i) + " out of range");
    return JsonNode((*m_value)[i], m_file, m_path + "[" + std::to_string(i) + "]");
}

double JsonNode::number() const
{
    if (!m_value->is_number()) fail_value("must be a number");
    const double v = m_value->get<double>();
    if (!std::isfinite(v)) fail_value("must be finite");
    return v;
}

double JsonNode::positive() const
{
    const double v = number();
    if (!(v > 0)) fail_value("must be > 0");
    return v;
}

double JsonNode::non_negative() const
{
    const double v = number();
    if (!(v >= 0)) fail_value("must be >= 0");
    return v;
}

double JsonNode::number_in(double lo, double hi) const
{
    const double v = number();
    if (!(v >= lo && v <= hi))
        fail_value("must be in [" + format_double(lo) + ", " + format_double(hi) + "]");
    return v;
}

std::int64_t JsonNode::integer_in(std::int64_t lo, std::int64_t hi) const
{
    const bool integral = m_value->is_number_integer() ||
                          (m_value->is_number_float() && std::isfinite(m_value->get<double>()) &&
                           std::floor(m_value->get<double>()) == m_value->get<double>() &&
                           std::abs(m_value->get<double>()) < 9e15);
    if (!integral) fail_value("must be an integer");
    std::int64_t v = 0;
    if (m_value->is_number_unsigned() && m_value->get<std::uint64_t>() > std::uint64_t(hi))
        fail_value("must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    v = m_value->is_number_float() ? std::int64_t(m_value->get<double>()) : m_value->get<std::int64_t>();
    if (v < lo || v > hi)
        fail_value("must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
}

std::string JsonNode::string() const
{
    if (!m_value->is_string()) fail_value("must be a string");
    return m_value->get<std::string>();
}

std::string JsonNode::choice(std::span<const std::string_view> choices) const
{
    const std::string v = string();
    if (std::find(choices.begin(), choices.end(), v) != choices.end()) return v;
    std::string list;
    for (const auto c : choices) list += (list.empty() ? "\"" : ", \"") + std::string(c) + "\"";
    fail_value("must be one of " + list);
}

bool JsonNode::boolean() const
{
    if (!m_value->is_boolean()) fail_value("must be true or false");
    return m_value->get<bool>();
}

Eigen::VectorXd JsonNode::vector(int n) const
{
    if (!m_value->is_array() || int(m_value->size()) != n)
        fail_value("must be an array of " + std::to_string(n) + " numbers");
    Eigen::VectorXd v(n);
    for (int i = 0; i < n; ++i) v[i] = (*this)[std::size_t(i)].number();
    return v;
}

Eigen::Vector2d JsonNode::range() const
{
    const Eigen::VectorXd v = vector(2);
    if (v[0] > v[1]) fail_value("must be [lo, hi] with lo <= hi");
    return {v[0], v[1]};
}

} // namespace podsim::common
