#pragma once
// A matrix product whose every entry is summed in a fixed order, so that its rounding is that of a
// plain loop on any CPU: a register-blocked generic kernel and an AVX2 kernel with the same bits.

namespace podsim::policy {

/// C = A B with every entry C(j, m) = sum_l A(j, l) B(l, m) summed in the order l = 0, 1, ...,
/// depth - 1, one multiply and one add per term (no FMA): bit for bit the plain triple loop.
/// A (rows x depth) and C (rows x cols) are column-major with leading dimension `rows`; B(l, m) is
/// b[l * sl + m * sm] (column-major B: sl = 1, sm = depth; row-major B: sl = cols, sm = 1).
/// Runs the AVX2 kernel when the CPU has it (ordered_product_has_avx2()), the generic one otherwise.
void ordered_product(int rows, int depth, int cols, const double* a, const double* b, long sl, long sm, double* c);

/// The generic kernel alone, for the rows row_begin, ..., rows - 1 of C (the rows above are not
/// written); the same layout and bits as ordered_product.
void ordered_product_generic(int rows, int depth, int cols, const double* a, const double* b, long sl, long sm,
                             double* c, int row_begin = 0);

/// Whether this build has the AVX2 kernel (GCC or Clang on x86-64) and the CPU runs it.
bool ordered_product_has_avx2();

/// The AVX2 kernel on every block of 8 rows of C, the generic kernel on the rows left over; the
/// same layout and bits as ordered_product. Only when ordered_product_has_avx2().
void ordered_product_avx2(int rows, int depth, int cols, const double* a, const double* b, long sl, long sm,
                          double* c);

} // namespace podsim::policy
