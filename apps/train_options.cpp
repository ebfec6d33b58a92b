// Shared training options and the progress line (see train_options.hpp).
#include "apps/train_options.hpp"

#include "apps/commands.hpp"
#include "common/input_error.hpp"
#include "common/text_io.hpp"
#include "pods/train/learner_registry.hpp"
#include "pods/train/train_settings.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace podsim::apps {

namespace {

// a real setting whose interval excludes an end: CLI::Range cannot say so
CLI::Validator open_interval(const pods::TrainSetting& s)
{
    const std::string text = std::string("FLOAT in ") + (s.lo_open ? "(" : "[") + common::format_double(s.lo) + " - " +
                             common::format_double(s.hi) + (s.hi_open ? ")" : "]");
    return CLI::Validator(
        [&s](std::string& value) -> std::string {
            char* end = nullptr;
            pods::TrainConfig scratch;
            scratch.*s.real_member = std::strtod(value.c_str(), &end);
            if (end == value.c_str() || *end != '\0') return "got " + value + ", must be a number";
            try {
                pods::check_setting(s, scratch);
            } catch (const std::invalid_argument&) {
                return "got " + value + ", " + pods::setting_rule(s);
            }
            return {};
        },
        text);
}

// the option of one setting of the table, its value checked as the option is read
CLI::Option* add_setting_option(CLI::App& cmd, TrainOptions& o, const pods::TrainSetting& s)
{
    const std::string flag(s.flag), help(s.help);
    pods::TrainConfig& c = o.config;
    switch (s.kind) {
    case pods::SettingKind::kInt:
        return cmd.add_option(flag, c.*s.int_member, help)->check(CLI::Range(int(s.lo), int(s.hi)))->capture_default_str();
    case pods::SettingKind::kSeed:
        return cmd.add_option(flag, c.*s.seed_member, help)->check(seed_range())->capture_default_str();
    case pods::SettingKind::kReal: {
        CLI::Option* opt = cmd.add_option(flag, c.*s.real_member, help);
        if (!std::isfinite(s.hi))
            opt->check(finite_non_negative()); // the table's unbounded reals start at 0
        else if (s.lo_open || s.hi_open)
            opt->check(open_interval(s));
        else
            opt->check(CLI::Range(s.lo, s.hi));
        return opt->capture_default_str();
    }
    case pods::SettingKind::kBool: return cmd.add_flag(flag, c.*s.bool_member, help);
    case pods::SettingKind::kChoice: {
        std::vector<std::string> choices(s.choices.begin(), s.choices.end());
        std::string& text = o.texts[std::string(s.key)] = s.get_text(c);
        return cmd.add_option(flag, text, help)->check(CLI::IsMember(choices))->capture_default_str();
    }
    case pods::SettingKind::kIntList: {
        std::string& text = o.texts[std::string(s.key)];
        for (int w : c.*s.list_member) text += (text.empty() ? "" : ",") + std::to_string(w);
        return cmd.add_option(flag, text, help)->capture_default_str();
    }
    }
    return nullptr;
}

// The default `podsim train --help` shows where the methods that read `s` start from another value
// than TrainConfig's (pods::method_defaults): "3 (pods2), 0 (pods1)" when they differ among
// themselves, else their common value; empty where every method starts from TrainConfig's
std::string per_method_default(const pods::TrainSetting& s)
{
    const auto shown = [&](const pods::TrainConfig& c) {
        const nlohmann::json v = pods::setting_to_json(s, c);
        return v.is_string() ? v.get<std::string>() : v.dump();
    };
    const std::string plain = shown(pods::TrainConfig{});
    std::string text, first;
    bool differs = false, all_plain = true;
    for (const pods::LearnerEntry& e : pods::learner_entries()) {
        if (!(s.methods & pods::method_bit(e.method))) continue;
        const std::string value = shown(pods::method_defaults(e.method));
        if (text.empty()) first = value;
        differs = differs || value != first;
        all_plain = all_plain && value == plain;
        text += (text.empty() ? "" : ", ") + value + " (" + std::string(e.name) + ")";
    }
    if (all_plain) return {};
    return differs ? text : first;
}

// "64,64" -> {64, 64}, each width in the setting's range
std::vector<int> int_list(const pods::TrainSetting& s, const std::string& text)
{
    std::vector<int> out;
    std::istringstream in(text);
    std::string w;
    while (std::getline(in, w, ',')) {
        std::size_t used = 0;
        int v = 0;
        try {
            v = std::stoi(w, &used);
        } catch (const std::exception&) {
            used = std::string::npos;
        }
        if (used != w.size() || v < s.lo || v > s.hi)
            throw common::InputError(std::string(s.flag) + ": got \"" + text + "\", must be comma-separated widths in [" +
                                     std::to_string(int(s.lo)) + ", " + std::to_string(int(s.hi)) + "]");
        out.push_back(v);
    }
    return out;
}

} // namespace

