// podsim.Scene: a loaded scene file with open-loop simulation, the value gradient (adjoint), the
// trajectory Jacobian and the Gauss-Newton step, numpy in and out (docs/python.md).
#include "python/src/arrays.hpp"
#include "python/src/bindings.hpp"

#include "common/input_error.hpp"
#include "common/text_io.hpp"
#include "pods/improve/improvement.hpp"
#include "pods/task/episode.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/train/evaluation.hpp"
#include "sim/sensitivity.hpp"

#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

namespace podsim::python {

namespace {

const char* const kAxes[3] = {"x", "y", "z"};

std::string fspath(const py::object& path)
{
    const py::object s = py::module_::import("os").attr("fspath")(path);
    if (!py::isinstance<py::str>(s)) throw common::InputError("path: must be a str or os.PathLike of str");
    return s.cast<std::string>();
}

// an (rows, cols) float64 array owned by Python, filled from a column-major matrix
Array matrix_to_array(const Eigen::MatrixXd& a_t)
{
    // the matrix is n_a x N (column t = a_t): as C-ordered (N, n_a) the memory is the same
    Array out({py::ssize_t(a_t.cols()), py::ssize_t(a_t.rows())});
    Eigen::Map<Eigen::MatrixXd>(out.mutable_data(), a_t.rows(), a_t.cols()) = a_t;
    return out;
}

// the episode of `actions` from `initial`, simulated with the GIL released
pods::Episode episode(const SceneData& s, const Eigen::MatrixXd& actions, const sim::State& z0, int* clamped)
{
    py::gil_scoped_release release;
    SimulatorPool::Lease sim = s.rollouts.acquire();
    return pods::run_episode(*sim, s.task(), z0, actions, clamped);
}

py::dict simulate(const SceneData& s, const py::object& actions_in, const py::object& initial)
{
    const sim::Model& m = s.model();
    const Eigen::MatrixXd actions = actions_from_array(s, actions_in, 0);
    const sim::State z0 = initial_from_py(s, initial);
    int clamped = 0;
    const pods::Episode e = episode(s, actions, z0, &clamped);

    const int n = int(actions.cols()), nodes = m.n_nodes(), d = m.dim;
    Array positions({py::ssize_t(n + 1), py::ssize_t(nodes), py::ssize_t(d)});
    Array velocities({py::ssize_t(n + 1), py::ssize_t(nodes), py::ssize_t(d)});
    Array rewards({py::ssize_t(n + 1)});
    Array costs({py::ssize_t(n + 1), py::ssize_t(4)});
    const std::ptrdiff_t block = std::ptrdiff_t(nodes) * d;
    for (int t = 0; t <= n; ++t) {
        write_nodes(s, e.states[std::size_t(t)], t > 0 ? e.actions.col(t - 1).data() : nullptr,
                    positions.mutable_data() + t * block, velocities.mutable_data() + t * block);
        const pods::CostTerms& c = e.costs[std::size_t(t)];
        rewards.mutable_data()[t] = 0.0 - c.total(); // as rewards.csv: no "-0"
        double* row = costs.mutable_data() + 4 * t;
        row[0] = c.p, row[1] = c.x, row[2] = c.v, row[3] = c.a;
    }
    py::dict out;
    out["positions"] = positions;
    out["velocities"] = velocities;
    out["rewards"] = rewards;
    out["costs"] = costs;
    out["actions"] = matrix_to_array(e.actions);
    out["clamped_actions"] = clamped;
    out["newton_iterations_per_step"] = e.stats.mean_iterations();
    return out;
}

py::tuple value_and_gradient(const SceneData& s, const py::object& actions_in, const py::object& initial)
{
    const Eigen::MatrixXd actions = actions_from_array(s, actions_in, 1);
    const sim::State z0 = initial_from_py(s, initial);
    double value = 0;
    Eigen::MatrixXd gradient;
    {
        // derivatives at the applied (clamped) actions, as `podsim sensitivity`
        py::gil_scoped_release release;
        SimulatorPool::Lease sim = s.rollouts.acquire();
        const pods::Episode e = pods::run_episode(*sim, s.task(), z0, actions);
        value = 0.0 - s.cost.total(s.model(), e.states, e.actions);
        gradient = -pods::cost_gradient_adjoint(*sim, s.cost, e.states, e.actions);
    }
    return py::make_tuple(value, matrix_to_array(gradient));
}

// the Jacobian (and the rollout it was taken along) of `actions` from `initial`
struct JacobianResult {
    pods::Episode episode;
    Eigen::MatrixXd jacobian;
};

JacobianResult jacobian_of(const SceneData& s, const Eigen::MatrixXd& actions, const sim::State& z0, const char* what)
{
    const std::string problem = pods::dense_size_problem(s.model(), s.cost, int(actions.cols()));
    if (!problem.empty()) throw common::InputError(std::string(what) + ": " + problem);
    py::gil_scoped_release release;
    SimulatorPool::Lease sim = s.rollouts.acquire();
    JacobianResult r{pods::run_episode(*sim, s.task(), z0, actions), {}};
    r.jacobian = sim::trajectory_jacobian(*sim, r.episode.states, s.cost.selection);
    return r;
}

Array jacobian(const SceneData& s, const py::object& actions_in, const py::object& initial)
{
    const sim::Model& m = s.model();
    const Eigen::MatrixXd actions = actions_from_array(s, actions_in, 1);
    const sim::State z0 = initial_from_py(s, initial);
    const Eigen::MatrixXd j = jacobian_of(s, actions, z0, "jacobian").jacobian;
    // J[t, i, k, a] = ds_t[i] / da_k[a]: the C-ordered 4-D array is the row-major matrix
    const int n = int(actions.cols()), ns = s.cost.selection.size(m), na = m.n_p();
    Array out({py::ssize_t(n + 1), py::ssize_t(ns), py::ssize_t(n), py::ssize_t(na)});
    Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(out.mutable_data(), j.rows(), j.cols()) = j;
    return out;
}

Array gauss_newton_step(const SceneData& s, const py::object& actions_in, double mu, const py::object& initial)
{
    if (!(std::isfinite(mu) && mu >= 0)) {
        std::string v;
        common::append_double(v, mu);
        throw common::InputError("mu: got " + v + ", must be finite and >= 0");
    }
    const Eigen::MatrixXd actions = actions_from_array(s, actions_in, 1);
    const sim::State z0 = initial_from_py(s, initial);
    JacobianResult r = jacobian_of(s, actions, z0, "gauss_newton_step");
    Eigen::MatrixXd step;
    {
        // the dense reference, as `podsim sensitivity --jacobian` writes gn_step.csv
        py::gil_scoped_release release;
        const Eigen::MatrixXd grad =
            pods::cost_gradient_jacobian(s.model(), s.cost, r.episode.states, r.episode.actions, r.jacobian);
        step = pods::gauss_newton_step_dense(s.cost, r.jacobian, grad, mu);
    }
    return matrix_to_array(step);
}

Array observe(const SceneData& s, const py::object& positions, const py::object& velocities)
{
    const sim::Model& m = s.model();
    const std::vector<py::ssize_t> shape{m.n_nodes(), m.dim};
    const char* hint = "nodes x dim, in scene-file order";
    const Array pos = shaped_array(positions, "positions", shape, hint), vel = shaped_array(velocities, "velocities", shape, hint);
    // free nodes and handle positions make the state; velocities of handles do not enter
    sim::State z = sim::nominal_state(m);
    for (int k = 0; k < m.n_nodes(); ++k) {
        const int i = m.file_order[std::size_t(k)];
        const sim::Role role = m.nodes[std::size_t(i)].role;
        for (int c = 0; c < m.dim; ++c) {
            if (role == sim::Role::kFree) {
                z.x[i * m.dim + c] = pos.at(k, c);
                z.v[i * m.dim + c] = vel.at(k, c);
            } else if (role == sim::Role::kHandle) {
                z.p[(i - m.first_handle()) * m.dim + c] = pos.at(k, c);
            }
        }
    }
    Array out({py::ssize_t(s.observation.size(m))});
    s.observation.observe(m, z, Eigen::Map<Eigen::VectorXd>(out.mutable_data(), out.size()));
    return out;
}

Array vector_to_array(const Eigen::VectorXd& v)
{
    Array out({py::ssize_t(v.size())});
    Eigen::Map<Eigen::VectorXd>(out.mutable_data(), v.size()) = v;
    return out;
}

std::vector<std::string> state_labels(const SceneData& s, const sim::StateSelection& sel)
{
    const sim::Model& m = s.model();
    std::vector<std::string> out;
    for (int h = 0; h < m.n_handles; ++h)
        for (int k = 0; k < m.dim; ++k) out.push_back("p:" + m.nodes[std::size_t(m.first_handle() + h)].name + ":" + kAxes[k]);
    for (const char* q : {"x", "v"})
        for (int i : sel.nodes)
            for (int k = 0; k < m.dim; ++k) out.push_back(std::string(q) + ":" + m.nodes[std::size_t(i)].name + ":" + kAxes[k]);
    return out;
}

// seconds of each of `repeats` C++ calls of the simulation behind simulate (run_episode with a
// pooled simulator), for the overhead measurement of python/bench/bench_python.py
std::vector<double> time_simulate(const SceneData& s, const py::object& actions_in, int repeats)
{
    const Eigen::MatrixXd actions = actions_from_array(s, actions_in, 0);
    const sim::State z0 = sim::nominal_state(s.model());
    std::vector<double> seconds;
    py::gil_scoped_release release;
    for (int r = 0; r < repeats; ++r) {
        const auto start = std::chrono::steady_clock::now();
        SimulatorPool::Lease sim = s.rollouts.acquire();
        const pods::Episode e = pods::run_episode(*sim, s.task(), z0, actions);
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return seconds;
}

} // namespace

void bind_scene(py::module_& m)
{
    using Handle = std::shared_ptr<SceneData>;
    py::class_<SceneData, Handle>(m, "Scene", py::dynamic_attr(), R"(A scene file (scenes/*.json), loaded and validated.

The Scene owns everything it uses: it keeps working after its file is deleted. Nodes are in
scene-file order everywhere (node_names); actions are (N, action_dim) arrays, row t = a_t, the
handle velocities of step t (handles in file order, dim components each).)")
        .def(py::init([](const py::object& path) { return std::make_shared<SceneData>(fspath(path)); }), py::arg("path"),
             "Reads and validates a scene file; ValueError with the command line's message on any problem.")
        .def_property_readonly("path", [](const SceneData& s) { return s.scene.file; })
        .def_property_readonly("name", [](const SceneData& s) { return s.scene.name; })
        .def_property_readonly("description", [](const SceneData& s) { return s.scene.description; })
        .def_property_readonly("dim", [](const SceneData& s) { return s.model().dim; })
        .def_property_readonly("dt", [](const SceneData& s) { return s.model().dt; })
        .def_property_readonly("horizon", [](const SceneData& s) { return s.task().horizon; })
        .def_property_readonly("max_steps", [](const SceneData& s) { return pods::max_horizon(s.model()); },
                               "The longest action sequence this scene accepts (stored-states limit).")
        .def_property_readonly("action_dim", [](const SceneData& s) { return s.model().n_p(); })
        .def_property_readonly("action_limit", [](const SceneData& s) { return s.task().action_limit; })
        .def_property_readonly("node_names", [](const SceneData& s) {
            std::vector<std::string> names;
            for (int i : s.model().file_order) names.push_back(s.model().nodes[std::size_t(i)].name);
            return names;
        })
        .def_property_readonly("node_roles", [](const SceneData& s) {
            std::vector<std::string> roles;
            for (int i : s.model().file_order) roles.push_back(sim::role_name(s.model().nodes[std::size_t(i)].role));
            return roles;
        })
        .def_property_readonly("handle_names", [](const SceneData& s) {
            std::vector<std::string> names;
            for (int h = 0; h < s.model().n_handles; ++h) names.push_back(s.model().nodes[std::size_t(s.model().first_handle() + h)].name);
            return names;
        })
        .def_property_readonly("state_labels", [](const SceneData& s) { return state_labels(s, s.cost.selection); },
                               "Names of the entries of the reduced state s_t (the Jacobian's rows), as jacobian.csv writes them.")
        .def_property_readonly("observation_dim", [](const SceneData& s) { return s.observation.size(s.model()); })
        .def_property_readonly("observation_labels", [](const SceneData& s) { return state_labels(s, s.observation.selection); },
                               "Names of the observation's entries (before the policy's input scaling).")
        .def_property_readonly("observation_scale", [](const SceneData& s) { return vector_to_array(s.observation_scale); },
                               "The fixed factors a policy network multiplies the observation by.")
        .def("nominal_initial", [](const SceneData& s) { return initial_to_py(s, sim::nominal_state(s.model())); },
             "The scene file's initial state: {'positions', 'velocities'}, (n_nodes, dim) each.")
        .def(
            "sample_initial",
            [](const SceneData& s, const py::object& seed) {
                return initial_to_py(s, pods::sample_initial_state(s.model(), s.task(), seed_from_py(seed, "seed")));
            },
            py::arg("seed"), "z_0 from the task's sampler, as `podsim simulate --sample-initial SEED`.")
        .def(
            "test_bed",
            [](const SceneData& s, const py::object& seed, int episodes) {
                if (episodes < 1 || episodes > 100000) throw common::InputError("episodes: got " + std::to_string(episodes) + ", must be in [1, 100000]");
                py::list out;
                for (const sim::State& z : pods::test_bed(s.model(), s.task(), seed_from_py(seed, "seed"), episodes))
                    out.append(initial_to_py(s, z));
                return out;
            },
            py::arg("seed") = 12345, py::arg("episodes") = 64,
            "The initial states that `podsim train` and `podsim evaluate` test on (same seed, same states).")
        .def("observe", &observe, py::arg("positions"), py::arg("velocities"),
             "The policy observation [p - handle_target, x - target, v] of one state given as (n_nodes, dim) arrays.")
        .def("simulate", &simulate, py::arg("actions"), py::arg("initial") = py::none(),
             R"(One open-loop episode, as `podsim simulate`. Actions (N, action_dim) are clamped to the limit.

Returns a dict: positions, velocities (N+1, n_nodes, dim), rewards (N+1,) (the terminal term last,
so the return is rewards.sum()), costs (N+1, 4) (cost_p, cost_x, cost_v, cost_a), actions (N,
action_dim) as applied, clamped_actions, newton_iterations_per_step. RuntimeError when Newton
does not converge.)")
        .def("value_and_gradient", &value_and_gradient, py::arg("actions"), py::arg("initial") = py::none(),
             "(V, dV/da) with V = -C the return and dV/da (N, action_dim) by the adjoint, at the applied (clamped) actions.")
        .def("jacobian", &jacobian, py::arg("actions"), py::arg("initial") = py::none(),
             "The trajectory Jacobian ds/da as (N+1, n_s, N, action_dim): J[t, i, k, j] = d s_t[i] / d a_k[j] (state_labels names i).")
        .def("gauss_newton_step", &gauss_newton_step, py::arg("actions"), py::arg("mu") = 0.0, py::arg("initial") = py::none(),
             "delta = -(J^T Q J + R + mu I)^-1 dC/da (N, action_dim), the dense Gauss-Newton step of `podsim sensitivity --jacobian`.")
        .def("_time_simulate", &time_simulate, py::arg("actions"), py::arg("repeats"))
        .def("__repr__", [](const SceneData& s) {
            return "podsim.Scene('" + s.scene.file + "', horizon=" + std::to_string(s.task().horizon) +
                   ", action_dim=" + std::to_string(s.model().n_p()) + ")";
        });
}

} // namespace podsim::python
