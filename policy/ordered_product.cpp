// The in-order matrix product's kernels and their dispatch (see ordered_product.hpp). Both
// kernels keep one accumulator per entry of C and add the terms in order l = 0, 1, ..., with a
// separate multiply and add (the library is compiled with -ffp-contract=off).
#include "policy/ordered_product.hpp"

#include <cassert>
#include <cstddef>
#include <cstring>
#include <stdexcept>

namespace podsim::policy {

// register-blocked: 4 rows x 4 columns of C accumulate in registers over the whole sum
void ordered_product_generic(int rows, int depth, int cols, const double* a, const double* b, long sl, long sm,
                             double* c, int row_begin)
{
    int m = 0;
    for (; m + 4 <= cols; m += 4) {
        const double* b0 = b + m * sm;
        int j = row_begin;
        for (; j + 4 <= rows; j += 4) {
            double c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
            double c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
            for (int l = 0; l < depth; ++l) {
                const double* al = a + std::size_t(l) * rows + j;
                const double* bl = b0 + l * sl;
                const double w0 = al[0], w1 = al[1], w2 = al[2], w3 = al[3];
                const double p0 = bl[0], p1 = bl[sm], p2 = bl[2 * sm], p3 = bl[3 * sm];
                c00 += w0 * p0; c10 += w1 * p0; c20 += w2 * p0; c30 += w3 * p0;
                c01 += w0 * p1; c11 += w1 * p1; c21 += w2 * p1; c31 += w3 * p1;
                c02 += w0 * p2; c12 += w1 * p2; c22 += w2 * p2; c32 += w3 * p2;
                c03 += w0 * p3; c13 += w1 * p3; c23 += w2 * p3; c33 += w3 * p3;
            }
            double* cm = c + std::size_t(m) * rows + j;
            cm[0] = c00; cm[1] = c10; cm[2] = c20; cm[3] = c30;
            cm += rows;
            cm[0] = c01; cm[1] = c11; cm[2] = c21; cm[3] = c31;
            cm += rows;
            cm[0] = c02; cm[1] = c12; cm[2] = c22; cm[3] = c32;
            cm += rows;
            cm[0] = c03; cm[1] = c13; cm[2] = c23; cm[3] = c33;
        }
        for (; j < rows; ++j)
            for (int q = 0; q < 4; ++q) {
                double acc = 0;
                for (int l = 0; l < depth; ++l) acc += a[std::size_t(l) * rows + j] * b0[l * sl + q * sm];
                c[std::size_t(m + q) * rows + j] = acc;
            }
    }
    for (; m < cols; ++m)
        for (int j = row_begin; j < rows; ++j) {
            double acc = 0;
            for (int l = 0; l < depth; ++l) acc += a[std::size_t(l) * rows + j] * b[l * sl + m * sm];
            c[std::size_t(m) * rows + j] = acc;
        }
}

#if defined(__GNUC__) && defined(__x86_64__)
#define PODSIM_ORDERED_PRODUCT_AVX2 1

namespace {

typedef double V4d __attribute__((vector_size(32)));

// the same product with AVX2 registers: 8 rows x NC (<= 4) columns per block, separate multiply
// and add (no FMA), so every entry is rounded exactly like the plain loop
template <int NC>
__attribute__((target("avx2"))) inline void avx2_block(int rows, int depth, const double* a, const double* b0,
                                                       long sl, long sm, double* c, int j)
{
    V4d acc[NC][2] = {};
    for (int l = 0; l < depth; ++l) {
        const double* al = a + std::size_t(l) * rows + j;
        const double* bl = b0 + l * sl;
        V4d wa, wb;
        std::memcpy(&wa, al, sizeof(V4d));
        std::memcpy(&wb, al + 4, sizeof(V4d));
        for (int q = 0; q < NC; ++q) {
            const double v = bl[q * sm];
            const V4d p = {v, v, v, v};
            acc[q][0] += wa * p;
            acc[q][1] += wb * p;
        }
    }
    for (int q = 0; q < NC; ++q) {
        double* cm = c + std::size_t(q) * rows + j;
        std::memcpy(cm, &acc[q][0], sizeof(V4d));
        std::memcpy(cm + 4, &acc[q][1], sizeof(V4d));
    }
}

// the full-width block, spelled out (measurably faster than the generic template)
template <>
__attribute__((target("avx2"))) inline void avx2_block<4>(int rows, int depth, const double* a, const double* b0,
                                                          long sl, long sm, double* c, int j)
{
    V4d c0a = {}, c0b = {}, c1a = {}, c1b = {}, c2a = {}, c2b = {}, c3a = {}, c3b = {};
    for (int l = 0; l < depth; ++l) {
        const double* al = a + std::size_t(l) * rows + j;
        const double* bl = b0 + l * sl;
        V4d wa, wb;
        std::memcpy(&wa, al, sizeof(V4d));
        std::memcpy(&wb, al + 4, sizeof(V4d));
        const double q0 = bl[0], q1 = bl[sm], q2 = bl[2 * sm], q3 = bl[3 * sm];
        const V4d p0 = {q0, q0, q0, q0}, p1 = {q1, q1, q1, q1}, p2 = {q2, q2, q2, q2}, p3 = {q3, q3, q3, q3};
        c0a += wa * p0;
        c0b += wb * p0;
        c1a += wa * p1;
        c1b += wb * p1;
        c2a += wa * p2;
        c2b += wb * p2;
        c3a += wa * p3;
        c3b += wb * p3;
    }
    double* cm = c + j;
    std::memcpy(cm, &c0a, sizeof(V4d));
    std::memcpy(cm + 4, &c0b, sizeof(V4d));
    cm += rows;
    std::memcpy(cm, &c1a, sizeof(V4d));
    std::memcpy(cm + 4, &c1b, sizeof(V4d));
    cm += rows;
    std::memcpy(cm, &c2a, sizeof(V4d));
    std::memcpy(cm + 4, &c2b, sizeof(V4d));
    cm += rows;
    std::memcpy(cm, &c3a, sizeof(V4d));
    std::memcpy(cm + 4, &c3b, sizeof(V4d));
}

// all 8-row blocks of C; returns the first row left over
__attribute__((target("avx2"))) int avx2_blocks(int rows, int depth, int cols, const double* a, const double* b,
                                                long sl, long sm, double* c)
{
    const int rows8 = rows / 8 * 8;
    int m = 0;
    for (; m + 4 <= cols; m += 4)
        for (int j = 0; j < rows8; j += 8) avx2_block<4>(rows, depth, a, b + m * sm, sl, sm, c + std::size_t(m) * rows, j);
    const int left = cols - m;
    for (int j = 0; j < rows8; j += 8) {
        if (left == 3) avx2_block<3>(rows, depth, a, b + m * sm, sl, sm, c + std::size_t(m) * rows, j);
        if (left == 2) avx2_block<2>(rows, depth, a, b + m * sm, sl, sm, c + std::size_t(m) * rows, j);
        if (left == 1) avx2_block<1>(rows, depth, a, b + m * sm, sl, sm, c + std::size_t(m) * rows, j);
    }
    return rows8;
}

} // namespace
#endif

bool ordered_product_has_avx2()
{
#ifdef PODSIM_ORDERED_PRODUCT_AVX2
    static const bool avx2 = __builtin_cpu_supports("avx2");
    return avx2;
#else
    return false;
#endif
}

void ordered_product_avx2(int rows, int depth, int cols, const double* a, const double* b, long sl, long sm,
                          double* c)
{
#ifdef PODSIM_ORDERED_PRODUCT_AVX2
    assert(ordered_product_has_avx2());
    const int done = avx2_blocks(rows, depth, cols, a, b, sl, sm, c);
    // the rows left over (fewer than 8)
    if (done < rows) ordered_product_generic(rows, depth, cols, a, b, sl, sm, c, done);
#else
    (void)rows, (void)depth, (void)cols, (void)a, (void)b, (void)sl, (void)sm, (void)c;
    throw std::logic_error("ordered_product_avx2: not built for this target");
#endif
}

// the AVX2 kernel when the CPU has it (bit-identical results either way)
void ordered_product(int rows, int depth, int cols, const double* a, const double* b, long sl, long sm, double* c)
{
    if (ordered_product_has_avx2() && rows >= 8)
        ordered_product_avx2(rows, depth, cols, a, b, sl, sm, c);
    else
        ordered_product_generic(rows, depth, cols, a, b, sl, sm, c);
}

} // namespace podsim::policy
