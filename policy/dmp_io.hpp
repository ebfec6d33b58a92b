#pragma once
// DMP files: the DMP JSON format (docs/design.md section 7), demonstration CSV input and the
// trajectory.csv output. Every reader validates and throws common::InputError with a one-line
// message naming the file, the location (JSON path or CSV line / column), the value and the rule.

#include "policy/dmp_model.hpp"
#include "common/json_node.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace podsim::policy {

/// DMP JSON object; required keys: type ("dmp"), dim, basis, weights, goal, y0; optional with
/// defaults: kernel, alpha, beta (alpha / 4), a_x, tau, steps, integrator, scaling, yd0 (zeros),
/// amplitude (required for scaling "amplitude"), names, description. Unknown keys are errors.
DmpModel dmp_from_json(const common::JsonNode& node);
/// Reads and validates a DMP JSON file.
DmpModel read_dmp_json(const std::string& path);
/// The JSON object (round-trip exact numbers).
nlohmann::json dmp_to_json(const DmpModel& dmp);

/// A demonstration: strictly increasing times and one position row per dimension.
struct Demonstration {
    std::vector<std::string> names; ///< column names after `time`
    Eigen::VectorXd time;           ///< samples
    Eigen::MatrixXd y;              ///< dim x samples
};

/// Parses demonstration CSV text: a header `time,<name>,...` then one row per sample.
/// `file` is used in messages only ("<file>: line 7, column \"y\": got \"abc\", must be a number").
Demonstration parse_demo_csv(const std::string& text, const std::string& file);
Demonstration read_demo_csv(const std::string& path);

/// trajectory.csv text: header `step,time,dim,y,yd,ydd`, steps + 1 rows per dimension,
/// ordered by step then dimension; time = step dt.
std::string trajectory_csv(const DmpModel& dmp, const DmpTrajectory& t);

} // namespace podsim::policy
