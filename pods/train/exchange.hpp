#pragma once
// The encodings of the per-trajectory results ranks exchange after a parallel phase
// (docs/distributed.md): only what the combining step on every rank reads, bit for bit.

#include "pods/train/closed_loop.hpp"
#include "pods/train/regression.hpp"
#include "pods/train/wire.hpp"

namespace podsim::pods {

/// A rollout's outcome: ok, failed_step, failure and cost (not its states or actions).
void put_outcome(WireWriter& w, const ClosedLoopRollout& r);
void get_outcome(WireReader& in, ClosedLoopRollout& r);

/// The outcome plus what the learner reads per decision: obs, handle_velocity, requested and the
/// applied actions (not the states).
void put_decisions(WireWriter& w, const ClosedLoopRollout& r);
void get_decisions(WireReader& in, ClosedLoopRollout& r);

/// Regression samples (every matrix).
void put_samples(WireWriter& w, const RegressionData& d);
void get_samples(WireReader& in, RegressionData& d);

} // namespace podsim::pods
