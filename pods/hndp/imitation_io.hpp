#pragma once
// The files of `podsim imitate` (docs/hndp.md): results.json, table.md, log.csv, strokes.csv,
// images.csv. Text only; the command writes them atomically.

#include "pods/hndp/imitation.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace podsim::pods::hndp {

/// The configuration and, per method, train / test success and error (overall and per digit)
/// and the training seconds.
nlohmann::json imitation_results_json(const ImitationResult& r, const ImitationConfig& c);

/// One Markdown table row per method: test success, test error, train success, seconds.
std::string imitation_table(const ImitationResult& r, const ImitationConfig& c);

/// log.csv: `method,iteration,wall_s,local_s,relabel_s,global_s,evaluate_s,local_loss,pull_loss,
/// pulled_regions,bc_loss,demo_loss,local_train_success,train_success,test_success,test_error`.
std::string imitation_log_csv(const ImitationResult& r);

/// strokes.csv: `method,digit,sample,step,x,y,target_x,target_y` for the first `samples` test
/// samples of every digit (sample = index among that digit's test samples).
std::string imitation_strokes_csv(const ImitationResult& r, const ImitationConfig& c, int samples);

/// images.csv: `digit,sample,row,col,intensity` of the same test samples (row 0 at the top).
std::string imitation_images_csv(const ImitationResult& r, const ImitationConfig& c, int samples);

} // namespace podsim::pods::hndp
