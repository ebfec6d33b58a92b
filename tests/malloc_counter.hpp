#pragma once
// Interposes malloc / calloc / realloc to count heap allocations (Eigen allocates through malloc,
// operator new and CHOLMOD too). Include in exactly one source file of a test executable that
// is its own executable; read the counter before any doctest macro (they allocate).

#include <atomic>
#include <cstddef>

extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);

namespace podsim::test {
inline std::atomic<long> g_mallocs{0};
} // namespace podsim::test

extern "C" void* malloc(std::size_t n)
{
    ++podsim::test::g_mallocs;
    return __libc_malloc(n);
}
extern "C" void* calloc(std::size_t n, std::size_t m)
{
    ++podsim::test::g_mallocs;
    return __libc_calloc(n, m);
}
extern "C" void* realloc(void* p, std::size_t n)
{
    ++podsim::test::g_mallocs;
    return __libc_realloc(p, n);
}