void add_train_options(CLI::App& cmd, TrainOptions& o, bool with_method)
{
    if (with_method) {
        std::string help;
        for (const pods::LearnerEntry& e : pods::learner_entries())
            help += (help.empty() ? "Training method: " : ", ") + std::string(e.name) + " (" + std::string(e.summary) + ")";
        cmd.add_option("--method", o.method, help)->check(CLI::IsMember(pods::learner_names()))->capture_default_str();
    }
    cmd.add_option("--head", o.head, "Policy head: mlp or ndp (default mlp; ndp for --method hndp)")
        ->check(CLI::IsMember({"mlp", "ndp"}));
    // every setting of the table with a flag, the run's options after the seed
    for (const pods::TrainSetting& s : pods::train_settings()) {
        if (s.flag.empty()) continue;
        CLI::Option* opt = add_setting_option(cmd, o, s);
        o.setting_options[std::string(s.key)] = opt;
        if (const std::string d = per_method_default(s); !d.empty()) opt->default_str(d);
        if (s.int_member == &pods::TrainConfig::epochs) o.epochs_option = opt;
        if (s.seed_member != &pods::TrainConfig::seed) continue;
        cmd.add_option("--threads", o.threads, "OpenMP threads (results do not depend on it)")->check(CLI::Range(1, 1024))->capture_default_str();
        cmd.add_option("--time-budget", o.time_budget, "Stop starting epochs after this many training seconds (0: none)")
            ->check(finite_non_negative())->capture_default_str();
    }
}

pods::TrainConfig train_config(const TrainOptions& o, const std::string& method)
{
    // the method's defaults, then the settings given on the command line
    pods::TrainConfig c = pods::method_defaults(pods::method_from_string(method));
    if (!o.head.empty()) c.head = pods::head_from_string(o.head);
    for (const pods::TrainSetting& s : pods::train_settings()) {
        const auto opt = o.setting_options.find(std::string(s.key));
        if (opt == o.setting_options.end() || opt->second->count() == 0) continue;
        const auto text = o.texts.find(std::string(s.key));
        if (s.kind == pods::SettingKind::kChoice) s.set_text(c, text->second);
        else if (s.kind == pods::SettingKind::kIntList) c.*s.list_member = int_list(s, text->second);
        else pods::copy_setting(s, o.config, c);
    }
    // a time budget without --epochs: the budget decides when the run ends
    if (o.time_budget > 0 && o.epochs_option && o.epochs_option->count() == 0) c.epochs = pods::kMaxEpochs;
    try {
        pods::validate_train_config(c);
    } catch (const std::invalid_argument& e) {
        throw common::InputError(std::string("--") + e.what());
    }
    return c;
}

namespace {
bool g_progress_drawn = false;
}

void print_progress(const std::string& label, const pods::LogRow& row, int epochs, double eta_s)
{
    if (!isatty(STDERR_FILENO)) return;
    std::fprintf(stderr, "\r\033[K%sepoch %d/%d  test return %.5g (train %.5g)  %.1f s", label.c_str(), row.epoch, epochs,
                 row.test.return_mean, row.train_return, row.wall_s);
    if (eta_s >= 0) std::fprintf(stderr, "  ETA %.0f s", eta_s);
    std::fflush(stderr);
    g_progress_drawn = true;
}

void end_progress()
{
    if (g_progress_drawn) std::fputc('\n', stderr);
    g_progress_drawn = false;
}

} // namespace podsim::apps
