#pragma once
// H-NDP's regions for reinforcement learning (docs/hndp.md, "Reinforcement learning"): M clusters
// of the task's initial-state distribution by seeded k-means over sampled initial states, and the
// training states of each region drawn from the task's sampler by assignment to the nearest centre.

#include "pods/task/observation.hpp"
#include "pods/task/task.hpp"
#include "sim/model.hpp"
#include "sim/state.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace podsim::pods::hndp {

/// k-means of the columns of `points` (d x P) into `clusters` centres (d x clusters): k-means++
/// seeding from `seed`, then Lloyd iterations until no assignment changes (at most `iterations`).
/// Ties go to the lower centre index; an emptied cluster keeps its centre. Deterministic: the same
/// points and seed give the same bits. Throws std::invalid_argument when clusters is not in
/// [1, P].
Eigen::MatrixXd kmeans(const Eigen::MatrixXd& points, int clusters, std::uint64_t seed, int iterations = 100);

/// The index of the centre (column of `centres`) nearest to `x` in Euclidean distance (ties: the
/// lower index).
int nearest_centre(const Eigen::MatrixXd& centres, const Eigen::Ref<const Eigen::VectorXd>& x);

/// The regions of a task: centres in feature space. A state's feature is its scaled observation
/// `observation_scale .* O(z_0)` (the policy's own input, so distances weigh positions and
/// velocities as the network sees them).
class Regions {
public:
    /// k-means with `regions` centres over `samples` initial states drawn with
    /// derive_seed(seed, kRegionSampleStream, j), seeded with derive_seed(seed, kRegionStream).
    Regions(const sim::Model& model, const Task& task, int regions, int samples, std::uint64_t seed);

    int size() const { return int(m_centres.cols()); }
    const Eigen::MatrixXd& centres() const { return m_centres; }
    Eigen::VectorXd feature(const sim::State& z0) const;
    int region_of(const sim::State& z0) const { return nearest_centre(m_centres, feature(z0)); }

    /// `per_region` states for every region (result[i] for region i): initial states drawn in the
    /// order j = 0, 1, 2, ... with derive_seed(seed, kRegionSampleStream, j), each kept by its
    /// region until that region has enough. Throws std::runtime_error when some region is still
    /// short after `per_region * size() * 1000` draws (a region of almost no probability).
    std::vector<std::vector<sim::State>> sample(int per_region, std::uint64_t seed) const;

private:
    const sim::Model* m_model;
    const Task* m_task;
    ObservationMap m_obs;
    Eigen::VectorXd m_scale;
    Eigen::MatrixXd m_centres;
};

/// Stream indices of the regions' seeds.
inline constexpr std::uint64_t kRegionStream = 0x4e61;
inline constexpr std::uint64_t kRegionSampleStream = 0x4e62;

} // namespace podsim::pods::hndp
