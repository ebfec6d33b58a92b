#pragma once
// CSV files of episodes (docs/design.md section 7): states.csv, actions.csv, rewards.csv and
// springs.csv writers and the validated reader of action files (`--actions`). Numbers are written
// with round-trip precision.

#include "pods/task/episode.hpp"
#include "sim/model.hpp"

#include <string>

namespace podsim::pods {

inline constexpr const char* kStatesHeader = "episode,step,time,node,role,x,y,z,vx,vy,vz\n";
inline constexpr const char* kActionsHeader = "episode,step,handle,ax,ay,az\n";
inline constexpr const char* kRewardsHeader = "episode,step,reward,cost_p,cost_x,cost_v,cost_a\n";
inline constexpr const char* kSpringsHeader = "a,b,kind\n";

/// Appends one row per node and state (nodes in scene-file order). Handle velocity at step t is
/// the action that moved it there, a_{t-1} (zero at t = 0); fixed nodes have zero velocity;
/// z and vz are 0 in 2D.
void append_states_csv(std::string& out, const sim::Model& model, const Episode& e, int episode);
/// Appends one row per step and handle: the applied (clamped) action.
void append_actions_csv(std::string& out, const sim::Model& model, const Episode& e, int episode);
/// Appends one row per step (reward = -cost) and the terminal row step = N.
void append_rewards_csv(std::string& out, const Episode& e, int episode);
/// springs.csv: the header and one row per spring of the model (its generated ropes' and cloths'
/// included, in the model's order): the two node names and the kind, bilateral or unilateral.
/// Written beside states.csv, so that drawings need not re-derive the generators' node names.
std::string springs_csv(const sim::Model& model);

/// Reads an action file with header `[episode,]step,handle,ax,ay,az` into an n_p x horizon
/// matrix (missing steps are zero). Checks: header, field count, numbers, finiteness, known
/// handle names, 0 <= step < horizon, no duplicate (step, handle), az = 0 in 2D, a single
/// episode. Errors are InputError "<file>: line L, column C: <what>".
Eigen::MatrixXd read_actions_csv(const std::string& path, const sim::Model& model, int horizon);
/// Same from the text of an action file; `file` is used in messages.
Eigen::MatrixXd parse_actions_csv(const std::string& text, const std::string& file, const sim::Model& model, int horizon);

} // namespace podsim::pods
