// numpy conversions of the Python module (see arrays.hpp).
#include "python/src/arrays.hpp"

#include "common/input_error.hpp"
#include "common/text_io.hpp"
#include "pods/task/task.hpp"

#include <cmath>
#include <cstdint>

namespace podsim::python {

namespace {

std::string number(double v)
{
    std::string s;
    common::append_double(s, v);
    return s;
}

// "(a, b)" of the row at `row` (length d)
std::string point(const double* row, int d)
{
    std::string s = "(";
    for (int k = 0; k < d; ++k) s += (k ? ", " : "") + number(row[k]);
    return s + ")";
}

} // namespace

Array shaped_array(const py::handle& obj, const std::string& name, const std::vector<py::ssize_t>& shape,
                   const std::string& hint)
{
    Array a = to_array(obj, name);
    bool ok = a.ndim() == py::ssize_t(shape.size());
    for (std::size_t k = 0; ok && k < shape.size(); ++k) ok = a.shape(py::ssize_t(k)) == shape[k];
    if (!ok) {
        std::string want = "(";
        for (std::size_t k = 0; k < shape.size(); ++k) want += (k ? ", " : "") + std::to_string(shape[k]);
        throw common::InputError(name + ": got shape " + shape_string(a) + ", must be " + want + (shape.size() == 1 ? ",)" : ")") +
                                 (hint.empty() ? "" : " (" + hint + ")"));
    }
    require_finite(a, name);
    return a;
}

std::string shape_string(const py::array& a)
{
    std::string s = "(";
    for (py::ssize_t k = 0; k < a.ndim(); ++k) s += (k ? ", " : "") + std::to_string(a.shape(k));
    return s + (a.ndim() == 1 ? ",)" : ")");
}

Array to_array(const py::handle& obj, const std::string& name)
{
    if (obj.is_none()) throw common::InputError(name + ": got None, must be an array of numbers");
    Array a = Array::ensure(obj);
    if (!a) {
        PyErr_Clear();
        throw common::InputError(name + ": got " + std::string(py::str(py::type::handle_of(obj).attr("__name__"))) +
                                 ", must be an array of numbers");
    }
    return a;
}

void require_finite(const Array& a, const std::string& name)
{
    const double* p = a.data();
    for (py::ssize_t i = 0; i < a.size(); ++i) {
        if (std::isfinite(p[i])) continue;
        std::string index;
        py::ssize_t rest = i;
        for (py::ssize_t k = a.ndim() - 1; k >= 0; --k) {
            index = std::to_string(rest % a.shape(k)) + (index.empty() ? "" : ", " + index);
            rest /= a.shape(k);
        }
        throw common::InputError(name + "[" + index + "] = " + number(p[i]) + ": must be finite");
    }
}

Eigen::MatrixXd actions_from_array(const SceneData& s, const py::handle& actions, int min_steps)
{
    const sim::Model& m = s.model();
    const Array a = to_array(actions, "actions");
    const int max_steps = pods::max_horizon(m);
    if (a.ndim() != 2 || a.shape(1) != m.n_p())
        throw common::InputError("actions: got shape " + shape_string(a) + ", must be (N, " + std::to_string(m.n_p()) +
                                 ") (steps x action_dim)");
    if (a.shape(0) < min_steps || a.shape(0) > max_steps)
        throw common::InputError("actions: got " + std::to_string(a.shape(0)) + " steps, must be in [" + std::to_string(min_steps) +
                                 ", " + std::to_string(max_steps) + "] for this scene");
    require_finite(a, "actions");
    // row t of the C-ordered (N, n_a) array is a_t = column t of the n_a x N column-major matrix
    return Eigen::Map<const Eigen::MatrixXd>(a.data(), m.n_p(), Eigen::Index(a.shape(0)));
}

sim::State initial_from_rows(const SceneData& s, const double* positions, const double* velocities,
                             const std::string& name)
{
    const sim::Model& m = s.model();
    const int d = m.dim;
    sim::State z = sim::nominal_state(m);
    for (int k = 0; k < m.n_nodes(); ++k) {
        const int i = m.file_order[std::size_t(k)];
        const sim::Node& node = m.nodes[std::size_t(i)];
        const double* pos = positions + std::ptrdiff_t(k) * d;
        const double* vel = velocities + std::ptrdiff_t(k) * d;
        const std::string where = "[" + std::to_string(k) + "] (" + sim::role_name(node.role) + " \"" + node.name + "\")";
        auto zero_velocity = [&](const char* why) {
            for (int c = 0; c < d; ++c)
                if (vel[c] != 0)
                    throw common::InputError(name + ".velocities" + where + ": got " + point(vel, d) + ", must be 0 (" + why + ")");
        };
        if (node.role == sim::Role::kFree) {
            for (int c = 0; c < d; ++c) {
                z.x[i * d + c] = pos[c];
                z.v[i * d + c] = vel[c];
            }
        } else if (node.role == sim::Role::kHandle) {
            zero_velocity("handles move with the actions");
            for (int c = 0; c < d; ++c) z.p[(i - m.first_handle()) * d + c] = pos[c];
        } else {
            for (int c = 0; c < d; ++c)
                if (pos[c] != node.position[c])
                    throw common::InputError(name + ".positions" + where + ": got " + point(pos, d) + ", must be the scene's " +
                                             point(node.position.data(), d) + " (fixed nodes do not move)");
            zero_velocity("fixed nodes do not move");
        }
    }
    z.x_prev = z.x;
    z.v_prev = z.v;
    return z;
}

sim::State initial_from_py(const SceneData& s, const py::handle& initial)
{
    const sim::Model& m = s.model();
    if (initial.is_none()) return sim::nominal_state(m);
    if (!py::isinstance<py::dict>(initial))
        throw common::InputError("initial: got " + std::string(py::str(py::type::handle_of(initial).attr("__name__"))) +
                                 ", must be None or a dict with \"positions\" and \"velocities\" (as sample_initial returns)");
    const py::dict dict = py::reinterpret_borrow<py::dict>(initial);
    for (const auto& item : dict) {
        const std::string key = py::str(item.first);
        if (key != "positions" && key != "velocities")
            throw common::InputError("initial: unknown key \"" + key + "\", must be \"positions\" and \"velocities\"");
    }
    for (const char* key : {"positions", "velocities"})
        if (!dict.contains(key)) throw common::InputError(std::string("initial: missing key \"") + key + "\"");
    const std::vector<py::ssize_t> shape{m.n_nodes(), m.dim};
    const char* hint = "nodes x dim, in scene-file order";
    const Array pos = shaped_array(dict["positions"], "initial.positions", shape, hint);
    const Array vel = shaped_array(dict["velocities"], "initial.velocities", shape, hint);
    return initial_from_rows(s, pos.data(), vel.data(), "initial");
}

py::dict initial_to_py(const SceneData& s, const sim::State& z)
{
    const sim::Model& m = s.model();
    Array pos({py::ssize_t(m.n_nodes()), py::ssize_t(m.dim)}), vel({py::ssize_t(m.n_nodes()), py::ssize_t(m.dim)});
    write_nodes(s, z, nullptr, pos.mutable_data(), vel.mutable_data());
    py::dict out;
    out["positions"] = pos;
    out["velocities"] = vel;
    return out;
}

void write_nodes(const SceneData& s, const sim::State& z, const double* previous_action, double* positions,
                 double* velocities)
{
    const sim::Model& m = s.model();
    const int d = m.dim;
    for (int k = 0; k < m.n_nodes(); ++k) {
        const int i = m.file_order[std::size_t(k)];
        const sim::Node& node = m.nodes[std::size_t(i)];
        double* pos = positions + std::ptrdiff_t(k) * d;
        double* vel = velocities + std::ptrdiff_t(k) * d;
        for (int c = 0; c < d; ++c) {
            if (node.role == sim::Role::kFree) {
                pos[c] = z.x[i * d + c];
                vel[c] = z.v[i * d + c];
            } else if (node.role == sim::Role::kHandle) {
                const int j = (i - m.first_handle()) * d + c;
                pos[c] = z.p[j];
                vel[c] = previous_action ? previous_action[j] : 0.0;
            } else {
                pos[c] = node.position[c];
                vel[c] = 0;
            }
        }
    }
}

std::uint64_t seed_from_py(const py::handle& seed, const std::string& name)
{
    constexpr std::int64_t kMax = std::int64_t(1) << 53;
    const std::string rule = "must be an integer in [0, " + std::to_string(kMax) + "]";
    // any integer type (Python int, numpy integers) through __index__; bools and floats are refused
    py::object v;
    if (!py::isinstance<py::bool_>(seed)) v = py::reinterpret_steal<py::object>(PyNumber_Index(seed.ptr()));
    if (!v) {
        PyErr_Clear();
        throw common::InputError(name + ": got " + std::string(py::str(py::repr(seed))) + ", " + rule);
    }
    if (v < py::int_(0) || v > py::int_(kMax)) throw common::InputError(name + ": got " + std::string(py::str(v)) + ", " + rule);
    return v.cast<std::uint64_t>();
}

} // namespace podsim::python
