// DMP JSON, demonstration CSV and trajectory CSV (see dmp_io.hpp).
#include "policy/dmp_io.hpp"

#include "policy/limits.hpp"
#include "common/input_error.hpp"
#include "common/text_io.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace podsim::policy {

using common::located;

DmpModel dmp_from_json(const common::JsonNode& node)
{
    node.allow_keys({"type", "description", "dim", "basis", "kernel", "alpha", "beta", "a_x", "tau", "steps",
                     "integrator", "scaling", "weights", "goal", "y0", "yd0", "amplitude", "names"});
    if (node["type"].string() != "dmp") node["type"].fail_value("must be \"dmp\"");
    if (node.has("description")) (void)node["description"].string();
    DmpModel m;
    DmpConfig& c = m.config;
    const int dim = int(node["dim"].integer_in(1, kMaxDmpDims));
    c.basis = int(node["basis"].integer_in(2, kMaxDmpBasis));
    if (node.has("kernel"))
        c.kernel = kernel_from_string(
            node["kernel"].choice({"gaussian", "linear", "multiquadric", "inverse_quadric", "inverse_multiquadric"}));
    if (node.has("alpha")) c.alpha = node["alpha"].number_in(kMinDmpConstant, kMaxDmpConstant);
    c.beta = node.has("beta") ? node["beta"].number_in(kMinDmpConstant, kMaxDmpConstant) : c.alpha / 4;
    if (node.has("a_x")) c.a_x = node["a_x"].number_in(kMinDmpConstant, kMaxDmpPhaseDecay);
    if (node.has("tau")) c.tau = node["tau"].number_in(kMinDmpConstant, kMaxDmpConstant);
    if (node.has("steps")) c.steps = int(node["steps"].integer_in(1, kMaxDmpSteps));
    if (node.has("integrator")) c.integrator = integrator_from_string(node["integrator"].choice({"euler", "rk4"}));
    if (std::int64_t(dim) * (dmp_stages(c) + 1) > kMaxDmpTrajectoryDoubles)
        node["steps"].fail_value("dim x (stages + 1) must be <= " + std::to_string(kMaxDmpTrajectoryDoubles) +
                                 " (stages = steps for euler, 4 steps for rk4)");
    if (node.has("scaling")) c.scaling = scaling_from_string(node["scaling"].choice({"goal", "none", "amplitude"}));

    DmpParams& p = m.params;
    const common::JsonNode w = node["weights"];
    if (w.size() != std::size_t(dim)) w.fail_value("must be an array of dim = " + std::to_string(dim) + " arrays");
    p.weights.resize(dim, c.basis);
    for (int d = 0; d < dim; ++d) p.weights.row(d) = w[std::size_t(d)].vector(c.basis).transpose();
    p.goal = node["goal"].vector(dim);
    p.y0 = node["y0"].vector(dim);
    p.yd0 = node.has("yd0") ? node["yd0"].vector(dim) : Eigen::VectorXd::Zero(dim);
    if (c.scaling == Scaling::AMPLITUDE) {
        if (!node.has("amplitude")) node.fail("missing required key \"amplitude\" (scaling \"amplitude\")");
        const common::JsonNode a = node["amplitude"];
        p.amplitude = a.vector(dim);
        for (int d = 0; d < dim; ++d)
            if (!(p.amplitude[d] > 0)) a[std::size_t(d)].fail_value("must be > 0");
    } else if (node.has("amplitude")) {
        node["amplitude"].fail("only allowed with \"scaling\": \"amplitude\"");
    }
    if (node.has("names")) {
        const common::JsonNode n = node["names"];
        if (n.size() != std::size_t(dim)) n.fail_value("must be an array of dim = " + std::to_string(dim) + " strings");
        for (int d = 0; d < dim; ++d) m.names.push_back(n[std::size_t(d)].string());
    }
    located(node, [&] {
        validate_dmp_config(c);
        return 0;
    });
    return m;
}

DmpModel read_dmp_json(const std::string& path)
{
    const nlohmann::json j = common::read_json_file(path);
    return dmp_from_json(common::JsonNode(j, path));
}

nlohmann::json dmp_to_json(const DmpModel& m)
{
    const DmpConfig& c = m.config;
    const int dim = m.dim();
    nlohmann::json j;
    j["type"] = "dmp";
    j["dim"] = dim;
    j["basis"] = c.basis;
    j["kernel"] = to_string(c.kernel);
    j["alpha"] = c.alpha;
    j["beta"] = c.beta;
    j["a_x"] = c.a_x;
    j["tau"] = c.tau;
    j["steps"] = c.steps;
    j["integrator"] = to_string(c.integrator);
    j["scaling"] = to_string(c.scaling);
    auto vec = [](const Eigen::VectorXd& v) { return std::vector<double>(v.data(), v.data() + v.size()); };
    nlohmann::json w = nlohmann::json::array();
    for (int d = 0; d < dim; ++d) w.push_back(vec(m.params.weights.row(d).transpose()));
    j["weights"] = w;
    j["goal"] = vec(m.params.goal);
    j["y0"] = vec(m.params.y0);
    j["yd0"] = vec(m.params.yd0);
    if (c.scaling == Scaling::AMPLITUDE) j["amplitude"] = vec(m.params.amplitude);
    if (!m.names.empty()) j["names"] = m.names;
    return j;
}

