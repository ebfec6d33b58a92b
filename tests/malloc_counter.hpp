#pragma once
// Counts heap allocations (Eigen, operator new and CHOLMOD all allocate through malloc) in
// `podsim::test::g_mallocs`. Include in exactly one source file of a test executable that is its
// own executable; read the counter before any doctest macro (they allocate).
//
// Two mechanisms, one counter, the same calls counted: a plain build interposes malloc, calloc,
// realloc and the aligned allocators (memalign, aligned_alloc, posix_memalign: libgomp allocates
// its teams with them) over glibc's __libc_* functions; under AddressSanitizer (which owns malloc,
// so interposing it crashes at start-up) the counter is fed by the sanitizer's allocation hook,
// which every one of these calls runs. operator new allocates through them in both.
// `kMallocCounter` names the mechanism in use.

#include <atomic>
#include <cerrno>
#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define PODSIM_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PODSIM_TEST_ASAN 1
#endif
#endif

namespace podsim::test {
inline std::atomic<long> g_mallocs{0};
} // namespace podsim::test

#ifdef PODSIM_TEST_ASAN

// declared by clang's <sanitizer/allocator_interface.h>, which GCC does not ship; both runtimes
// export it
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, std::size_t),
                                                         void (*free_hook)(const volatile void*));

namespace podsim::test {
inline constexpr const char* kMallocCounter = "AddressSanitizer's allocation hook";
namespace detail {
inline void count_allocation(const volatile void*, std::size_t) { ++g_mallocs; }
inline void ignore_free(const volatile void*) {}
// installed during static initialisation, before any test runs; returns 0 if the hook table is full
inline const int g_hook_installed = __sanitizer_install_malloc_and_free_hooks(count_allocation, ignore_free);
} // namespace detail
/// True when allocations are being counted (false only if the sanitizer refused the hook).
inline bool malloc_counter_active() { return detail::g_hook_installed != 0; }
} // namespace podsim::test

#else

extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);
extern "C" void* __libc_memalign(std::size_t, std::size_t);

namespace podsim::test {
inline constexpr const char* kMallocCounter = "malloc interposed over glibc";
inline bool malloc_counter_active() { return true; }
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
extern "C" void* memalign(std::size_t alignment, std::size_t n)
{
    ++podsim::test::g_mallocs;
    return __libc_memalign(alignment, n);
}
extern "C" void* aligned_alloc(std::size_t alignment, std::size_t n)
{
    ++podsim::test::g_mallocs;
    return __libc_memalign(alignment, n);
}
extern "C" int posix_memalign(void** out, std::size_t alignment, std::size_t n)
{
    ++podsim::test::g_mallocs;
    // the rules of posix_memalign: a power of two, a multiple of sizeof(void*)
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void* p = __libc_memalign(alignment, n);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
}

#endif
