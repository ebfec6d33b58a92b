// Per-thread simulators and workspaces (see workers.hpp).
#include "pods/train/workers.hpp"

#include <omp.h>

#include <stdexcept>

namespace podsim::pods {

Workers::Workers(const sim::Model& model, int threads)
{
    if (threads < 1) throw std::invalid_argument("Workers: threads must be >= 1");
    for (int t = 0; t < threads; ++t) m_sims.push_back(std::make_unique<sim::Simulator>(model));
    m_ws.resize(std::size_t(threads));
}

int thread_index() { return omp_get_thread_num(); }

} // namespace podsim::pods
