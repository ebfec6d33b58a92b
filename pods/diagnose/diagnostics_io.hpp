#pragma once
// The files of `podsim diagnose`: diagnostics.csv (one row per step) and diagnostics.json (every
// number, the highlights and the summary paragraph). Columns and keys: docs/diagnostics.md.

#include "pods/diagnose/diagnostics.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace podsim::pods {

/// `step,time,gradient_norm,transition_sigma,accumulated_sigma,ftle`, then with a policy
/// `closed_gradient_norm,closed_transition_sigma,closed_accumulated_sigma,closed_ftle,bptt_norm,
/// bptt_share,bptt_cumulative`; rows t = 0..N-1, round-trip numbers (`inf` where a growth factor
/// exceeds the double range; `nan` in the closed-loop growth columns of steps without a decision
/// of a multi-step policy).
std::string diagnostics_csv(const Diagnostics& d);

/// The JSON object: sizes, cost, the per-step series, highlights and "summary". The caller adds
/// what identifies the run (scene, initial state, source of the actions).
nlohmann::json diagnostics_json(const Diagnostics& d);

} // namespace podsim::pods
