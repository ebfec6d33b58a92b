// Tests of policy/ordered_product.hpp: the generic and the AVX2 kernel equal a plain in-order loop
// bit for bit, on shapes with and without remainders (rows mod 8 and mod 4, columns mod 4) and for
// column- and row-major B, with every entry of C written and none outside it.
#include "policy/ordered_product.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <vector>

using namespace podsim::policy;

namespace {

struct Case {
    int rows, depth, cols;
    long sl, sm; // B(l, m) = b[l sl + m sm]
    std::vector<double> a, b;
};

// entries over forty binades and of both signs: a sum taken in another order rounds differently
std::vector<double> random_entries(std::size_t n, std::mt19937_64& rng)
{
    std::uniform_real_distribution<double> mantissa(-1, 1);
    std::uniform_int_distribution<int> exponent(-20, 20);
    std::vector<double> v(n);
    for (double& x : v) x = std::ldexp(mantissa(rng), exponent(rng));
    return v;
}

// every shape: rows 1..31 around the 4- and 8-row blocks, depth 1..30, columns around the
// 4-column blocks, B column-major and row-major; returns how many cases ran
int for_each_case(const std::function<void(const Case&)>& check)
{
    std::mt19937_64 rng(20241206);
    int cases = 0;
    for (int rows : {1, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31})
        for (int depth : {1, 2, 5, 30})
            for (int cols : {1, 2, 3, 4, 5, 6, 7, 8, 9, 31})
                for (bool row_major_b : {false, true}) {
                    Case c{rows, depth, cols, row_major_b ? cols : 1, row_major_b ? 1 : depth, {}, {}};
                    c.a = random_entries(std::size_t(rows) * depth, rng);
                    c.b = random_entries(std::size_t(depth) * cols, rng);
                    INFO("rows " << rows << ", depth " << depth << ", cols " << cols << (row_major_b ? ", B row-major" : ", B column-major"));
                    check(c);
                    ++cases;
                }
    return cases;
}
constexpr int kCases = 13 * 4 * 10 * 2;

// the plain triple loop, its terms added in order l = 0, 1, ... or backwards (this suite is
// compiled with -ffp-contract=off, like the library)
std::vector<double> plain_product(const Case& c, bool backwards = false)
{
    std::vector<double> out(std::size_t(c.rows) * c.cols);
    for (int m = 0; m < c.cols; ++m)
        for (int j = 0; j < c.rows; ++j) {
            double acc = 0;
            for (int k = 0; k < c.depth; ++k) {
                const int l = backwards ? c.depth - 1 - k : k;
                acc += c.a[std::size_t(l) * c.rows + j] * c.b[l * c.sl + m * c.sm];
            }
            out[std::size_t(m) * c.rows + j] = acc;
        }
    return out;
}

// C pre-filled with NaN, so an entry left unwritten differs from any product
std::vector<double> unwritten(const Case& c) { return std::vector<double>(std::size_t(c.rows) * c.cols, std::nan("")); }

bool same_bits(const std::vector<double>& x, const std::vector<double>& y)
{
    return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0;
}

} // namespace

TEST_CASE("ordered_product: the shapes' data tell the summation order apart")
{
    // the same sums taken backwards differ from the in-order loop in some entry of nearly every
    // deep shape, so the bit-for-bit checks below would see a kernel that reorders
    int told_apart = 0;
    const int cases = for_each_case([&](const Case& c) {
        if (!same_bits(plain_product(c, true), plain_product(c))) ++told_apart;
    });
    CHECK(cases == kCases);
    // depth 1 and 2 cannot differ (a + b == b + a): half of the shapes. Measured: 513 of the 520
    // deep ones differ (a single 5-term entry may round alike either way); 90% of them leaves room
    // for another standard library's random distributions
    INFO(told_apart << " of " << kCases << " shapes differ when summed backwards");
    CHECK(told_apart >= kCases / 2 * 9 / 10);
}

TEST_CASE("ordered_product: the generic kernel equals the plain in-order loop bit for bit")
{
    const int cases = for_each_case([](const Case& c) {
        std::vector<double> out = unwritten(c);
        ordered_product_generic(c.rows, c.depth, c.cols, c.a.data(), c.b.data(), c.sl, c.sm, out.data());
        CHECK(same_bits(out, plain_product(c)));
    });
    CHECK(cases == kCases);
}

TEST_CASE("ordered_product: the generic kernel from a first row leaves the rows above it alone")
{
    const int cases = for_each_case([](const Case& c) {
        const int first = c.rows / 2;
        std::vector<double> out = unwritten(c), expected = plain_product(c);
        ordered_product_generic(c.rows, c.depth, c.cols, c.a.data(), c.b.data(), c.sl, c.sm, out.data(), first);
        for (int m = 0; m < c.cols; ++m)
            for (int j = 0; j < first; ++j) expected[std::size_t(m) * c.rows + j] = std::nan("");
        CHECK(same_bits(out, expected));
    });
    CHECK(cases == kCases);
}

TEST_CASE("ordered_product: the AVX2 kernel equals the generic kernel bit for bit, remainders included")
{
    if (!ordered_product_has_avx2()) {
        MESSAGE("this build or CPU has no AVX2: only the generic kernel is tested");
        return;
    }
    const int cases = for_each_case([](const Case& c) {
        std::vector<double> avx2 = unwritten(c), generic = unwritten(c);
        ordered_product_avx2(c.rows, c.depth, c.cols, c.a.data(), c.b.data(), c.sl, c.sm, avx2.data());
        ordered_product_generic(c.rows, c.depth, c.cols, c.a.data(), c.b.data(), c.sl, c.sm, generic.data());
        CHECK(same_bits(avx2, generic));
        CHECK(same_bits(avx2, plain_product(c)));
    });
    CHECK(cases == kCases);
}

TEST_CASE("ordered_product: the dispatch equals the plain in-order loop bit for bit")
{
    const int cases = for_each_case([](const Case& c) {
        std::vector<double> out = unwritten(c);
        ordered_product(c.rows, c.depth, c.cols, c.a.data(), c.b.data(), c.sl, c.sm, out.data());
        CHECK(same_bits(out, plain_product(c)));
    });
    CHECK(cases == kCases);
}
