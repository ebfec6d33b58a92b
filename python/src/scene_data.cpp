// Scene data and simulator pools of the Python module (see scene_data.hpp).
#include "python/src/scene_data.hpp"

namespace podsim::python {

SimulatorPool::Lease::~Lease()
{
    if (!m_sim) return; // moved from
    std::lock_guard<std::mutex> lock(m_pool->m_mutex);
    m_pool->m_free.push_back(std::move(m_sim));
}

SimulatorPool::Lease SimulatorPool::acquire()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (!m_free.empty()) {
            std::unique_ptr<sim::Simulator> sim = std::move(m_free.back());
            m_free.pop_back();
            return Lease(*this, std::move(sim));
        }
    }
    return Lease(*this, std::make_unique<sim::Simulator>(*m_model));
}

std::vector<SimulatorPool::Lease> SimulatorPool::acquire(int n)
{
    std::vector<Lease> leases;
    leases.reserve(std::size_t(n));
    for (int i = 0; i < n; ++i) leases.push_back(acquire());
    return leases;
}

namespace {

sim::Model without_factorization_reuse(sim::Model model)
{
    model.solver.reuse_factorization = false;
    return model;
}

} // namespace

SceneData::SceneData(const std::string& path)
    : scene(pods::load_scene(path)),
      step_model(without_factorization_reuse(scene.model)),
      cost(pods::quadratic_cost(scene.model, scene.task)),
      observation(pods::observation_map(scene.model, scene.task)),
      observation_scale(pods::observation_scale(scene.model, scene.task)),
      file_index(std::size_t(scene.model.n_nodes())),
      rollouts(scene.model),
      steps(step_model)
{
    for (int k = 0; k < scene.model.n_nodes(); ++k) file_index[std::size_t(scene.model.file_order[std::size_t(k)])] = k;
}

} // namespace podsim::python
