#pragma once
// Imitation with H-NDP (H-NDP paper section III-B, Algorithm 1): writing digits from images.
// Local NDPs (one per digit, privileged transform input) imitate the labelled demonstrations;
// a global NDP on images only is distilled from them by behaviour cloning plus its own imitation
// loss, and the locals are retrained with a pull toward the global (iterative refinement).
// The baselines on the same data: a single NDP from images, a plain MLP trajectory head, and
// H-NDP without iterative refinement (docs/hndp.md).

#include "pods/hndp/digit_data.hpp"
#include "policy/policy.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace podsim::pods::hndp {

/// "hndp", "hndp-no-refine" (one local-to-global iteration with all the relabelled data and the
/// same optimiser steps), "ndp" (a global NDP on the demonstrations alone: no local-to-global),
/// "mlp" (a plain MLP trajectory head on the demonstrations alone).
inline const std::vector<std::string> kImitationMethods = {"hndp", "hndp-no-refine", "ndp", "mlp"};

struct ImitationConfig {
    std::vector<std::string> methods = kImitationMethods;
    int plan_steps = 50;      ///< k: points of the plan after the start (tau = 1, h = 1 / k)
    int substeps = 4;         ///< DMP steps per plan step
    int basis = 30;
    int image_size = 28;
    int demos_per_digit = 10; ///< labelled transforms per digit (the supervision budget)
    int relabel_per_digit = 40; ///< new transforms per digit and iteration labelled by the locals
    int test_per_digit = 20;  ///< held-out transforms per digit
    int iterations = 4;
    int local_steps = 300;    ///< Adam steps per local and iteration
    int global_steps = 600;   ///< Adam steps of the global policy per iteration
    int minibatch = 32;
    double local_lr = 3e-3, global_lr = 1e-3;
    std::vector<int> local_hidden{40};
    std::vector<int> global_hidden{64, 64};
    double pull_weight = 1;       ///< alpha_i when the global succeeds on digit i, else 0
    double region_success = 0.5;  ///< ... i.e. on at least this fraction of digit i's demonstrations
    double success_fraction = 0.1; ///< success: mean distance below this fraction of the digit's height
    TransformRanges ranges;
    std::uint64_t seed = 1;
    int threads = 0; ///< OpenMP threads (0: the default); results do not depend on it
};

/// Throws std::invalid_argument naming the first violated rule.
void validate_imitation_config(const ImitationConfig& c);

/// Scores of one policy on a sample set.
struct SetScore {
    double success = 0;             ///< fraction of samples with error < success_fraction
    double error = 0;               ///< mean over samples of mean distance / digit height
    std::array<double, 10> success_per_digit{};
    std::array<double, 10> error_per_digit{};
};

/// One row of log.csv: after an iteration of H-NDP (or the single one of the baselines).
struct IterationLog {
    std::string method;
    int iteration = 0;
    double wall_s = 0;          ///< cumulative training seconds (evaluation excluded)
    double local_s = 0, relabel_s = 0, global_s = 0, evaluate_s = 0; ///< this iteration's split
    double local_loss = 0;      ///< mean imitation loss of the locals on their demonstrations
    double pull_loss = 0;       ///< mean pull term (0 where alpha_i = 0)
    int pulled_regions = 0;     ///< digits with alpha_i > 0
    double bc_loss = 0;         ///< the global's last L_BC (mean over its last 10% of steps)
    double demo_loss = 0;       ///< the global's last L_g
    SetScore local_train;       ///< the locals on the demonstrations
    SetScore train, test;       ///< the global on the demonstrations and on the test set
};

struct MethodResult {
    std::string method;
    std::unique_ptr<policy::Policy> policy; ///< the trained global policy
    SetScore train, test;
    double train_s = 0;
    Eigen::MatrixXd test_plans; ///< 2 (k + 1) x test samples, layout of DigitSample::target
};

struct ImitationResult {
    std::vector<DigitSample> demos, test; ///< demos_per_digit / test_per_digit per digit, digit-major
    std::vector<MethodResult> methods;
    std::vector<IterationLog> log;
};

/// Runs every configured method on the same demonstrations and test set. Deterministic for a
/// seed and any thread count (locals in parallel, global batches in fixed chunks).
ImitationResult run_imitation(const std::vector<DigitStroke>& strokes, const ImitationConfig& config);

/// Mean distance between a plan and its target divided by the digit's height (both 2 (k + 1)).
double normalised_error(const Eigen::VectorXd& plan, const DigitSample& sample);

} // namespace podsim::pods::hndp
