#pragma once
// What a Python Scene owns: the loaded scene, the derived cost and observation maps, and pools of
// simulators (one per concurrent call), shared by the Scene object and every tape made from it so
// that nothing it lends outlives it.

#include "pods/task/cost.hpp"
#include "pods/task/observation.hpp"
#include "pods/task/scene.hpp"
#include "sim/bdf2.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace podsim::python {

/// Simulators of one model, handed out one per concurrent user (Python threads calling with the
/// GIL released, OpenMP threads of a batch) and returned when the lease ends. A rollout from an
/// initial state does not depend on what the simulator did before (its factorisation is reset at
/// t = 0), so reuse changes no result.
class SimulatorPool {
public:
    explicit SimulatorPool(const sim::Model& model) : m_model(&model) {}
    SimulatorPool(const SimulatorPool&) = delete;
    SimulatorPool& operator=(const SimulatorPool&) = delete;

    class Lease {
    public:
        Lease(SimulatorPool& pool, std::unique_ptr<sim::Simulator> sim) : m_pool(&pool), m_sim(std::move(sim)) {}
        Lease(Lease&&) = default;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        sim::Simulator& operator*() const { return *m_sim; }
        sim::Simulator* operator->() const { return m_sim.get(); }

    private:
        SimulatorPool* m_pool;
        std::unique_ptr<sim::Simulator> m_sim;
    };

    /// A free simulator, or a new one when all are in use.
    Lease acquire();
    /// `n` simulators at once (for an OpenMP loop with n threads).
    std::vector<Lease> acquire(int n);

private:
    const sim::Model* m_model;
    std::mutex m_mutex;
    std::vector<std::unique_ptr<sim::Simulator>> m_free;
};

/// An immutable loaded scene and its simulator pools. Neither copyable nor movable (the pools and
/// maps point into `scene.model`); held by std::shared_ptr.
struct SceneData {
    explicit SceneData(const std::string& path);
    SceneData(const SceneData&) = delete;
    SceneData& operator=(const SceneData&) = delete;

    pods::Scene scene;
    /// The model with factorisation reuse off, for single steps from arbitrary states (a reused
    /// factorisation would carry over from whichever trajectory the simulator stepped last).
    sim::Model step_model;
    pods::QuadraticCost cost;
    pods::ObservationMap observation;
    Eigen::VectorXd observation_scale;
    std::vector<int> file_index;   ///< file index of each internal node (inverse of model.file_order)
    mutable SimulatorPool rollouts; ///< for whole rollouts from t = 0
    mutable SimulatorPool steps;    ///< for single steps (step_model)

    const sim::Model& model() const { return scene.model; }
    const pods::Task& task() const { return scene.task; }
};

using SceneHandle = std::shared_ptr<const SceneData>;

} // namespace podsim::python
