// Episode CSV writers and the action-file reader (see episode_csv.hpp).
#include "pods/task/episode_csv.hpp"

#include "common/input_error.hpp"
#include "common/text_io.hpp"

#include <charconv>
#include <filesystem>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

namespace podsim::pods {

namespace {

void append_xyz(std::string& out, const Eigen::Ref<const Eigen::VectorXd>& v)
{
    for (int k = 0; k < 3; ++k) {
        out += ',';
        common::append_double(out, k < v.size() ? v[k] : 0.0);
    }
}

std::vector<std::string> split(const std::string& line)
{
    std::vector<std::string> fields;
    std::string field;
    std::istringstream s(line);
    while (std::getline(s, field, ',')) fields.push_back(field);
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    return fields;
}

} // namespace

void append_states_csv(std::string& out, const sim::Model& model, const Episode& e, int episode)
{
    const int d = model.dim;
    const Eigen::VectorXd zero = Eigen::VectorXd::Zero(d);
    for (std::size_t t = 0; t < e.states.size(); ++t) {
        const sim::State& z = e.states[t];
        for (int file_index = 0; file_index < model.n_nodes(); ++file_index) {
            const int i = model.file_order[std::size_t(file_index)];
            const sim::Node& node = model.nodes[std::size_t(i)];
            out += std::to_string(episode) + ',' + std::to_string(t) + ',';
            common::append_double(out, double(t) * model.dt);
            out += ',' + node.name + ',' + sim::role_name(node.role);
            if (node.role == sim::Role::kFree) {
                append_xyz(out, z.x.segment(i * d, d));
                append_xyz(out, z.v.segment(i * d, d));
            } else if (node.role == sim::Role::kHandle) {
                const int h = i - model.first_handle();
                append_xyz(out, z.p.segment(h * d, d));
                append_xyz(out, t == 0 ? zero : Eigen::VectorXd(e.actions.col(Eigen::Index(t) - 1).segment(h * d, d)));
            } else {
                append_xyz(out, node.position.head(d));
                append_xyz(out, zero);
            }
            out += '\n';
        }
    }
}

void append_actions_csv(std::string& out, const sim::Model& model, const Episode& e, int episode)
{
    const int d = model.dim;
    for (Eigen::Index t = 0; t < e.actions.cols(); ++t)
        for (int h = 0; h < model.n_handles; ++h) {
            out += std::to_string(episode) + ',' + std::to_string(t) + ',' +
                   model.nodes[std::size_t(model.first_handle() + h)].name;
            append_xyz(out, e.actions.col(t).segment(h * d, d));
            out += '\n';
        }
}

void append_rewards_csv(std::string& out, const Episode& e, int episode)
{
    for (std::size_t t = 0; t < e.costs.size(); ++t) {
        const CostTerms& c = e.costs[t];
        out += std::to_string(episode) + ',' + std::to_string(t) + ',';
        common::append_double(out, 0.0 - c.total()); // 0 - x: no "-0"
        for (double v : {c.p, c.x, c.v, c.a}) {
            out += ',';
            common::append_double(out, v);
        }
        out += '\n';
    }
}

std::string springs_csv(const sim::Model& model)
{
    std::string out = kSpringsHeader;
    for (const sim::Spring& s : model.springs) {
        out += model.nodes[std::size_t(s.i)].name + ',' + model.nodes[std::size_t(s.j)].name + ',';
        out += s.kind == sim::SpringKind::kBilateral ? "bilateral\n" : "unilateral\n";
    }
    return out;
}

Eigen::MatrixXd read_actions_csv(const std::string& path, const sim::Model& model, int horizon)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw common::InputError(path + ": cannot open file for reading (no such file)");
    if (!std::filesystem::is_regular_file(path, ec)) throw common::InputError(path + ": not a regular file");
    std::ifstream file(path, std::ios::binary);
    if (!file) throw common::InputError(path + ": cannot open file for reading");
    std::ostringstream text;
    text << file.rdbuf();
    if (file.bad()) throw common::InputError(path + ": cannot read file");
    return parse_actions_csv(text.str(), path, model, horizon);
}

