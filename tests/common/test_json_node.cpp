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
