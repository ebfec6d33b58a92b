#pragma once
// Guided policy search in the mirror-descent form (MDGPS: Montgomery and Levine 2016, "Guided
// Policy Search via Approximate Mirror Descent"), the GPS baseline of the PODS paper, on the
// deterministic differentiable simulator (docs/training.md, "GPS"). A fixed set of M initial
// conditions; per epoch and condition the C-step (pods/train/gps_controller.hpp): the policy's
// rollout, its LQ model and the box-DDP controller within a step size epsilon of the policy's
// actions, rolled out with and without noise; then the S-step: the policy regressed onto the
// controllers' actions at their states. epsilon adapts per condition by MDGPS's rule.
// Deterministic for any thread and rank count: noise from (seed, epoch, condition, sample),
// results combined in condition order.

#include "pods/task/scene.hpp"
#include "pods/train/learner.hpp"
#include "pods/train/regression.hpp"
#include "pods/train/train_config.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace podsim::pods {

class GpsLearner : public Learner {
public:
    /// The policy's Adam: learning rate fit_lr (the S-step is PODS's regression).
    static policy::AdamConfig policy_adam(const TrainConfig& config);

    /// The gps_conditions initial states from (seed, kGpsConditionStream, i), step sizes gps_step,
    /// eta 1. Throws common::InputError when `policy` is not the MLP head or the scene's BDF2 state
    /// is too large for the Riccati pass (4 n_x + n_p > kRiccatiMaxState).
    GpsLearner(const sim::Model& model, const Task& task, const TrainConfig& config, const policy::Policy& policy);

    /// One MDGPS iteration on the conditions (ctx.initial is not used): per condition the
    /// policy's rollout, the step-size update from the previous epoch, the C-step and gps_samples
    /// controller rollouts (sample 0 without noise, the others with noise gps_noise x L from
    /// (seed, kGpsNoiseStream, epoch, condition x gps_samples + sample)); then fit_steps Adam steps
    /// on the samples (minibatches from (seed, kFitStream, epoch)). Reports train_return (the
    /// policy on the conditions), improved_return (the noise-free controllers), alpha_mean (the mean
    /// step size epsilon used), gradient_norm (the mean |projected trajectory gradient|), fit_loss.
    EpochStats epoch(int epoch, const EpochContext& ctx) override;

    const std::vector<sim::State>& conditions() const { return m_conditions; }
    /// Per condition: the step size epsilon and the last eta.
    const std::vector<double>& step() const { return m_step; }
    const std::vector<double>& eta() const { return m_eta; }

    /// {"step", "eta", "policy_cost", "controller_cost", "previous"}: per condition the step
    /// size, the last eta, the last epoch's costs of the policy and the noise-free controller and
    /// whether they exist (1) or not (0: no epoch yet, or the condition failed).
    nlohmann::json state_json() const override;
    /// Restores state_json() (gps_conditions entries each).
    void restore(const common::JsonNode& node) override;

private:
    TrainConfig m_config;
    std::vector<sim::State> m_conditions;
    std::vector<double> m_step, m_eta, m_policy_cost, m_controller_cost, m_previous;
};

/// The `config.gps_conditions` initial states of a GPS run: state i from the seed
/// derive_seed(config.seed, kGpsConditionStream, i).
std::vector<sim::State> gps_conditions(const sim::Model& model, const Task& task, const TrainConfig& config);

/// Stream indices of GPS's seeds.
inline constexpr std::uint64_t kGpsConditionStream = 0x6b5c;
inline constexpr std::uint64_t kGpsNoiseStream = 0x6b5e;

} // namespace podsim::pods