Demonstration parse_demo_csv(const std::string& text, const std::string& file)
{
    std::istringstream in(text);
    std::string line;
    int line_no = 0;
    auto split = [](const std::string& l) {
        std::vector<std::string> fields;
        std::string cur;
        for (char ch : l) {
            if (ch == ',') {
                fields.push_back(cur);
                cur.clear();
            } else if (ch != '\r') {
                cur += ch;
            }
        }
        fields.push_back(cur);
        for (std::string& f : fields) {
            const auto b = f.find_first_not_of(" \t"), e = f.find_last_not_of(" \t");
            f = b == std::string::npos ? "" : f.substr(b, e - b + 1);
        }
        return fields;
    };
    auto fail = [&](const std::string& what) -> void {
        throw common::InputError(file + ": line " + std::to_string(line_no) + ": " + what);
    };

    // header: time plus one named column per dimension
    Demonstration demo;
    if (!std::getline(in, line)) throw common::InputError(file + ": empty file, expected a header `time,<dim>,...`");
    ++line_no;
    const std::vector<std::string> header = split(line);
    if (header[0] != "time") fail("first column must be \"time\", got \"" + header[0] + "\"");
    if (header.size() < 2) fail("need at least one position column after \"time\"");
    if (int(header.size()) - 1 > kMaxDmpDims)
        fail("got " + std::to_string(header.size() - 1) + " dimensions, must be <= " + std::to_string(kMaxDmpDims));
    for (std::size_t i = 1; i < header.size(); ++i) {
        if (header[i].empty()) fail("column " + std::to_string(i + 1) + ": empty column name");
        for (std::size_t k = 1; k < i; ++k)
            if (header[k] == header[i]) fail("column \"" + header[i] + "\" appears twice");
        demo.names.push_back(header[i]);
    }
    const int dim = int(demo.names.size());

    // rows: finite numbers, strictly increasing time
    std::vector<double> times, values;
    while (std::getline(in, line)) {
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::vector<std::string> f = split(line);
        if (f.size() != header.size())
            fail("got " + std::to_string(f.size()) + " fields, must be " + std::to_string(header.size()) +
                 " (as in the header)");
        if (int(times.size()) >= kMaxDemoSamples) fail("more than " + std::to_string(kMaxDemoSamples) + " samples");
        for (std::size_t i = 0; i < f.size(); ++i) {
            double v = 0;
            const auto r = std::from_chars(f[i].data(), f[i].data() + f[i].size(), v);
            if (f[i].empty() || r.ec != std::errc() || r.ptr != f[i].data() + f[i].size() || !std::isfinite(v))
                fail("column \"" + header[i] + "\": got \"" + f[i] + "\", must be a finite number");
            if (i == 0) {
                if (!times.empty() && !(v > times.back()))
                    fail("column \"time\": got " + f[i] + ", must be greater than the previous time " +
                         common::format_double(times.back()));
                times.push_back(v);
            } else {
                values.push_back(v);
            }
        }
    }
    if (times.size() < 3)
        throw common::InputError(file + ": got " + std::to_string(times.size()) + " samples, need at least 3");
    const int samples = int(times.size());
    demo.time = Eigen::Map<Eigen::VectorXd>(times.data(), samples);
    demo.y = Eigen::Map<Eigen::MatrixXd>(values.data(), dim, samples);
    return demo;
}

Demonstration read_demo_csv(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw common::InputError(path + ": cannot open file for reading");
    std::ostringstream s;
    s << in.rdbuf();
    return parse_demo_csv(s.str(), path);
}

std::string trajectory_csv(const DmpModel& m, const DmpTrajectory& t)
{
    const double dt = m.config.tau / m.config.steps;
    std::string out = "step,time,dim,y,yd,ydd\n";
    out.reserve(out.size() + std::size_t(m.dim()) * (m.config.steps + 1) * 64);
    for (int n = 0; n <= m.config.steps; ++n)
        for (int d = 0; d < m.dim(); ++d) {
            out += std::to_string(n);
            out += ',';
            common::append_double(out, n * dt);
            out += ',';
            out += std::to_string(d);
            out += ',';
            common::append_double(out, t.y(d, n));
            out += ',';
            common::append_double(out, t.yd(d, n));
            out += ',';
            common::append_double(out, t.ydd(d, n));
            out += '\n';
        }
    return out;
}

} // namespace podsim::policy
