// Validated JSON reading: messages name file, path, value and rule; suggestions for typos.
#include "common/input_error.hpp"
#include "common/json_node.hpp"

#include <doctest/doctest.h>

using namespace podsim::common;

TEST_CASE("json_node: typed accessors check values and name the path")
{
    const nlohmann::json j = nlohmann::json::parse(R"({"k": -1, "n": 2.5, "s": "x", "v": [1, 2], "o": {"stiffnes": 1}})");
    const JsonNode root(j, "f.json");
    CHECK_THROWS_WITH_AS(root["k"].positive(), "f.json: k: got -1, must be > 0", InputError);
    CHECK_THROWS_WITH_AS(root["n"].integer_in(0, 9), "f.json: n: got 2.5, must be an integer", InputError);
    CHECK_THROWS_WITH_AS(root["s"].choice({"a", "b"}), "f.json: s: got \"x\", must be one of \"a\", \"b\"", InputError);
    CHECK_THROWS_WITH_AS(root["v"].vector(3), "f.json: v: got [1,2], must be an array of 3 numbers", InputError);
    CHECK_THROWS_WITH_AS(root["missing"], "f.json: (top level): missing required key \"missing\"", InputError);
    CHECK_THROWS_WITH_AS(root["o"].allow_keys({"stiffness", "kind"}),
                         "f.json: o.stiffnes: unknown key \"stiffnes\" (did you mean \"stiffness\"?)", InputError);
    CHECK(root["v"][1].number() == 2.0);
    CHECK(root["n"].number_in(2, 3) == 2.5);
    CHECK(root["v"].range() == Eigen::Vector2d(1, 2));
}

TEST_CASE("json_node: short_dump never prints large or nested values in full")
{
    CHECK(short_dump(nlohmann::json::parse("[1, 2, 3]")) == "[1,2,3]");
    CHECK(short_dump(nlohmann::json::parse("[[1, 2], [3, 4]]")) == "[[1,2],[3,4]]");
    CHECK(short_dump(nlohmann::json::parse("{\"a\": 1}")) == "an object");
    CHECK(short_dump(nlohmann::json(std::vector<int>(100, 1))) == "an array of 100 items");
    CHECK(short_dump(nlohmann::json(std::string(100, 'a'))).size() == 48);
}

TEST_CASE("json_node: keys and values with control characters stay one line in errors")
{
    // found with tests/fuzz/fuzz_scene (tests/fuzz/regressions/): an unknown key holding a line
    // break was quoted raw, giving a two-line message; a NUL cut the message short
    const nlohmann::json j = parse_json_text(R"({"a\nb": 1, "c\u0000d": 2})", "f.json");
    const JsonNode root(j, "f.json");
    CHECK_THROWS_WITH_AS(root.allow_keys({"z"}), "f.json: a\\nb: unknown key \"a\\nb\"", InputError);
    CHECK_THROWS_WITH_AS(parse_json_text("{\"x\\t\": 1, \"x\\t\": 2}", "f.json"),
                         "f.json: x\\t: duplicate key \"x\\t\"", InputError);
    CHECK(one_line(std::string("a\nb\r\tc\0d\x1b\x7f\xc3\xa9", 12)) == "a\\nb\\r\\tc\\x00d\\x1b\\x7f\xc3\xa9");
    CHECK(std::string(InputError(std::string("x\0y", 3)).what()) == "x\\x00y");
}

TEST_CASE("json_node: parse_json_text checks like read_json_file (syntax, duplicates, depth)")
{
    CHECK_THROWS_WITH_AS(parse_json_text("{\"a\": }", "t.json"),
                         "t.json: not valid JSON: parse error at line 1, column 7: syntax error while parsing value - "
                         "unexpected '}'; expected '[', '{', or a literal",
                         InputError);
    CHECK_THROWS_WITH_AS(parse_json_text("{\"a\": 1, \"a\": 2}", "t.json"), "t.json: a: duplicate key \"a\"", InputError);
    std::string deep_path;
    for (std::size_t i = 0; i < kMaxJsonDepth; ++i) deep_path += "[0]";
    CHECK_THROWS_WITH_AS(parse_json_text(std::string(100, '[') + std::string(100, ']'), "t.json"),
                         ("t.json: " + deep_path + ": nested deeper than 64 levels").c_str(), InputError);
    CHECK(parse_json_text("{\"a\": [1, 2]}", "t.json")["a"][1] == 2);
}
