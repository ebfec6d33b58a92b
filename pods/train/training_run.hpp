#pragma once
// A whole training run with its files (docs/training.md): config.json (every effective setting),
// log.csv and policy.json (the policy plus the training state) rewritten atomically after every
// epoch, so a run killed at any moment resumes from its last finished epoch. Under MPI every rank
// runs it (docs/distributed.md).

#include "pods/task/scene.hpp"
#include "pods/train/train_config.hpp"
#include "pods/train/trainer.hpp"
#include "pods/train/training_log.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace podsim::pods {

struct RunOptions {
    std::string out;         ///< output directory
    bool resume = false;     ///< continue the run in `out` (same settings required)
    int threads = 1;         ///< OpenMP threads (results do not depend on it)
    double time_budget = 0;  ///< stop starting epochs once this many training seconds passed (0: none)
    /// a fresh run starts from this policy.json's policy (any method's; its shape must be the
    /// configuration's) with a new optimiser state instead of a new network (empty: none)
    std::string init_policy{};
    /// The processes of the run (one by default): every rank calls run_training with the same
    /// arguments; rank 0 alone reads and writes files and gets the callbacks.
    Cluster cluster{};
};

struct RunCallbacks {
    /// After every epoch's files are written (row 0: the initial policy). eta_s < 0: unknown.
    std::function<void(const LogRow& row, int epochs, double eta_s)> on_epoch;
    /// For every trajectory left out of an epoch.
    std::function<void(int epoch, const TrajectoryFailure& failure)> on_failure;
};

struct RunResult {
    std::vector<LogRow> log;   ///< every row of log.csv
    std::string stopped;       ///< "epochs" or "time budget"
    int resumed_from = -1;     ///< the checkpoint's epoch when resumed
    /// the delivered policy: the last one, or with validation states (TrainConfig::validation)
    /// the one of the best validation return (best_policy.json)
    std::unique_ptr<policy::Policy> policy;
    int delivered_epoch = 0; ///< the epoch after which `policy` was taken
};

/// Trains `scene` with `config`. Throws InputError when `out` already holds a run and `resume` is
/// false, when resuming with different settings (naming them) and for a corrupt policy.json,
/// config.json or log.csv.
RunResult run_training(const Scene& scene, const TrainConfig& config, const RunOptions& options,
                       const RunCallbacks& callbacks = {});

/// policy.json of a run: the policy's JSON plus "training": {"epoch", "wall_s", "sim_steps", "adam"}
/// and, when `learner` is not null, under `learner_key` (the method's checkpoint key in the
/// learner registry: "ppo", "hndp") the learner's state (Trainer::learner_state).
nlohmann::json checkpoint_json(const policy::Policy& policy, const policy::Adam& adam, int epoch, double wall_s,
                               long long sim_steps, const nlohmann::json& learner = nullptr,
                               std::string_view learner_key = {});

} // namespace podsim::pods
