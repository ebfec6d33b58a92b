// compare's summaries: final return statistics over seeds, simulated steps, time to 95% of the
// best method's final return, compare.csv rows and the Markdown table.
#include "pods/train/comparison.hpp"

#include <doctest/doctest.h>

using namespace podsim;

namespace {

pods::ComparedRun run(const std::string& method, std::uint64_t seed, std::vector<std::pair<double, double>> wall_return)
{
    pods::ComparedRun r;
    r.method = method;
    r.seed = seed;
    for (std::size_t e = 0; e < wall_return.size(); ++e) {
        pods::LogRow row;
        row.epoch = int(e);
        row.best_epoch = int(e);
        row.wall_s = wall_return[e].first;
        row.test.return_mean = wall_return[e].second;
        row.sim_steps = 1000 * (long long)(e) * (long long)(seed); // 2000 at the end of seed 1, 4000 of seed 2
        r.log.push_back(row);
    }
    return r;
}

} // namespace

TEST_CASE("comparison: final returns over seeds, time to 95% of the best, the table and compare.csv")
{
    std::vector<pods::ComparedRun> runs = {run("pods2", 1, {{0, -300}, {1, -120}, {2, -100}}),
                                           run("bptt", 1, {{0, -300}, {1, -200}, {3, -104}}),
                                           run("pods2", 2, {{0, -300}, {1.5, -104}, {2.5, -102}}),
                                           run("bptt", 2, {{0, -300}, {1, -250}, {3, -150}})};
    runs[0].optimality_ratio = 1.2;
    runs[2].optimality_ratio = 1.4;
    const std::vector<pods::MethodSummary> s = pods::summarize(runs);
    REQUIRE(s.size() == 2);
    CHECK(s[0].method == "pods2"); // order of first appearance
    CHECK(s[0].runs == 2);
    CHECK(s[0].final_return_mean == doctest::Approx(-101));
    CHECK(s[0].final_return_std == doctest::Approx(1));
    CHECK(s[0].wall_s_mean == doctest::Approx(2.25));
    CHECK(s[0].sim_steps_mean == doctest::Approx(3000));
    CHECK(s[0].optimality_mean == doctest::Approx(1.3));
    // best final -101: threshold -106.05; pods2 seed 1 reaches it at 2 s, seed 2 at 1.5 s
    CHECK(s[0].reached_95 == 2);
    CHECK(s[0].time_to_95_mean == doctest::Approx(1.75));
    // bptt: seed 1 at 3 s (-104), seed 2 never
    CHECK(s[1].reached_95 == 1);
    CHECK(s[1].time_to_95_mean == doctest::Approx(3));
    CHECK(std::isnan(s[1].optimality_mean));
    const std::string table = pods::markdown_table(s);
    CHECK(table.find("| pods2 | 2 | 2 | -101 +- 1 | 2.2 | 3e+03 | 1.8 | 1.300 |") != std::string::npos);
    CHECK(table.find("| bptt | 2 | 2 | -127 +- 23 | 3.0 | 3e+03 | 3.0 (1/2 runs) | - |") != std::string::npos);
    // one run: std exactly 0
    const std::vector<pods::MethodSummary> one = pods::summarize({runs[0]});
    CHECK(one[0].final_return_std == 0);
    const std::string csv = pods::compare_csv(runs);
    CHECK(csv.rfind("method,seed,epoch,wall_s,", 0) == 0);
    CHECK(csv.find("\nbptt,2,2,3,") != std::string::npos);
}

TEST_CASE("comparison: with validation states the delivered policy's test return counts, also for the time to 95%")
{
    // pods2 seed 1 delivers epoch 1's policy after epoch 2 (-120 < -100 in test, better in validation)
    std::vector<pods::ComparedRun> runs = {run("pods2", 1, {{0, -300}, {1, -120}, {2, -100}}),
                                           run("bptt", 1, {{0, -300}, {1, -200}, {3, -104}})};
    runs[0].log[2].best_epoch = 1;
    const std::vector<pods::MethodSummary> s = pods::summarize(runs);
    CHECK(s[0].final_return_mean == doctest::Approx(-120));
    CHECK(s[1].final_return_mean == doctest::Approx(-104));
    // best final -104, threshold -109.2: pods2 never delivers a policy that good, bptt at 3 s
    CHECK(s[0].reached_95 == 0);
    CHECK(s[1].time_to_95_mean == doctest::Approx(3));
    CHECK(pods::delivered_return(runs[0].log, 2) == -120);
    CHECK(pods::delivered_return(runs[0].log, 1) == -120);
    CHECK(pods::delivered_return(runs[1].log, 2) == -104);
}
