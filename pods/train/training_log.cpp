// log.csv rows, writer and validated reader (see training_log.hpp).
#include "pods/train/training_log.hpp"

#include "common/input_error.hpp"
#include "common/text_io.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>

namespace podsim::pods {

namespace {

// a column of a LogRow field, or of a field of its test-bed summary
template <auto Field>
double row_value(const LogRow& r)
{
    return double(r.*Field);
}
template <auto Field>
void set_row_value(LogRow& r, double v)
{
    r.*Field = static_cast<std::remove_cvref_t<decltype(r.*Field)>>(v);
}
template <auto Field>
double test_value(const LogRow& r)
{
    return double(r.test.*Field);
}
template <auto Field>
void set_test_value(LogRow& r, double v)
{
    r.test.*Field = static_cast<std::remove_cvref_t<decltype(r.test.*Field)>>(v);
}
template <auto Field>
constexpr LogColumn row_column(std::string_view name, LogFormat format = LogFormat::kShortest)
{
    return {name, format, &row_value<Field>, &set_row_value<Field>};
}
template <auto Field>
constexpr LogColumn test_column(std::string_view name)
{
    return {name, LogFormat::kShortest, &test_value<Field>, &set_test_value<Field>};
}

constexpr LogColumn kColumns[] = {
    row_column<&LogRow::epoch>("epoch", LogFormat::kInteger),
    row_column<&LogRow::wall_s>("wall_s"),
    row_column<&LogRow::sim_steps>("sim_steps"),
    row_column<&LogRow::train_return>("train_return"),
    test_column<&EvaluationSummary::return_mean>("test_return_mean"),
    test_column<&EvaluationSummary::return_std>("test_return_std"),
    test_column<&EvaluationSummary::terminal_ke_mean>("terminal_ke"),
    test_column<&EvaluationSummary::final_distance_mean>("final_distance"),
    test_column<&EvaluationSummary::action_mag_mean>("action_mag"),
    row_column<&LogRow::alpha_mean>("alpha_mean"),
    row_column<&LogRow::fit_loss>("fit_loss"),
    row_column<&LogRow::failed>("failed"),
    row_column<&LogRow::gradient_norm>("gradient_norm"),
    row_column<&LogRow::improved_return>("improved_return"),
    test_column<&EvaluationSummary::failed>("test_failed"),
    row_column<&LogRow::policy_std>("policy_std"),
    row_column<&LogRow::approx_kl>("approx_kl"),
    row_column<&LogRow::clip_fraction>("clip_fraction"),
    row_column<&LogRow::value_loss>("value_loss"),
    row_column<&LogRow::local_return>("local_return"),
    row_column<&LogRow::global_return>("global_return"),
    row_column<&LogRow::bc_loss>("bc_loss"),
    row_column<&LogRow::pull_loss>("pull_loss"),
    row_column<&LogRow::pulled_regions>("pulled_regions"),
    row_column<&LogRow::temperature>("temperature"),
    row_column<&LogRow::entropy>("entropy"),
    row_column<&LogRow::validation_return>("validation_return"),
    row_column<&LogRow::best_epoch>("best_epoch", LogFormat::kInteger),
    row_column<&LogRow::mu>("mu"),
};

} // namespace

std::span<const LogColumn> log_columns() { return kColumns; }

const std::string& log_header()
{
    static const std::string header = [] {
        std::string h;
        for (const LogColumn& c : kColumns) h += (h.empty() ? "" : ",") + std::string(c.name);
        return h;
    }();
    return header;
}

LogRow log_row(int epoch, double wall_s, long long sim_steps, const EpochStats& stats, const EvaluationSummary& test)
{
    LogRow r;
    r.epoch = epoch;
    r.best_epoch = epoch;
    r.wall_s = wall_s;
    r.sim_steps = sim_steps;
    r.train_return = stats.train_return;
    r.test = test;
    r.alpha_mean = stats.alpha_mean;
    r.mu = stats.mu;
    r.fit_loss = stats.fit_loss;
    r.failed = stats.failed;
    r.gradient_norm = stats.gradient_norm;
    r.improved_return = stats.improved_return;
    r.policy_std = stats.policy_std;
    r.approx_kl = stats.approx_kl;
    r.clip_fraction = stats.clip_fraction;
    r.value_loss = stats.value_loss;
    r.local_return = stats.local_return;
    r.global_return = stats.global_return;
    r.bc_loss = stats.bc_loss;
    r.pull_loss = stats.pull_loss;
    r.pulled_regions = stats.pulled_regions;
    r.temperature = stats.temperature;
    r.entropy = stats.entropy;
    return r;
}

double delivered_return(const std::vector<LogRow>& log, std::size_t row)
{
    const std::size_t best = std::size_t(std::clamp(log.at(row).best_epoch, 0, int(row)));
    return log[best].test.return_mean;
}

std::string log_line(const LogRow& r, const std::string& prefix)
{
    std::string out = prefix;
    const char* separator = "";
    for (const LogColumn& c : log_columns()) {
        out += separator;
        separator = ",";
        if (c.format == LogFormat::kInteger) out += std::to_string((long long)c.get(r));
        else common::append_double(out, c.get(r));
    }
    return out;
}

std::vector<LogRow> read_log_csv(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw common::InputError(path + ": no such file (or not a regular file)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw common::InputError(path + ": cannot open file for reading");
    return parse_log_csv(in, path);
}

namespace {
// the columns of the first log.csv format (docs/design.md): epoch .. failed
constexpr std::ptrdiff_t kFirstLogColumns = 12;
} // namespace

std::vector<LogRow> parse_log_csv(std::istream& in, const std::string& path)
{
    const std::string& header = log_header();
    std::vector<const LogColumn*> columns; // the column of each field, by the header's names
    std::size_t epoch_field = 0;
    std::ptrdiff_t best_field = -1; // best_epoch's field, when the file has the column
    std::vector<LogRow> rows;
    std::string line;
    int line_no = 0;
    auto fail = [&](const std::string& what) {
        throw common::InputError(path + ": line " + std::to_string(line_no) + ": " + what);
    };
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line_no == 1) {
            // the header names log_columns() in their order; an older podsim's log.csv names a
            // leading part of them, at least the first kFirstLogColumns (columns are only ever
            // appended), and the rest read as 0 (best_epoch as the row's epoch)
            const bool older = line.size() < header.size() && header.compare(0, line.size() + 1, line + ",") == 0 &&
                               std::count(line.begin(), line.end(), ',') + 1 >= kFirstLogColumns;
            if (line != header && !older) fail("header must be \"" + header + "\"");
            std::istringstream h(line);
            std::string name;
            while (std::getline(h, name, ',')) {
                if (name == "epoch") epoch_field = columns.size();
                if (name == "best_epoch") best_field = std::ptrdiff_t(columns.size());
                for (const LogColumn& c : log_columns())
                    if (c.name == name) columns.push_back(&c);
            }
            continue;
        }
        if (line.empty()) continue;
        std::vector<double> v;
        std::istringstream s(line);
        std::string f;
        while (std::getline(s, f, ',')) {
            double x = 0;
            const auto r = std::from_chars(f.data(), f.data() + f.size(), x);
            if (r.ec != std::errc() || r.ptr != f.data() + f.size() || f.empty())
                fail("column " + (v.size() < columns.size() ? std::string(columns[v.size()]->name) : std::to_string(v.size() + 1)) +
                     ": got \"" + f.substr(0, 40) + "\", must be a number");
            v.push_back(x);
        }
        if (v.size() != columns.size() || line.back() == ',')
            fail("expected " + std::to_string(columns.size()) + " fields, got " + std::to_string(v.size()));
        LogRow r;
        if (best_field >= 0) {
            const double b = v[std::size_t(best_field)];
            if (!(b >= 0 && b <= v[epoch_field] && b == std::floor(b)))
                fail("column best_epoch: got " + common::format_double(b) + ", must be an epoch from 0 to the row's");
        }
        for (std::size_t i = 0; i < columns.size(); ++i) columns[i]->set(r, v[i]);
        if (best_field < 0) r.best_epoch = r.epoch; // an older log: the last policy is delivered
        if (double(r.epoch) != v[epoch_field] || r.epoch != int(rows.size()))
            fail("column epoch: got " + common::format_double(v[epoch_field]) + ", expected " + std::to_string(rows.size()));
        rows.push_back(r);
    }
    if (line_no == 0) throw common::InputError(path + ": empty file (expected the header line)");
    return rows;
}

} // namespace podsim::pods
