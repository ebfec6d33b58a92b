// Tests of policy/dmp_io.hpp: exact JSON round trip, one-line errors for bad DMP JSON and bad
// demonstration CSV, and the trajectory CSV layout.
#include "policy/dmp_io.hpp"

#include "common/input_error.hpp"

#include <doctest/doctest.h>

#include <random>

using namespace podsim::policy;

namespace {

nlohmann::json valid_json()
{
    return nlohmann::json::parse(R"({"type": "dmp", "dim": 2, "basis": 3, "kernel": "gaussian", "alpha": 25,
        "beta": 6.25, "a_x": 1, "tau": 1, "steps": 50, "integrator": "euler", "scaling": "goal",
        "weights": [[1, 2, 3], [4, 5, 6]], "goal": [1, 1], "y0": [0, 0], "yd0": [0, 0]})");
}

std::string error_of(const nlohmann::json& j)
{
    try {
        dmp_from_json(podsim::common::JsonNode(j, "d.json"));
    } catch (const podsim::common::InputError& e) {
        return e.what();
    }
    return "";
}

std::string demo_error(const std::string& text)
{
    try {
        parse_demo_csv(text, "demo.csv");
    } catch (const podsim::common::InputError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("policy: dmp json round trip is exact")
{
    DmpModel m = dmp_from_json(podsim::common::JsonNode(valid_json(), "d.json"));
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> u(-1, 1);
    for (int i = 0; i < m.params.weights.size(); ++i) m.params.weights.data()[i] = u(rng) * 1e3;
    m.params.goal[1] = u(rng);
    m.config.scaling = Scaling::AMPLITUDE;
    m.params.amplitude = Eigen::Vector2d(0.3, 1.0 / 3.0);
    m.names = {"x", "y"};
    const nlohmann::json text = nlohmann::json::parse(dmp_to_json(m).dump());
    const DmpModel back = dmp_from_json(podsim::common::JsonNode(text, "d.json"));
    CHECK(back.params.weights == m.params.weights);
    CHECK(back.params.goal == m.params.goal);
    CHECK(back.params.amplitude == m.params.amplitude);
    CHECK(back.config.scaling == Scaling::AMPLITUDE);
    CHECK(back.names == m.names);
    CHECK(dmp_to_json(back) == dmp_to_json(m));
}

TEST_CASE("policy: bad dmp json gives one-line errors naming file, path, value and rule")
{
    nlohmann::json j = valid_json();
    j["basis"] = 1;
    CHECK(error_of(j) == "d.json: basis: got 1, must be in [2, 1000]");
    j = valid_json();
    j["wieghts"] = 1;
    CHECK(error_of(j).find("d.json: wieghts: unknown key \"wieghts\" (did you mean \"weights\"?)") == 0);
    j = valid_json();
    j["weights"][1] = {1, 2};
    CHECK(error_of(j) == "d.json: weights[1]: got [1,2], must be an array of 3 numbers");
    j = valid_json();
    j["kernel"] = "cubic";
    CHECK(error_of(j).find("d.json: kernel: got \"cubic\", must be one of") == 0);
    j = valid_json();
    j["scaling"] = "amplitude";
    CHECK(error_of(j) == "d.json: (top level): missing required key \"amplitude\" (scaling \"amplitude\")");
    j["amplitude"] = {1, -2};
    CHECK(error_of(j) == "d.json: amplitude[1]: got -2, must be > 0");
    j = valid_json();
    j["steps"] = 100000000;
    CHECK(error_of(j).find("d.json: steps: got 100000000, must be in [1, 1000000]") == 0);
    j = valid_json();
    j["steps"] = 1000000;
    j["dim"] = 10;
    j["integrator"] = "rk4";
    CHECK(error_of(j).rfind("d.json: steps: got 1000000, dim x (stages + 1) must be <= 25000000", 0) == 0);
    j["integrator"] = "euler";
    j["dim"] = 2;
    j["basis"] = 20;
    j["weights"] = {std::vector<double>(20, 0.0), std::vector<double>(20, 0.0)};
    CHECK(error_of(j).rfind("d.json: (top level): basis x (stages + 1) = 20000020: must be <= 10000000", 0) == 0);
    j = valid_json();
    j["a_x"] = 60;
    CHECK(error_of(j) == "d.json: (top level): a_x / steps = 1.2: must be <= 1 (the discrete phase must stay >= 0 and "
                         "decrease)");
    j = valid_json();
    j["type"] = "mlp";
    CHECK(error_of(j) == "d.json: type: got \"mlp\", must be \"dmp\"");
    j = valid_json();
    j.erase("goal");
    CHECK(error_of(j) == "d.json: (top level): missing required key \"goal\"");
    CHECK(error_of(valid_json()).empty());
}

TEST_CASE("policy: bad demonstration csv gives one-line errors with line and column")
{
    CHECK(demo_error("") == "demo.csv: empty file, expected a header `time,<dim>,...`");
    CHECK(demo_error("t,x\n0,1\n") == "demo.csv: line 1: first column must be \"time\", got \"t\"");
    CHECK(demo_error("time\n0\n") == "demo.csv: line 1: need at least one position column after \"time\"");
    CHECK(demo_error("time,x,x\n") == "demo.csv: line 1: column \"x\" appears twice");
    CHECK(demo_error("time,x\n0,1\n0.1,abc\n") == "demo.csv: line 3: column \"x\": got \"abc\", must be a finite number");
    CHECK(demo_error("time,x\n0,1\n0.1,nan\n") == "demo.csv: line 3: column \"x\": got \"nan\", must be a finite number");
    CHECK(demo_error("time,x\n0,1\n0.1,2,3\n") == "demo.csv: line 3: got 3 fields, must be 2 (as in the header)");
    CHECK(demo_error("time,x\n0,1\n0.1,2\n0.1,3\n") ==
          "demo.csv: line 4: column \"time\": got 0.1, must be greater than the previous time 0.1");
    CHECK(demo_error("time,x\n0,1\n0.1,2\n") == "demo.csv: got 2 samples, need at least 3");
    const Demonstration d = parse_demo_csv("time, x ,y\r\n0,1,2\r\n0.5,3,4\r\n\r\n1,5,6\r\n", "demo.csv");
    CHECK(d.names == std::vector<std::string>{"x", "y"});
    CHECK(d.y(1, 2) == 6);
    CHECK(d.time[1] == 0.5);
}

TEST_CASE("policy: trajectory csv has steps + 1 rows per dimension")
{
    const DmpModel m = dmp_from_json(podsim::common::JsonNode(valid_json(), "d.json"));
    const DmpTrajectory t = rollout(m);
    const std::string csv = trajectory_csv(m, t);
    CHECK(csv.rfind("step,time,dim,y,yd,ydd\n0,0,0,0,0,", 0) == 0);
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 2 * 51);
    CHECK(csv.find("\n50,1,1,") != std::string::npos);
}
