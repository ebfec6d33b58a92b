// The batched primitives behind podsim.torch (private names, wrapped by python/podsim/torch.py):
// rollouts and single steps with their adjoints, the flat state layout and the index maps of the
// cost and the observation on it.
#include "python/src/arrays.hpp"
#include "python/src/batch.hpp"
#include "python/src/bindings.hpp"

#include "common/input_error.hpp"
#include "pods/task/task.hpp"

#include <memory>

namespace podsim::python {

namespace {

// initial states of a batch: the nominal state for None, else rows of (B, n_nodes, dim) arrays
std::vector<sim::State> initial_states(const SceneData& s, int batch, const py::object& positions, const py::object& velocities)
{
    const sim::Model& m = s.model();
    if (positions.is_none() != velocities.is_none())
        throw common::InputError("initial: give both positions and velocities, or neither");
    if (positions.is_none()) return std::vector<sim::State>(std::size_t(batch), sim::nominal_state(m));
    const std::vector<py::ssize_t> shape{batch, m.n_nodes(), m.dim};
    const Array pos = shaped_array(positions, "initial.positions", shape), vel = shaped_array(velocities, "initial.velocities", shape);
    std::vector<sim::State> z;
    const std::ptrdiff_t block = std::ptrdiff_t(m.n_nodes()) * m.dim;
    for (int b = 0; b < batch; ++b)
        z.push_back(initial_from_rows(s, pos.data() + b * block, vel.data() + b * block, "initial[" + std::to_string(b) + "]"));
    return z;
}

Array flat_index(const SceneData& s, const sim::StateSelection& sel)
{
    const sim::Model& m = s.model();
    const int d = m.dim, nx = m.n_x(), np = m.n_p(), k = int(sel.nodes.size());
    Array idx({py::ssize_t(sel.size(m))});
    double* out = idx.mutable_data();
    for (int j = 0; j < np; ++j) out[j] = 4 * nx + j;
    for (int i = 0; i < k; ++i)
        for (int c = 0; c < d; ++c) {
            out[np + i * d + c] = sel.nodes[std::size_t(i)] * d + c;
            out[np + (k + i) * d + c] = nx + sel.nodes[std::size_t(i)] * d + c;
        }
    return idx;
}

Array vector_array(const Eigen::VectorXd& v)
{
    Array out({py::ssize_t(v.size())});
    Eigen::Map<Eigen::VectorXd>(out.mutable_data(), v.size()) = v;
    return out;
}

int batch_of(const Array& a, const std::string& name)
{
    if (a.ndim() < 1 || a.shape(0) < 1 || a.shape(0) > 1000000)
        throw common::InputError(name + ": got shape " + shape_string(a) + ", the batch (first) dimension must be in [1, 1000000]");
    return int(a.shape(0));
}

void check_step_index(int t)
{
    if (t < 0) throw common::InputError("t: got " + std::to_string(t) + ", must be >= 0 (steps taken)");
}

} // namespace

void bind_batch(py::module_& m)
{
    using Handle = std::shared_ptr<SceneData>;
    py::class_<RolloutTape, std::shared_ptr<RolloutTape>>(m, "_RolloutTape",
                                                          "The states of a batched rollout, kept for its adjoint.");

    m.def(
        "_rollout",
        [](const Handle& scene, const py::object& actions_in, const py::object& positions, const py::object& velocities,
           int threads) {
            const sim::Model& mo = scene->model();
            const Array actions = to_array(actions_in, "actions");
            if (actions.ndim() != 3 || actions.shape(2) != mo.n_p())
                throw common::InputError("actions: got shape " + shape_string(actions) + ", must be (B, N, " +
                                         std::to_string(mo.n_p()) + ") (batch x steps x action_dim)");
            const int batch = batch_of(actions, "actions"), steps = int(actions.shape(1));
            if (steps < 1 || steps > pods::max_horizon(mo))
                throw common::InputError("actions: got " + std::to_string(steps) + " steps, must be in [1, " +
                                         std::to_string(pods::max_horizon(mo)) + "] for this scene");
            require_finite(actions, "actions");
            const std::vector<sim::State> z0 = initial_states(*scene, batch, positions, velocities);
            const py::ssize_t nodes = mo.n_nodes(), d = mo.dim;
            Array pos({py::ssize_t(batch), py::ssize_t(steps + 1), nodes, d}), vel({py::ssize_t(batch), py::ssize_t(steps + 1), nodes, d});
            Array rew({py::ssize_t(batch), py::ssize_t(steps + 1)});
            auto tape = std::make_shared<RolloutTape>();
            {
                py::gil_scoped_release release;
                *tape = rollout_batch(scene, actions.data(), batch, steps, z0, threads, pos.mutable_data(), vel.mutable_data(),
                                      rew.mutable_data());
            }
            return py::make_tuple(pos, vel, rew, tape);
        },
        py::arg("scene"), py::arg("actions"), py::arg("positions"), py::arg("velocities"), py::arg("threads"));

    m.def(
        "_rollout_backward",
        [](const RolloutTape& tape, const py::object& bar_positions, const py::object& bar_velocities,
           const py::object& bar_rewards, int threads) {
            const sim::Model& mo = tape.scene->model();
            const py::ssize_t batch = py::ssize_t(tape.states.size()), n = tape.steps;
            const Array bp = shaped_array(bar_positions, "grad positions", {batch, n + 1, mo.n_nodes(), mo.dim});
            const Array bv = shaped_array(bar_velocities, "grad velocities", {batch, n + 1, mo.n_nodes(), mo.dim});
            const Array br = shaped_array(bar_rewards, "grad rewards", {batch, n + 1});
            Array bar_a({batch, n, py::ssize_t(mo.n_p())});
            {
                py::gil_scoped_release release;
                rollout_batch_adjoint(tape, bp.data(), bv.data(), br.data(), threads, bar_a.mutable_data());
            }
            return bar_a;
        },
        py::arg("tape"), py::arg("bar_positions"), py::arg("bar_velocities"), py::arg("bar_rewards"), py::arg("threads"));

    m.def(
        "_initial_flat",
        [](const Handle& scene, int batch, const py::object& positions, const py::object& velocities) {
            if (batch < 1 || batch > 1000000) throw common::InputError("batch: got " + std::to_string(batch) + ", must be in [1, 1000000]");
            const std::vector<sim::State> z0 = initial_states(*scene, batch, positions, velocities);
            Array flat({py::ssize_t(batch), py::ssize_t(flat_state_size(scene->model()))});
            write_flat_states(scene->model(), z0, flat.mutable_data());
            return flat;
        },
        py::arg("scene"), py::arg("batch"), py::arg("positions"), py::arg("velocities"));

    m.def(
        "_step",
        [](const Handle& scene, const py::object& z_in, const py::object& a_in, int t, int threads) {
            check_step_index(t);
            const sim::Model& mo = scene->model();
            const Array z0 = to_array(z_in, "state");
            const int batch = batch_of(z0, "state");
            const Array z = shaped_array(z_in, "state", {batch, flat_state_size(mo)});
            const Array a = shaped_array(a_in, "actions", {batch, mo.n_p()});
            Array next({py::ssize_t(batch), py::ssize_t(flat_state_size(mo))});
            {
                py::gil_scoped_release release;
                step_batch(*scene, z.data(), a.data(), batch, t, threads, next.mutable_data());
            }
            return next;
        },
        py::arg("scene"), py::arg("state"), py::arg("actions"), py::arg("t"), py::arg("threads"));

    m.def(
        "_step_backward",
        [](const Handle& scene, const py::object& z_in, const py::object& a_in, const py::object& next_in,
           const py::object& bar_in, int t, int threads) {
            check_step_index(t);
            const sim::Model& mo = scene->model();
            const Array z0 = to_array(z_in, "state");
            const int batch = batch_of(z0, "state"), nz = flat_state_size(mo);
            const Array z = shaped_array(z_in, "state", {batch, nz});
            const Array a = shaped_array(a_in, "actions", {batch, mo.n_p()});
            const Array next = shaped_array(next_in, "next state", {batch, nz});
            const Array bar = shaped_array(bar_in, "grad next state", {batch, nz});
            Array bar_z({py::ssize_t(batch), py::ssize_t(nz)}), bar_a({py::ssize_t(batch), py::ssize_t(mo.n_p())});
            {
                py::gil_scoped_release release;
                step_batch_adjoint(*scene, z.data(), a.data(), next.data(), bar.data(), batch, t, threads, bar_z.mutable_data(),
                                   bar_a.mutable_data());
            }
            return py::make_tuple(bar_z, bar_a);
        },
        py::arg("scene"), py::arg("state"), py::arg("actions"), py::arg("next_state"), py::arg("grad_next_state"), py::arg("t"),
        py::arg("threads"));

    m.def(
        "_layout",
        [](const Handle& scene) {
            const SceneData& s = *scene;
            const sim::Model& mo = s.model();
            py::dict out;
            out["n_x"] = mo.n_x();
            out["n_p"] = mo.n_p();
            out["n_z"] = flat_state_size(mo);
            out["cost_index"] = flat_index(s, s.cost.selection);
            out["cost_target"] = vector_array(s.cost.target);
            out["cost_weights"] = vector_array(s.cost.weights);
            out["cost_terminal_weights"] = vector_array(s.cost.terminal_weights);
            out["action_weight"] = s.cost.action_weight;
            out["action_limit"] = s.task().action_limit;
            out["observation_index"] = flat_index(s, s.observation.selection);
            out["observation_offset"] = vector_array(s.observation.offset);
            out["observation_scale"] = vector_array(s.observation_scale);
            return out;
        },
        py::arg("scene"));
}

} // namespace podsim::python
