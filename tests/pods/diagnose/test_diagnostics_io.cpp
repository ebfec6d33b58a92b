// diagnostics.csv and diagnostics.json: columns, one row per step, round-trip numbers, keys.
#include "pods/diagnose/diagnostics_io.hpp"
#include "pods/task/initial_state.hpp"
#include "tests/pods/diagnose/diagnose_fixture.hpp"

#include <sstream>
#include <vector>

using namespace podsim;

namespace {

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

std::vector<std::string> fields(const std::string& line)
{
    std::vector<std::string> out;
    std::istringstream in(line);
    for (std::string f; std::getline(in, f, ',');) out.push_back(f);
    return out;
}

} // namespace

TEST_CASE("diagnose diagnostics_io: open-loop files hold one row per step with the documented columns")
{
    const pods::Scene s = test::shipped_scene("pendulum_2d_stop.json", 8);
    sim::Simulator sim(s.model);
    const pods::Diagnostics d = pods::diagnose_actions(sim, s.task, pods::sample_initial_state(s.model, s.task, 1),
                                                       Eigen::MatrixXd::Constant(s.model.n_p(), 8, 0.2));
    const auto rows = lines(pods::diagnostics_csv(d));
    REQUIRE(rows.size() == 9);
    CHECK(rows[0] == "step,time,gradient_norm,transition_sigma,accumulated_sigma,ftle");
    const auto last = fields(rows[8]);
    REQUIRE(last.size() == 6);
    CHECK(last[0] == "7");
    CHECK(std::stod(last[2]) == d.gradient_norm[7]); // round-trip precision
    CHECK(std::stod(last[5]) == d.open_loop.ftle[7]);

    const nlohmann::json j = pods::diagnostics_json(d);
    for (const char* key : {"horizon", "dt", "cost", "value", "clamped_actions", "open_loop", "summary"}) CHECK(j.contains(key));
    CHECK(!j.contains("closed_loop"));
    const nlohmann::json& open = j["open_loop"];
    for (const char* key : {"log10_growth", "ftle", "transition_sigma", "gradient_norm", "gauss_newton", "per_step", "state"})
        CHECK(open.contains(key));
    CHECK(open["per_step"]["gradient_norm"].size() == 8);
    CHECK(open["per_step"]["log10_accumulated_sigma"].size() == 8);
    CHECK(open["gauss_newton"]["computed"] == true);
    CHECK(open["gauss_newton"]["condition"].get<double>() == d.gauss_newton.condition);
}

TEST_CASE("diagnose diagnostics_io: with a policy the closed-loop and BPTT columns follow, and cumulative shares end at 1")
{
    const pods::Scene s = test::shipped_scene("pendulum_2d_stop.json", 8);
    const auto pol = test::test_policy(s, pods::Head::kMlp);
    sim::Simulator sim(s.model);
    const pods::Diagnostics d = pods::diagnose_policy(sim, s.task, *pol, pods::sample_initial_state(s.model, s.task, 1));
    const auto rows = lines(pods::diagnostics_csv(d));
    REQUIRE(rows.size() == 9);
    CHECK(rows[0] == "step,time,gradient_norm,transition_sigma,accumulated_sigma,ftle,closed_gradient_norm,"
                     "closed_transition_sigma,closed_accumulated_sigma,closed_ftle,bptt_norm,bptt_share,bptt_cumulative");
    const auto last = fields(rows[8]);
    REQUIRE(last.size() == 13);
    CHECK(std::stod(last[12]) == doctest::Approx(1));
    const nlohmann::json j = pods::diagnostics_json(d);
    REQUIRE(j.contains("closed_loop"));
    for (const char* key : {"policy_type", "log10_growth", "ftle", "gradient_norm", "bptt", "per_step"})
        CHECK(j["closed_loop"].contains(key));
    CHECK(j["closed_loop"]["bptt"]["per_step"]["share"].size() == 8);

    // a plan-length-4 head: the closed-loop growth per decision, nan in between
    const auto ndp = test::test_policy(s, pods::Head::kNdp);
    const pods::Diagnostics e = pods::diagnose_policy(sim, s.task, *ndp, pods::sample_initial_state(s.model, s.task, 1));
    const auto ndp_rows = lines(pods::diagnostics_csv(e));
    CHECK(ndp_rows[0] == rows[0]);
    CHECK(fields(ndp_rows[2])[8] == "nan"); // step 1: no decision
    CHECK(fields(ndp_rows[5])[8] != "nan"); // step 4: a decision
    const nlohmann::json je = nlohmann::json::parse(pods::diagnostics_json(e).dump()); // as written: NaN is null
    CHECK(je["closed_loop"]["state"].get<std::string>().find("per decision") != std::string::npos);
    CHECK(je["closed_loop"]["per_step"]["ftle"][1].is_null());
    CHECK(je["closed_loop"]["per_step"]["ftle"][4].is_number());
}