Eigen::MatrixXd parse_actions_csv(const std::string& text, const std::string& path, const sim::Model& model, int horizon)
{
    std::istringstream in(text);
    const int d = model.dim;
    Eigen::MatrixXd actions = Eigen::MatrixXd::Zero(model.n_p(), horizon);
    std::vector<char> seen(std::size_t(model.n_handles) * std::size_t(horizon), 0);

    std::string line;
    int line_no = 0;
    bool with_episode = false;
    std::vector<std::string> columns;
    std::string episode_value;
    auto fail = [&](const std::string& where, const std::string& what) {
        throw common::InputError(path + ": line " + std::to_string(line_no) + where + ": " + what);
    };
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3); // UTF-8 byte order mark
        if (line_no == 1) {
            if (line == "step,handle,ax,ay,az") with_episode = false;
            else if (line == "episode,step,handle,ax,ay,az") with_episode = true;
            else fail("", "header must be \"step,handle,ax,ay,az\" (optionally with \"episode,\" first), got \"" + line.substr(0, 60) + "\"");
            columns = split(line);
            continue;
        }
        if (line.empty()) continue;
        const std::vector<std::string> f = split(line);
        if (f.size() != columns.size())
            fail("", "expected " + std::to_string(columns.size()) + " fields, got " + std::to_string(f.size()));
        const std::size_t off = with_episode ? 1 : 0;
        auto column = [&](std::size_t k) { return ", column " + columns[k]; };
        if (with_episode) {
            long episode = 0;
            const auto r = std::from_chars(f[0].data(), f[0].data() + f[0].size(), episode);
            if (r.ec != std::errc() || r.ptr != f[0].data() + f[0].size() || episode < 0)
                fail(column(0), "got \"" + f[0] + "\", must be a non-negative integer");
            if (episode_value.empty()) episode_value = f[0];
            else if (f[0] != episode_value)
                fail(column(0), "got " + f[0] + " after " + episode_value + ", the file must hold a single episode");
        }
        long step = -1;
        {
            const std::string& s = f[off];
            const auto r = std::from_chars(s.data(), s.data() + s.size(), step);
            if (r.ec == std::errc::result_out_of_range) fail(column(off), "got " + s + ", out of range");
            if (r.ec != std::errc() || r.ptr != s.data() + s.size())
                fail(column(off), "got \"" + s + "\", must be an integer");
            if (horizon == 0) fail(column(off), "got " + s + ", but there are no steps to act on (0 steps)");
            if (step < 0 || step >= horizon)
                fail(column(off), "got " + s + ", must be in [0, " + std::to_string(horizon - 1) + "] (horizon " + std::to_string(horizon) + ")");
        }
        const int node = model.find_node(f[off + 1]);
        if (node < 0 || model.nodes[std::size_t(node)].role != sim::Role::kHandle)
            fail(column(off + 1), "got \"" + f[off + 1] + "\", must be the name of a handle");
        const int h = node - model.first_handle();
        char& mark = seen[std::size_t(step) * std::size_t(model.n_handles) + std::size_t(h)];
        if (mark) fail("", "duplicate action for step " + std::to_string(step) + " and handle " + f[off + 1]);
        mark = 1;
        for (int k = 0; k < 3; ++k) {
            const std::string& s = f[off + 2 + std::size_t(k)];
            double v = 0;
            const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
            if (r.ec == std::errc::result_out_of_range) fail(column(off + 2 + std::size_t(k)), "got " + s + ", out of the range of doubles");
            if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty())
                fail(column(off + 2 + std::size_t(k)), "got \"" + s + "\", must be a number");
            if (!std::isfinite(v)) fail(column(off + 2 + std::size_t(k)), "got " + s + ", must be finite");
            if (k >= d) {
                if (v != 0) fail(column(off + 2 + std::size_t(k)), "got " + s + ", must be 0 in a 2D scene");
                continue;
            }
            actions(h * d + k, step) = v;
        }
    }
    if (line_no == 0) throw common::InputError(path + ": empty file (expected a header line)");
    return actions;
}

} // namespace podsim::pods
