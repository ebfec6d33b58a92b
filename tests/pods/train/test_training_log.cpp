// log.csv's column table: the header is the columns' names, every column holds its own field of a
// row, rows written and read back are the same bits, integer columns keep their text, and the
// reader names the file, line and column of a bad field.
#include "common/input_error.hpp"
#include "pods/train/training_log.hpp"
#include "common/text_io.hpp"

#include <doctest/doctest.h>

#include <set>
#include <sstream>

using namespace podsim;

namespace {

// a row whose column i holds `value(i)`
template <class F>
pods::LogRow row_of(F value)
{
    pods::LogRow r;
    const auto columns = pods::log_columns();
    for (std::size_t i = 0; i < columns.size(); ++i) columns[i].set(r, value(i));
    return r;
}

std::vector<pods::LogRow> parse(const std::string& text)
{
    std::istringstream in(text);
    return pods::parse_log_csv(in, "log.csv");
}

} // namespace

TEST_CASE("training log: the header names every column once, in file order")
{
    CHECK(pods::log_header() ==
          "epoch,wall_s,sim_steps,train_return,test_return_mean,test_return_std,terminal_ke,final_distance,action_mag,"
          "alpha_mean,fit_loss,failed,gradient_norm,improved_return,test_failed,policy_std,approx_kl,clip_fraction,"
          "value_loss,local_return,global_return,bc_loss,pull_loss,pulled_regions,temperature,entropy,validation_return,"
          "best_epoch,mu");
    std::set<std::string_view> names;
    for (const pods::LogColumn& c : pods::log_columns()) CHECK(names.insert(c.name).second);
    CHECK(names.size() == 29);
}

TEST_CASE("training log: every column holds its own field of a row")
{
    const auto columns = pods::log_columns();
    for (std::size_t i = 0; i < columns.size(); ++i) {
        INFO(columns[i].name);
        // column i set to a marker, the others to 0: only column i reads it back
        const pods::LogRow r = row_of([&](std::size_t j) { return j == i ? 7.0 : 0.0; });
        for (std::size_t j = 0; j < columns.size(); ++j) CHECK(columns[j].get(r) == (j == i ? 7.0 : 0.0));
    }
}

TEST_CASE("training log: rows written and read back are the same bits in every column")
{
    const auto columns = pods::log_columns();
    // integer columns get integers, the others values that need every digit
    std::vector<pods::LogRow> rows;
    for (int e = 0; e < 3; ++e)
        rows.push_back(row_of([&](std::size_t i) {
            const pods::LogColumn& c = columns[i];
            if (c.name == "epoch" || c.name == "best_epoch") return double(e); // best_epoch: up to the row's
            const pods::LogRow probe = row_of([&](std::size_t j) { return j == i ? 0.5 : 0.0; });
            const bool integer = c.get(probe) != 0.5; // the field truncated the half
            return integer ? double(100000 + 3 * i + e) : (1.0 + i) / 3.0 - e * 1e-9;
        }));
    std::string text = pods::log_header() + "\n";
    for (const pods::LogRow& r : rows) text += pods::log_line(r) + "\n";
    const std::vector<pods::LogRow> back = parse(text);
    REQUIRE(back.size() == rows.size());
    int checked = 0;
    for (std::size_t k = 0; k < rows.size(); ++k)
        for (const pods::LogColumn& c : columns) {
            INFO(c.name << ", row " << k);
            CHECK(c.get(back[k]) == c.get(rows[k]));
            ++checked;
        }
    CHECK(checked == 3 * 29);
    // the epoch is written as digits, the other columns in their shortest form
    pods::LogRow big;
    big.epoch = 100000;
    big.sim_steps = 100000;
    CHECK(pods::log_line(big, "m,1,").rfind("m,1,100000,0,1e+05,", 0) == 0);
}

TEST_CASE("training log: an older podsim's log.csv, with fewer columns, reads the missing ones as 0")
{
    // the first 24 columns, as written before the SAC columns were appended
    std::string header = pods::log_header();
    std::size_t end = 0;
    for (int i = 0; i < 24; ++i) end = header.find(',', end) + 1;
    header.resize(end - 1);
    pods::LogRow r;
    r.epoch = 0;
    r.train_return = -3.5;
    r.temperature = 0.25;
    const auto first_columns = [](std::string line) {
        std::size_t cut = 0;
        for (int i = 0; i < 24; ++i) cut = line.find(',', cut) + 1;
        line.resize(cut - 1);
        return line;
    };
    const std::string row = first_columns(pods::log_line(r));
    r.epoch = 1;
    const std::vector<pods::LogRow> rows = parse(header + "\n" + row + "\n" + first_columns(pods::log_line(r)) + "\n");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].train_return == -3.5);
    CHECK(rows[0].temperature == 0); // not in the older file
    CHECK(rows[0].validation_return == 0);
    CHECK(rows[1].best_epoch == 1); // an older run delivers its last policy
    // fewer than the first format's 12 columns is not a log.csv of any podsim
    CHECK_THROWS_WITH_AS(parse("epoch,wall_s,sim_steps\n0,0,0\n"), doctest::Contains("header must be"),
                         common::InputError);
}

TEST_CASE("training log: a bad header, field, field count or epoch is refused with its line and column")
{
    const std::string header = pods::log_header() + "\n";
    const std::string good = pods::log_line(pods::LogRow{}) + "\n";
    CHECK_THROWS_WITH_AS(parse("epoch,wall_s\n"), doctest::Contains("log.csv: line 1: header must be \"epoch,"),
                         common::InputError);
    std::string bad = good;
    bad.replace(bad.find(",0,") + 1, 1, "zz"); // wall_s
    CHECK_THROWS_WITH_AS(parse(header + bad), "log.csv: line 2: column wall_s: got \"zz\", must be a number",
                         common::InputError);
    CHECK_THROWS_WITH_AS(parse(header + "0,0\n"), "log.csv: line 2: expected 29 fields, got 2", common::InputError);
    CHECK_THROWS_WITH_AS(parse(header + good + good), "log.csv: line 3: column epoch: got 0, expected 1",
                         common::InputError);
    CHECK(parse(header + good).size() == 1);
    // best_epoch names an epoch up to the row's own
    pods::LogRow one;
    one.epoch = 1;
    for (const double b : {2.0, -1.0, 0.5, 1e300}) {
        INFO(b);
        one.best_epoch = 0;
        std::string line = pods::log_line(one);
        const std::string mu = line.substr(line.rfind(',')); // the last column, after best_epoch
        line.erase(line.rfind(','));
        line.replace(line.rfind(',') + 1, std::string::npos, common::format_double(b));
        line += mu;
        CHECK_THROWS_WITH_AS(parse(header + good + line + "\n"), doctest::Contains("log.csv: line 3: column best_epoch: got "),
                             common::InputError);
    }
    one.best_epoch = 0;
    CHECK(parse(header + good + pods::log_line(one) + "\n")[1].best_epoch == 0);
}
