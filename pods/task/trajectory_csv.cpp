// Per-action and Jacobian CSV writers (see trajectory_csv.hpp).
#include "pods/task/trajectory_csv.hpp"

#include "common/text_io.hpp"

namespace podsim::pods {

namespace {

constexpr const char* kAxes[] = {"x", "y", "z"};

const std::string& handle_name(const sim::Model& m, int h) { return m.nodes[std::size_t(m.first_handle() + h)].name; }

} // namespace

std::string per_action_csv(const sim::Model& model, const Eigen::MatrixXd& values, const std::string& prefix)
{
    const int d = model.dim;
    std::string out = "step,handle," + prefix + "x," + prefix + "y," + prefix + "z\n";
    for (Eigen::Index t = 0; t < values.cols(); ++t)
        for (int h = 0; h < model.n_handles; ++h) {
            out += std::to_string(t) + ',' + handle_name(model, h);
            for (int k = 0; k < 3; ++k) {
                out += ',';
                common::append_double(out, k < d ? values(h * d + k, t) : 0.0);
            }
            out += '\n';
        }
    return out;
}

std::string jacobian_csv(const sim::Model& model, const sim::StateSelection& sel, const Eigen::MatrixXd& jacobian)
{
    const int d = model.dim, na = model.n_p(), ns = sel.size(model);
    std::vector<std::string> components;
    for (int h = 0; h < model.n_handles; ++h)
        for (int k = 0; k < d; ++k) components.push_back("p:" + handle_name(model, h) + ":" + kAxes[k]);
    for (const char* q : {"x", "v"})
        for (int i : sel.nodes)
            for (int k = 0; k < d; ++k) components.push_back(std::string(q) + ":" + model.nodes[std::size_t(i)].name + ":" + kAxes[k]);

    std::string out = "step,component";
    for (Eigen::Index c = 0; c < jacobian.cols(); ++c) {
        const int t = int(c / na), h = int(c % na) / d, k = int(c % na) % d;
        out += ',' + std::to_string(t) + ':' + handle_name(model, h) + ':' + kAxes[k];
    }
    out += '\n';
    for (Eigen::Index r = 0; r < jacobian.rows(); ++r) {
        out += std::to_string(r / ns) + ',' + components[std::size_t(r % ns)];
        for (Eigen::Index c = 0; c < jacobian.cols(); ++c) {
            out += ',';
            common::append_double(out, jacobian(r, c));
        }
        out += '\n';
    }
    return out;
}

} // namespace podsim::pods
