#pragma once
// The table of training settings: one row per TrainConfig setting with its config.json key,
// command-line flag, Python keyword, kind, range, help and the methods that read it. The range
// checks, config.json in and out, the command-line options and podsim.train's keywords are
// generated from it.

#include "common/json_node.hpp"
#include "pods/train/train_config.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace podsim::pods {

/// How a setting is held and read.
enum class SettingKind {
    kInt,     ///< int member in [lo, hi]
    kSeed,    ///< std::uint64_t member in [0, 2^53]
    kReal,    ///< double member in the range's interval (hi infinite: finite and >= lo)
    kBool,    ///< bool member
    kChoice,  ///< one of `choices`, read and written as text through get_text / set_text
    kIntList, ///< std::vector<int> member, each entry in [lo, hi] (the hidden widths)
};

/// When config.json holds a setting.
enum class JsonPresence {
    kRequired, ///< always written, required when read
    kOptional, ///< always written; a config.json without it (an older podsim's) reads the default
    kMethods,  ///< written and required only with the methods that read it, refused otherwise
};

/// A set of methods: bit `int(m)` for Method m.
using MethodMask = unsigned;
constexpr MethodMask method_bit(Method m) { return 1u << unsigned(m); }
/// The settings every method reads (head, epochs, batch, seeds, test bed, network).
inline constexpr MethodMask kEveryMethod = ~0u;

/// One training setting.
struct TrainSetting {
    std::string_view key;     ///< config.json key
    std::string_view keyword; ///< podsim.train's keyword, also the name in validate_train_config's messages
    /// the command-line flag ("--batch"); empty when the command handles the setting itself
    /// (--method, --head); a "!" in front makes a flag that sets a bool to false
    std::string_view flag;
    SettingKind kind = SettingKind::kInt;
    double lo = 0, hi = 0;            ///< range of kInt, kReal, kIntList (entries)
    bool lo_open = false, hi_open = false; ///< kReal: the bound itself is excluded
    std::span<const std::string_view> choices{}; ///< kChoice
    int TrainConfig::*int_member = nullptr;
    std::uint64_t TrainConfig::*seed_member = nullptr;
    double TrainConfig::*real_member = nullptr;
    bool TrainConfig::*bool_member = nullptr;
    std::vector<int> TrainConfig::*list_member = nullptr;
    std::string (*get_text)(const TrainConfig&) = nullptr; ///< kChoice
    /// kChoice: sets the member from text; throws std::invalid_argument on a value it cannot parse
    /// (a parsable value outside `choices` is refused by the callers)
    void (*set_text)(TrainConfig&, const std::string&) = nullptr;
    JsonPresence json = JsonPresence::kRequired;
    /// false when a resumed run may differ in it (epochs, hndp_local_parallel)
    bool must_match_on_resume = true;
    MethodMask methods = kEveryMethod; ///< the methods whose epoch reads it
    std::string_view help;             ///< the command-line help
};

/// Every setting, in config.json's and the help's order; `method` first.
std::span<const TrainSetting> train_settings();
/// The row of config.json key `key`; throws std::invalid_argument when there is none.
const TrainSetting& train_setting(std::string_view key);
/// The config.json keys of the settings `method` reads besides the common ones, in table order.
std::vector<std::string_view> method_settings(Method method);

/// "must be in [1, 100000]", "must be in (0, 1]", "must be finite and >= 0" (kInt, kReal, kIntList).
std::string setting_rule(const TrainSetting& s);
/// Whether config.json holds `s` for `method` (JsonPresence::kMethods).
bool setting_in_json(const TrainSetting& s, Method method);
/// "pods2, pods1, ppo".
std::string choices_text(const TrainSetting& s);
/// The methods of `methods` by name, in Method order: "hndp", "pods2, pods1".
std::string methods_text(MethodMask methods);

/// Throws std::invalid_argument "<keyword>: <rule>" when `c`'s value of `s` is outside its range
/// or choices.
void check_setting(const TrainSetting& s, const TrainConfig& c);
/// The value as config.json holds it.
nlohmann::json setting_to_json(const TrainSetting& s, const TrainConfig& c);
/// Reads the value from `node` (config.json's member) into `c`, with JsonNode's messages.
void setting_from_json(const TrainSetting& s, const common::JsonNode& node, TrainConfig& c);
/// Copies `from`'s value of `s` into `to`.
void copy_setting(const TrainSetting& s, const TrainConfig& from, TrainConfig& to);

} // namespace podsim::pods
