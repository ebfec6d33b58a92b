// Seeded k-means over initial states and region-wise sampling (see regions.hpp).
#include "pods/hndp/regions.hpp"

#include "pods/task/initial_state.hpp"
#include "pods/task/random.hpp"

#include <limits>
#include <random>
#include <stdexcept>
#include <string>

namespace podsim::pods::hndp {

int nearest_centre(const Eigen::MatrixXd& centres, const Eigen::Ref<const Eigen::VectorXd>& x)
{
    int best = 0;
    double best_d = std::numeric_limits<double>::infinity();
    for (int c = 0; c < int(centres.cols()); ++c) {
        const double d = (centres.col(c) - x).squaredNorm();
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

Eigen::MatrixXd kmeans(const Eigen::MatrixXd& points, int clusters, std::uint64_t seed, int iterations)
{
    const int p = int(points.cols());
    if (clusters < 1 || clusters > p)
        throw std::invalid_argument("kmeans: clusters must be in [1, " + std::to_string(p) + "], got " + std::to_string(clusters));
    std::mt19937_64 rng(seed);
    Eigen::MatrixXd centres(points.rows(), clusters);

    // k-means++: the first centre uniformly, each next one with probability proportional to the
    // squared distance to the nearest centre so far (a point already chosen has weight 0)
    centres.col(0) = points.col(int(rng() % std::uint64_t(p)));
    Eigen::VectorXd d2(p);
    for (int j = 0; j < p; ++j) d2[j] = (points.col(j) - centres.col(0)).squaredNorm();
    for (int c = 1; c < clusters; ++c) {
        const double total = d2.sum();
        int pick = 0;
        if (total > 0) {
            const double u = uniform(rng, 0, total);
            double acc = 0;
            pick = p - 1;
            for (int j = 0; j < p; ++j) {
                acc += d2[j];
                if (u < acc && d2[j] > 0) {
                    pick = j;
                    break;
                }
            }
        } else {
            pick = int(rng() % std::uint64_t(p)); // all points coincide with the centres
        }
        centres.col(c) = points.col(pick);
        for (int j = 0; j < p; ++j) d2[j] = std::min(d2[j], (points.col(j) - centres.col(c)).squaredNorm());
    }

    // Lloyd iterations: assign, then move every non-empty cluster's centre to its mean (sums in
    // point order)
    std::vector<int> assign(static_cast<std::size_t>(p), -1);
    for (int it = 0; it < iterations; ++it) {
        bool changed = false;
        for (int j = 0; j < p; ++j) {
            const int c = nearest_centre(centres, points.col(j));
            changed |= c != assign[std::size_t(j)];
            assign[std::size_t(j)] = c;
        }
        if (!changed) break;
        Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(points.rows(), clusters);
        Eigen::VectorXi count = Eigen::VectorXi::Zero(clusters);
        for (int j = 0; j < p; ++j) {
            sum.col(assign[std::size_t(j)]) += points.col(j);
            ++count[assign[std::size_t(j)]];
        }
        for (int c = 0; c < clusters; ++c)
            if (count[c] > 0) centres.col(c) = sum.col(c) / double(count[c]);
    }
    return centres;
}

Regions::Regions(const sim::Model& model, const Task& task, int regions, int samples, std::uint64_t seed)
    : m_model(&model), m_task(&task), m_obs(observation_map(model, task)), m_scale(observation_scale(model, task))
{
    Eigen::MatrixXd points(m_obs.size(model), samples);
    for (int j = 0; j < samples; ++j)
        points.col(j) = feature(sample_initial_state(model, task, derive_seed(seed, kRegionSampleStream, std::uint64_t(j))));
    m_centres = kmeans(points, regions, derive_seed(seed, kRegionStream));
}

Eigen::VectorXd Regions::feature(const sim::State& z0) const
{
    Eigen::VectorXd o(m_obs.size(*m_model));
    m_obs.observe(*m_model, z0, o);
    return m_scale.cwiseProduct(o);
}

std::vector<std::vector<sim::State>> Regions::sample(int per_region, std::uint64_t seed) const
{
    std::vector<std::vector<sim::State>> out(static_cast<std::size_t>(size()));
    int full = 0;
    const long long limit = 1000LL * per_region * size();
    for (long long j = 0; full < size(); ++j) {
        if (j >= limit)
            throw std::runtime_error("H-NDP regions: a region got fewer than " + std::to_string(per_region) + " of " +
                                     std::to_string(limit) + " sampled initial states (use fewer --regions)");
        sim::State z = sample_initial_state(*m_model, *m_task, derive_seed(seed, kRegionSampleStream, std::uint64_t(j)));
        std::vector<sim::State>& bucket = out[std::size_t(region_of(z))];
        if (int(bucket.size()) >= per_region) continue;
        bucket.push_back(std::move(z));
        full += int(bucket.size()) == per_region;
    }
    return out;
}

} // namespace podsim::pods::hndp
