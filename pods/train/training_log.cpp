// log.csv rows, writer and validated reader (see training_log.hpp).
#include "pods/train/training_log.hpp"

#include "common/input_error.hpp"
#include "common/text_io.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace podsim::pods {

LogRow log_row(int epoch, double wall_s, long long sim_steps, const EpochStats& stats, const EvaluationSummary& test)
{
    LogRow r;
    r.epoch = epoch;
    r.wall_s = wall_s;
    r.sim_steps = sim_steps;
    r.train_return = stats.train_return;
    r.test = test;
    r.alpha_mean = stats.alpha_mean;
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
    return r;
}

std::string log_line(const LogRow& r, const std::string& prefix)
{
    std::string out = prefix + std::to_string(r.epoch);
    for (double v : {r.wall_s, double(r.sim_steps), r.train_return, r.test.return_mean, r.test.return_std,
                     r.test.terminal_ke_mean, r.test.final_distance_mean, r.test.action_mag_mean, r.alpha_mean,
                     r.fit_loss, double(r.failed), r.gradient_norm, r.improved_return, double(r.test.failed), r.policy_std,
                     r.approx_kl, r.clip_fraction, r.value_loss, r.local_return, r.global_return, r.bc_loss,
                     r.pull_loss, double(r.pulled_regions)}) {
        out += ',';
        common::append_double(out, v);
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

std::vector<LogRow> parse_log_csv(std::istream& in, const std::string& path)
{
    std::vector<std::string> columns;
    {
        std::istringstream h(kLogHeader);
        std::string c;
        while (std::getline(h, c, ',')) columns.push_back(c);
    }
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
            if (line != kLogHeader) fail("header must be \"" + std::string(kLogHeader) + "\"");
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
                fail("column " + (v.size() < columns.size() ? columns[v.size()] : std::to_string(v.size() + 1)) +
                     ": got \"" + f.substr(0, 40) + "\", must be a number");
            v.push_back(x);
        }
        if (v.size() != columns.size() || line.back() == ',')
            fail("expected " + std::to_string(columns.size()) + " fields, got " + std::to_string(v.size()));
        LogRow r;
        r.epoch = int(v[0]);
        if (double(r.epoch) != v[0] || r.epoch != int(rows.size()))
            fail("column epoch: got " + common::format_double(v[0]) + ", expected " + std::to_string(rows.size()));
        r.wall_s = v[1];
        r.sim_steps = (long long)v[2];
        r.train_return = v[3];
        r.test.return_mean = v[4];
        r.test.return_std = v[5];
        r.test.terminal_ke_mean = v[6];
        r.test.final_distance_mean = v[7];
        r.test.action_mag_mean = v[8];
        r.alpha_mean = v[9];
        r.fit_loss = v[10];
        r.failed = int(v[11]);
        r.gradient_norm = v[12];
        r.improved_return = v[13];
        r.test.failed = int(v[14]);
        r.policy_std = v[15];
        r.approx_kl = v[16];
        r.clip_fraction = v[17];
        r.value_loss = v[18];
        r.local_return = v[19];
        r.global_return = v[20];
        r.bc_loss = v[21];
        r.pull_loss = v[22];
        r.pulled_regions = int(v[23]);
        rows.push_back(r);
    }
    if (line_no == 0) throw common::InputError(path + ": empty file (expected the header line)");
    return rows;
}

} // namespace podsim::pods
