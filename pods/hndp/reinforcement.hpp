#pragma once
// H-NDP for reinforcement learning (`podsim train --method hndp`; H-NDP paper Algorithm 1;
// docs/hndp.md, "Reinforcement learning"): a local NDP per region of the initial-state
// distribution, trained by PODS (or PPO) with a pull toward the global NDP's plans where the global
// already succeeds, and the global NDP trained on the behaviour-cloning loss toward the locals plus
// its own PODS regression. One call of epoch() is one local/global iteration. Deterministic for any
// thread count and, through the workers' cluster, for any number of MPI ranks.

#include "pods/hndp/regions.hpp"
#include "pods/task/cost.hpp"
#include "pods/task/observation.hpp"
#include "pods/task/task.hpp"
#include "pods/train/epoch_stats.hpp"
#include "pods/train/learner.hpp"
#include "pods/train/pods_rollouts.hpp"
#include "pods/train/ppo.hpp"
#include "pods/train/train_config.hpp"
#include "pods/train/workers.hpp"
#include "policy/adam.hpp"
#include "policy/policy.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <vector>

namespace podsim::pods::hndp {

/// What H-NDP learns besides the global policy: the regions and the local policies with their
/// optimisers (and PPO learners when the locals use PPO).
class HndpLearner : public Learner {
public:
    /// The regions (Regions with config.hndp_regions, hndp_region_samples, config.seed), local
    /// NDPs from derive_seed(config.seed, kLocalStream, i), workspaces for `threads` threads.
    HndpLearner(const sim::Model& model, const Task& task, const TrainConfig& config, int threads);

    /// Iteration `epoch`: `batch` states per region (its own draw; ctx.initial is not used); the
    /// global (ctx.policy) from all of them and every local from its region's are rolled out (and
    /// improved, PODS); alpha_i from the two's returns on region i; the locals fitted with their
    /// pull; the global fitted on L_BC plus its regression (optimiser ctx.adam, workspaces ctx.fit_ws).
    EpochStats epoch(int epoch, const EpochContext& ctx) override;

    const Regions& regions() const { return m_regions; }
    int size() const { return int(m_locals.size()); }
    const policy::Policy& local(int i) const { return *m_locals[std::size_t(i)]; }

    /// The checkpoint state {"locals": [{"policy", "adam"[, "ppo"]}, ...]} (the regions are
    /// rebuilt from the configuration).
    nlohmann::json state_json() const override;
    /// Restores state_json() (one local per region, each of the configuration's architecture).
    void restore(const common::JsonNode& node) override;

private:
    void fit_locals(int epoch, const policy::Policy& global, Workers& workers, const ObservationMap& obs_map,
                    const QuadraticCost& cost, const std::vector<std::vector<sim::State>>& states,
                    const std::vector<double>& alpha, const std::vector<std::unique_ptr<policy::PolicyWorkspace>>& fit_ws,
                    EpochStats& s);

    const sim::Model* m_model;
    const Task* m_task;
    TrainConfig m_config;
    TrainConfig m_improve_config; // the improvement's order (pods2 unless the locals use pods1)
    Regions m_regions;
    std::vector<std::unique_ptr<policy::Policy>> m_locals;
    std::vector<policy::Adam> m_local_adams;
    std::vector<std::unique_ptr<PpoLearner>> m_local_ppo; // empty unless the locals use PPO
    // per region: a local's fit workspace (fits in parallel over regions) and a global workspace
    // for its pull targets
    std::vector<std::vector<std::unique_ptr<policy::PolicyWorkspace>>> m_local_ws;
    std::vector<std::unique_ptr<policy::PolicyWorkspace>> m_pull_local_ws, m_pull_global_ws;
    std::vector<std::unique_ptr<policy::PolicyWorkspace>> m_bc_ws, m_target_ws;
    std::vector<PodsGroupResult> m_groups;
};

/// The weight per sample and plan point of the pull and of L_BC in a minibatch of m samples:
/// weight / (2 m (k + 1) h^2), so that the position distance of two plans is in the units of the
/// PODS regression loss 1/(2m) sum |pi - a*|^2 (a position difference of h |da| per step).
double trajectory_weight(double weight, int m, int k, double h);

/// Stream indices of H-NDP's seeds.
inline constexpr std::uint64_t kLocalStream = 0x10ca1;
inline constexpr std::uint64_t kLocalFitStream = 0x10cf;
inline constexpr std::uint64_t kBcStream = 0xbc;

} // namespace podsim::pods::hndp
