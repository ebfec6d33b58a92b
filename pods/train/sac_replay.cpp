// SAC's replay buffer (see sac_replay.hpp).
#include "pods/train/sac_replay.hpp"

#include "common/base64.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace podsim::pods {

ReplayBuffer::ReplayBuffer(int n_obs, int n_act, int horizon, int capacity)
    : m_obs(n_obs), m_act(n_act), m_horizon(horizon), m_slots(std::max(1, capacity / horizon))
{
    if (n_obs < 1 || n_act < 1 || horizon < 1 || capacity < 1)
        throw std::invalid_argument("ReplayBuffer: sizes must be positive");
}

int ReplayBuffer::size() const { return int(std::min<long long>(m_added, m_slots)) * m_horizon; }

void ReplayBuffer::add_episode(const Eigen::MatrixXd& obs, const Eigen::MatrixXd& actions, const Eigen::VectorXd& rewards)
{
    if (obs.rows() != m_obs || obs.cols() != m_horizon || actions.rows() != m_act || actions.cols() != m_horizon ||
        rewards.size() != m_horizon)
        throw std::invalid_argument("ReplayBuffer::add_episode: an episode is n_obs x N observations, n_a x N actions, N rewards");
    const int slot = int(m_added % m_slots);
    // grow by doubling up to the capacity
    const int allocated = int(m_reward_data.size()) / m_horizon;
    if (slot >= allocated) {
        const Eigen::Index cols = Eigen::Index(std::min(m_slots, std::max(2 * allocated, slot + 1))) * m_horizon;
        m_obs_data.conservativeResize(m_obs, cols);
        m_action_data.conservativeResize(m_act, cols);
        m_reward_data.conservativeResize(cols);
    }
    const Eigen::Index first = Eigen::Index(slot) * m_horizon;
    m_obs_data.middleCols(first, m_horizon) = obs;
    m_action_data.middleCols(first, m_horizon) = actions;
    m_reward_data.segment(first, m_horizon) = rewards;
    ++m_added;
}

std::vector<int> ReplayBuffer::sample(int count, std::mt19937_64& rng) const
{
    const std::uint64_t n = std::uint64_t(size());
    if (n == 0) throw std::invalid_argument("ReplayBuffer::sample: the buffer is empty");
    std::vector<int> out(static_cast<std::size_t>(count));
    for (int& i : out) i = int(rng() % n);
    return out;
}

void ReplayBuffer::gather(std::span<const int> picked, SacBatch& out) const
{
    const int m = int(picked.size()), ns = m_obs + m_act + 1, n = m_horizon;
    out.obs.resize(m_obs, m);
    out.state.resize(ns, m);
    out.action.resize(m_act, m);
    out.reward.resize(m);
    out.not_done.resize(m);
    out.next_obs.resize(m_obs, m);
    out.next_state.resize(ns, m);
    for (int j = 0; j < m; ++j) {
        const int i = picked[std::size_t(j)], t = i % n;
        if (i < 0 || i >= size()) throw std::invalid_argument("ReplayBuffer::gather: index out of range");
        const bool last = t == n - 1;
        out.obs.col(j) = m_obs_data.col(i);
        out.action.col(j) = m_action_data.col(i);
        out.reward[j] = m_reward_data[i];
        out.not_done[j] = last ? 0.0 : 1.0;
        out.next_obs.col(j) = m_obs_data.col(last ? i : i + 1);
        out.state.col(j).head(m_obs) = out.obs.col(j);
        if (t > 0) out.state.col(j).segment(m_obs, m_act) = m_action_data.col(i - 1);
        else out.state.col(j).segment(m_obs, m_act).setZero();
        out.state(ns - 1, j) = 2.0 * t / n - 1;
        out.next_state.col(j).head(m_obs) = out.next_obs.col(j);
        out.next_state.col(j).segment(m_obs, m_act) = out.action.col(j);
        out.next_state(ns - 1, j) = 2.0 * (t + 1) / n - 1;
    }
}

nlohmann::json ReplayBuffer::to_json() const
{
    const std::size_t cols = std::size_t(size());
    return {{"episode_slots", m_slots},
            {"episodes_added", m_added},
            {"obs", common::doubles_to_base64(m_obs_data.data(), cols * std::size_t(m_obs))},
            {"actions", common::doubles_to_base64(m_action_data.data(), cols * std::size_t(m_act))},
            {"rewards", common::doubles_to_base64(m_reward_data.data(), cols)}};
}

void ReplayBuffer::restore(const common::JsonNode& node)
{
    node.allow_keys({"episode_slots", "episodes_added", "obs", "actions", "rewards"});
    node["episode_slots"].integer_in(m_slots, m_slots);
    const long long added = node["episodes_added"].integer_in(0, std::int64_t(1) << 62);
    const Eigen::Index cols = Eigen::Index(std::min<long long>(added, m_slots)) * m_horizon;
    Eigen::MatrixXd obs(m_obs, cols), actions(m_act, cols);
    Eigen::VectorXd rewards(cols);
    common::base64_to_doubles(node["obs"], obs.data(), std::size_t(obs.size()));
    common::base64_to_doubles(node["actions"], actions.data(), std::size_t(actions.size()));
    common::base64_to_doubles(node["rewards"], rewards.data(), std::size_t(rewards.size()));
    m_added = added;
    m_obs_data = std::move(obs);
    m_action_data = std::move(actions);
    m_reward_data = std::move(rewards);
}

} // namespace podsim::pods
