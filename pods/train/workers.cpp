// Per-thread simulators and workspaces (see workers.hpp).
#include "pods/train/workers.hpp"

#include <omp.h>

#include <stdexcept>

namespace podsim::pods {

Workers::Workers(const sim::Model& model, int threads, const Cluster& cluster)
    : m_model(&model), m_cluster(cluster), m_distinct(sim::reuses_factorization(model))
{
    if (threads < 1) throw std::invalid_argument("Workers: threads must be >= 1");
    m_sims.resize(std::size_t(threads));
    m_slots.resize(std::size_t(threads));
    m_ws.resize(std::size_t(threads));
}

std::span<sim::Simulator* const> Workers::simulators(int thread, int count)
{
    if (count < 1 || count > kLockstepBatch) throw std::invalid_argument("Workers::simulators: count out of range");
    auto& owned = m_sims[std::size_t(thread)];
    auto& slots = m_slots[std::size_t(thread)];
    const std::size_t needed = m_distinct ? std::size_t(count) : 1;
    while (owned.size() < needed) owned.push_back(std::make_unique<sim::Simulator>(*m_model));
    slots.resize(std::size_t(kLockstepBatch));
    for (int b = 0; b < count; ++b) slots[std::size_t(b)] = owned[m_distinct ? std::size_t(b) : 0].get();
    return {slots.data(), std::size_t(count)};
}

int thread_index() { return omp_get_thread_num(); }

} // namespace podsim::pods
