// Base64 text of doubles (see base64.hpp).
#include "common/base64.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace podsim::common {

namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

} // namespace

std::string doubles_to_base64(const double* v, std::size_t n)
{
    std::string bytes(8 * n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &v[i], 8);
        for (int b = 0; b < 8; ++b) bytes[8 * i + std::size_t(b)] = char((bits >> (8 * b)) & 0xff);
    }
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t left = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t word = 0;
        for (std::size_t k = 0; k < 3; ++k)
            word = (word << 8) | (k < left ? std::uint8_t(bytes[i + k]) : 0u);
        for (std::size_t k = 0; k < 4; ++k) out += k <= left ? kBase64[(word >> (18 - 6 * k)) & 63] : '=';
    }
    return out;
}

void base64_to_doubles(const JsonNode& node, double* v, std::size_t n)
{
    const std::string text = node.string();
    const std::size_t bytes = 8 * n;
    if (text.size() != (bytes + 2) / 3 * 4)
        node.fail("must hold " + std::to_string(n) + " doubles in base64 (" + std::to_string((bytes + 2) / 3 * 4) +
                  " characters), got " + std::to_string(text.size()) + " characters");
    std::string raw;
    raw.reserve(bytes + 2);
    const std::size_t padding = (3 - bytes % 3) % 3;
    for (std::size_t i = 0; i < text.size(); i += 4) {
        std::uint32_t word = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            const char ch = text[i + k];
            const bool pad_place = i + 4 == text.size() && k >= 4 - padding;
            int value = 0;
            if (pad_place) {
                if (ch != '=') node.fail("character " + std::to_string(i + k) + ": expected the padding '='");
            } else {
                const char* at = ch == '\0' ? nullptr : std::strchr(kBase64, ch);
                if (at == nullptr) node.fail("character " + std::to_string(i + k) + ": not a base64 digit");
                value = int(at - kBase64);
            }
            word = (word << 6) | std::uint32_t(value);
        }
        for (int k = 2; k >= 0; --k) raw += char((word >> (8 * k)) & 0xff);
    }
    for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t bits = 0;
        for (int b = 7; b >= 0; --b) bits = (bits << 8) | std::uint8_t(raw[8 * i + std::size_t(b)]);
        std::memcpy(&v[i], &bits, 8);
        if (!std::isfinite(v[i])) node.fail("double " + std::to_string(i) + " is not finite");
    }
}


} // namespace podsim::common
