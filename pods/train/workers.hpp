#pragma once
// Per-thread resources of the parallel loops over trajectories: one Simulator and one closed-loop
// workspace per OpenMP thread, made once per run and reused across epochs.

#include "pods/train/closed_loop.hpp"
#include "sim/bdf2.hpp"

#include <memory>
#include <vector>

namespace podsim::pods {

class Workers {
public:
    Workers(const sim::Model& model, int threads);

    int threads() const { return int(m_sims.size()); }
    sim::Simulator& sim(int thread) { return *m_sims[std::size_t(thread)]; }
    ClosedLoopWorkspace& workspace(int thread) { return m_ws[std::size_t(thread)]; }

private:
    std::vector<std::unique_ptr<sim::Simulator>> m_sims;
    std::vector<ClosedLoopWorkspace> m_ws;
};

/// The calling thread's index inside a parallel loop (0 outside one).
int thread_index();

} // namespace podsim::pods
