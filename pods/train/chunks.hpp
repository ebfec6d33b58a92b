#pragma once
// Fixed chunks of a minibatch, OpenMP over the chunks with one workspace per thread: the losses'
// parallel loop (PPO, SAC). The chunks do not depend on the thread count, so sums reduced in chunk
// order do not either.

#include "pods/train/workers.hpp"

#include <algorithm>
#include <span>

namespace podsim::pods {

/// Chunks of `size` items in m (the last one shorter).
inline int chunk_count(int m, int size) { return (m + size - 1) / size; }

/// f(c, begin, count, workspace) for each chunk [begin, begin + count) of `size` items in m, with
/// the calling thread's workspace of `ws` (one per thread).
template <typename W, typename F> void for_each_chunk(int m, int size, std::span<W> ws, F&& f)
{
#pragma omp parallel for num_threads(int(ws.size())) schedule(static)
    for (int c = 0; c < chunk_count(m, size); ++c) {
        const int begin = c * size;
        f(c, begin, std::min(m, begin + size) - begin, ws[std::size_t(thread_index())]);
    }
}

} // namespace podsim::pods
