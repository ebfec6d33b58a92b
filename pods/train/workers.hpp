#pragma once
// Per-thread resources of the parallel loops over trajectories: Simulators and a closed-loop
// workspace per OpenMP thread, made once per run and reused across epochs. Trajectories are
// processed in fixed lockstep batches of kLockstepBatch consecutive indices (the batches, not the
// threads, decide every result, so results are the same for any thread count). Under MPI the
// batches are spread over the cluster's ranks (pods/train/cluster.hpp).

#include "pods/train/closed_loop.hpp"
#include "pods/train/cluster.hpp"
#include "sim/bdf2.hpp"

#include <algorithm>
#include <memory>
#include <span>
#include <vector>

namespace podsim::pods {

/// Trajectories per lockstep batch: one policy call per decision covers the batch.
inline constexpr int kLockstepBatch = 32;

/// Number of lockstep batches of n trajectories, and the range [begin, end) of batch c.
inline int lockstep_batches(int n) { return (n + kLockstepBatch - 1) / kLockstepBatch; }
inline int batch_begin(int c) { return c * kLockstepBatch; }
inline int batch_end(int c, int n) { return std::min(n, (c + 1) * kLockstepBatch); }

class Workers {
public:
    /// `threads` OpenMP threads in this process; `cluster`: the processes the loops span (one by
    /// default).
    Workers(const sim::Model& model, int threads, const Cluster& cluster = Cluster());

    int threads() const { return int(m_ws.size()); }
    const Cluster& cluster() const { return m_cluster; }
    /// `count` <= kLockstepBatch simulator pointers for the batch thread `thread` runs: one
    /// Simulator shared by all when the model never reuses factorisations, else one each (made on
    /// first use).
    std::span<sim::Simulator* const> simulators(int thread, int count);
    /// The thread's first Simulator (for one trajectory at a time).
    sim::Simulator& sim(int thread) { return *simulators(thread, 1)[0]; }
    ClosedLoopWorkspace& workspace(int thread) { return m_ws[std::size_t(thread)]; }

private:
    const sim::Model* m_model;
    Cluster m_cluster;
    bool m_distinct;
    std::vector<std::vector<std::unique_ptr<sim::Simulator>>> m_sims; // per thread
    std::vector<std::vector<sim::Simulator*>> m_slots;                // per thread, kLockstepBatch
    std::vector<ClosedLoopWorkspace> m_ws;
};

/// The calling thread's index inside a parallel loop (0 outside one).
int thread_index();

} // namespace podsim::pods
