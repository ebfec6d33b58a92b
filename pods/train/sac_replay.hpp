#pragma once
// SAC's replay buffer (docs/training.md): the transitions of whole closed-loop episodes in a ring
// of episode slots, the oldest episode overwritten first, uniform minibatches drawn with
// replacement from a seeded generator, and its checkpoint form (exact doubles, base64).

#include "common/json_node.hpp"
#include "pods/train/sac_loss.hpp"

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <random>
#include <span>
#include <vector>

namespace podsim::pods {

/// Episodes of `horizon` steps; one transition per step. An episode stores its observations
/// o_0..o_{N-1}, applied actions a_0..a_{N-1} and rewards r_0..r_{N-1}: the handle velocity a_{t-1},
/// the time, the next observation o_{t+1} and the end of the episode follow from the step's place
/// in its episode, so a transition costs n_obs + n_a + 1 doubles.
class ReplayBuffer {
public:
    ReplayBuffer() = default;
    /// Room for max(1, capacity / horizon) episodes (capacity in transitions); memory grows as
    /// episodes arrive.
    ReplayBuffer(int n_obs, int n_act, int horizon, int capacity);

    int episode_slots() const { return m_slots; }
    /// Transitions the buffer holds at most: episode_slots() x horizon.
    int capacity() const { return m_slots * m_horizon; }
    /// Transitions it holds.
    int size() const;
    /// Episodes added since it was made (the next goes to slot episodes_added() mod episode_slots()).
    long long episodes_added() const { return m_added; }

    /// Adds one episode: obs n_obs x N, actions n_a x N, rewards N; overwrites the oldest when full.
    void add_episode(const Eigen::MatrixXd& obs, const Eigen::MatrixXd& actions, const Eigen::VectorXd& rewards);

    /// `count` transition indices in [0, size()), uniform with replacement, from `rng` (the raw
    /// 64-bit draws: the same indices on every platform).
    std::vector<int> sample(int count, std::mt19937_64& rng) const;

    /// Transitions `picked` into `out` (every member but eps and next_eps). The critics' state is
    /// [o_t, a_{t-1} (0 at t = 0), 2 t / N - 1].
    void gather(std::span<const int> picked, SacBatch& out) const;

    /// {"episode_slots", "episodes_added", "obs", "actions", "rewards"}: the stored episodes'
    /// doubles in slot order as base64 of their IEEE-754 little-endian bytes (exact, about 11
    /// characters per double).
    nlohmann::json to_json() const;
    /// Restores to_json() into a buffer of the same sizes; throws InputError at `node` otherwise.
    void restore(const common::JsonNode& node);

private:
    int m_obs = 0, m_act = 0, m_horizon = 1, m_slots = 1;
    long long m_added = 0;
    Eigen::MatrixXd m_obs_data;     ///< n_obs x (allocated slots x N)
    Eigen::MatrixXd m_action_data;  ///< n_a x (allocated slots x N)
    Eigen::VectorXd m_reward_data;  ///< allocated slots x N
};

} // namespace podsim::pods
