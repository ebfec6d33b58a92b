// Tests of common/base64.hpp: doubles round-trip bit for bit (signed zero, subnormals, extremes),
// the text is RFC 4648 base64 of the little-endian bytes, and corrupt text is refused with the key.
#include "common/base64.hpp"
#include "common/input_error.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace podsim::common;

namespace {

// base64_to_doubles of `text` into n doubles, read from {"x": text}
std::vector<double> decode(const std::string& text, std::size_t n)
{
    const nlohmann::json j = {{"x", text}};
    std::vector<double> v(n);
    base64_to_doubles(JsonNode(j, "policy.json")["x"], v.data(), n);
    return v;
}

} // namespace

TEST_CASE("base64: doubles round-trip bit for bit for every length's padding")
{
    std::mt19937_64 rng(5);
    std::vector<double> v = {-0.0, std::numeric_limits<double>::denorm_min(), 1.0 / 3.0,
                             -std::numeric_limits<double>::max(), std::numeric_limits<double>::min()};
    for (int i = 0; i < 200; ++i) {
        const double x = std::bit_cast<double>(rng());
        if (std::isfinite(x)) v.push_back(x);
    }
    for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(2), std::size_t(3), v.size()}) {
        const std::string text = doubles_to_base64(v.data(), n);
        CHECK(text.size() == (8 * n + 2) / 3 * 4);
        const std::vector<double> back = decode(text, n);
        for (std::size_t i = 0; i < n; ++i) CHECK(std::bit_cast<std::uint64_t>(back[i]) == std::bit_cast<std::uint64_t>(v[i]));
    }
}

TEST_CASE("base64: the text is standard base64 of the little-endian IEEE-754 bytes")
{
    // 1.0 is 0x3ff0000000000000: bytes 00 00 00 00 00 00 f0 3f
    const double one = 1.0;
    CHECK(doubles_to_base64(&one, 1) == "AAAAAAAA8D8=");
    const double two[] = {1.0, -2.0}; // -2.0: 0xc000000000000000
    CHECK(doubles_to_base64(two, 2) == "AAAAAAAA8D8AAAAAAAAAwA==");
    CHECK(decode("AAAAAAAA8D8AAAAAAAAAwA==", 2) == std::vector<double>{1.0, -2.0});
}

TEST_CASE("base64: a wrong length, digit, padding or a non-finite value is refused naming the key")
{
    auto refused = [](const std::string& text, std::size_t n, const char* what) {
        INFO(text);
        CHECK_THROWS_WITH_AS(decode(text, n), doctest::Contains(what), InputError);
    };
    refused("AAAAAAAA8D8", 1, "policy.json: x: must hold 1 doubles in base64 (12 characters), got 11 characters");
    refused("AAAA#AAA8D8=", 1, "x: character 4: not a base64 digit");
    refused("AAAAAAAA8D8A", 1, "x: character 11: expected the padding '='");
    const double inf = std::numeric_limits<double>::infinity();
    refused(doubles_to_base64(&inf, 1), 1, "x: double 0 is not finite");
    const nlohmann::json j = {{"x", 3}};
    double v = 0;
    CHECK_THROWS_AS(base64_to_doubles(JsonNode(j, "policy.json")["x"], &v, 1), InputError);
}
