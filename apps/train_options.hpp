#pragma once
// Command-line options shared by `podsim train` and `podsim compare`: every TrainConfig setting
// with a flag in the settings table (pods/train/train_settings.hpp), and the progress line on stderr.

#include "pods/train/train_config.hpp"
#include "pods/train/training_log.hpp"

#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <string>

namespace podsim::apps {

/// The raw option values, turned into a validated TrainConfig by train_config().
struct TrainOptions {
    pods::TrainConfig config;
    std::string method = "pods2";
    std::string head;          ///< empty: the method's default head (mlp; ndp for hndp)
    /// the settings given as text (choices, the hidden widths) by config.json key
    std::map<std::string, std::string> texts;
    int threads = 1;
    double time_budget = 0;
    std::string init_policy;       ///< --init-policy (train only)
    const CLI::Option* epochs_option = nullptr; ///< --epochs, to tell an explicit value from the default
    /// the option of each setting with a flag, by config.json key: a setting not given takes the
    /// method's default (pods::method_defaults)
    std::map<std::string, const CLI::Option*> setting_options;
};

/// Adds --head, --threads, --time-budget and an option for every setting of the settings table
/// with a flag; with `with_method` also --method.
void add_train_options(CLI::App& cmd, TrainOptions& o, bool with_method);

/// The configuration of the options (method given by name); throws InputError "--<option>: ...".
pods::TrainConfig train_config(const TrainOptions& o, const std::string& method);

/// "epoch 12/50  test return -3.41 (train -3.90)  12.3 s  ETA 30 s" on stderr, rewritten in place
/// when stderr is a terminal (nothing otherwise); `label` goes in front.
void print_progress(const std::string& label, const pods::LogRow& row, int epochs, double eta_s);
/// Ends the progress line (a newline when one was drawn).
void end_progress();

} // namespace podsim::apps
