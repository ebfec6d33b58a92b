// podsim.Policy (a saved MLP or NDP head: act, parameters) and podsim._train, the training run
// of `podsim train` with its files, options checked as the command line checks them.
#include "python/src/arrays.hpp"
#include "python/src/bindings.hpp"

#include "common/input_error.hpp"
#include "pods/train/learner_registry.hpp"
#include "pods/train/train_settings.hpp"
#include "pods/train/training_run.hpp"
#include "policy/policy_io.hpp"

#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <set>

namespace podsim::python {

namespace {

/// A policy owned by Python.
struct PyPolicy {
    std::shared_ptr<policy::Policy> policy;
};

std::string repr_of(const py::handle& v) { return py::str(py::repr(v)); }

// (B, n_obs) or (n_obs,) -> (B, horizon, n_act) or (B, n_act) (horizon 1), or without the B
Array act(const PyPolicy& self, const py::object& obs_in, const py::object& handle_velocity_in)
{
    const policy::Policy& p = *self.policy;
    const Array obs = to_array(obs_in, "obs");
    const bool single = obs.ndim() == 1;
    if ((obs.ndim() != 1 && obs.ndim() != 2) || obs.shape(obs.ndim() - 1) != p.n_obs())
        throw common::InputError("obs: got shape " + shape_string(obs) + ", must be (" + std::to_string(p.n_obs()) + ",) or (B, " +
                                 std::to_string(p.n_obs()) + ")");
    require_finite(obs, "obs");
    const py::ssize_t batch = single ? 1 : obs.shape(0);
    Eigen::MatrixXd hv;
    if (!handle_velocity_in.is_none()) {
        const Array v = to_array(handle_velocity_in, "handle_velocity");
        const bool ok = single ? (v.ndim() == 1 && v.shape(0) == p.n_act())
                               : (v.ndim() == 2 && v.shape(0) == batch && v.shape(1) == p.n_act());
        if (!ok)
            throw common::InputError("handle_velocity: got shape " + shape_string(v) + ", must be " +
                                     (single ? "(" + std::to_string(p.n_act()) + ",)"
                                             : "(" + std::to_string(batch) + ", " + std::to_string(p.n_act()) + ")"));
        require_finite(v, "handle_velocity");
        hv = Eigen::Map<const Eigen::MatrixXd>(v.data(), p.n_act(), Eigen::Index(batch));
    }
    const Eigen::MatrixXd o = Eigen::Map<const Eigen::MatrixXd>(obs.data(), p.n_obs(), Eigen::Index(batch));
    Eigen::MatrixXd actions;
    {
        py::gil_scoped_release release;
        const std::unique_ptr<policy::PolicyWorkspace> ws = p.make_workspace();
        p.act(o, hv, actions, *ws);
    }
    // column b = [a_0, ..., a_{k-1}] of sample b, the memory of a C-ordered (B, k, n_act) array
    std::vector<py::ssize_t> shape;
    if (!single) shape.push_back(batch);
    if (p.horizon() > 1) shape.push_back(p.horizon());
    shape.push_back(p.n_act());
    Array out(shape);
    std::copy(actions.data(), actions.data() + actions.size(), out.mutable_data());
    return out;
}

// the settings of podsim.train(**options), checked like `podsim train`'s options
struct TrainRequest {
    std::string method = "pods2", head; // head "": mlp, ndp for hndp
    pods::TrainConfig config;
    pods::RunOptions run;
};

long long integer(const py::handle& v, const std::string& name)
{
    py::object i;
    if (!py::isinstance<py::bool_>(v)) i = py::reinterpret_steal<py::object>(PyNumber_Index(v.ptr()));
    if (!i) {
        PyErr_Clear();
        throw common::InputError(name + ": got " + repr_of(v) + ", must be an integer");
    }
    if (i < py::int_(-(1LL << 62)) || i > py::int_(1LL << 62)) throw common::InputError(name + ": got " + repr_of(v) + ", out of range");
    return i.cast<long long>();
}

double real(const py::handle& v, const std::string& name)
{
    if (py::isinstance<py::bool_>(v) || !(py::isinstance<py::float_>(v) || py::isinstance<py::int_>(v) ||
                                          py::hasattr(v, "__float__")))
        throw common::InputError(name + ": got " + repr_of(v) + ", must be a number");
    return py::float_(py::reinterpret_borrow<py::object>(v)).cast<double>();
}

std::string text(const py::handle& v, const std::string& name)
{
    if (!py::isinstance<py::str>(v)) throw common::InputError(name + ": got " + repr_of(v) + ", must be a str");
    return v.cast<std::string>();
}

int int_in(const py::handle& v, const std::string& name, long long lo, long long hi)
{
    const long long i = integer(v, name);
    if (i < lo || i > hi)
        throw common::InputError(name + ": got " + std::to_string(i) + ", must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return int(i);
}

// sets the value of one setting of the table, checked as its command-line option is
void set_setting(const pods::TrainSetting& s, pods::TrainConfig& c, const py::handle& v, const std::string& n)
{
    switch (s.kind) {
    case pods::SettingKind::kInt: c.*s.int_member = int_in(v, n, static_cast<long long>(s.lo), static_cast<long long>(s.hi)); break;
    case pods::SettingKind::kSeed: c.*s.seed_member = seed_from_py(v, n); break;
    case pods::SettingKind::kReal: c.*s.real_member = real(v, n); break; // the range: validate_train_config
    case pods::SettingKind::kBool:
        if (!py::isinstance<py::bool_>(v)) throw common::InputError(n + ": got " + repr_of(v) + ", must be True or False");
        c.*s.bool_member = v.cast<bool>();
        break;
    case pods::SettingKind::kChoice: {
        const std::string t = text(v, n);
        try {
            s.set_text(c, t);
        } catch (const std::invalid_argument& e) {
            throw common::InputError(n + ": " + e.what());
        }
        if (std::find(s.choices.begin(), s.choices.end(), t) == s.choices.end())
            throw common::InputError(n + ": got \"" + t + "\", must be one of " + pods::choices_text(s));
        break;
    }
    case pods::SettingKind::kIntList: {
        if (py::isinstance<py::str>(v) || !py::isinstance<py::sequence>(v))
            throw common::InputError(n + ": got " + repr_of(v) + ", must be a list of layer widths");
        std::vector<int>& list = c.*s.list_member;
        list.clear();
        for (const py::handle w : py::reinterpret_borrow<py::sequence>(v)) list.push_back(int_in(w, n, static_cast<long long>(s.lo), static_cast<long long>(s.hi)));
        break;
    }
    }
}

TrainRequest train_request(const py::dict& options)
{
    TrainRequest r;
    pods::TrainConfig& c = r.config;
    using Setter = std::function<void(const py::handle&, const std::string&)>;
    // the run's options, method and head; then every setting of the table with a command-line flag
    std::map<std::string, Setter> setters{
        {"method", [&](const py::handle& v, const std::string& n) { r.method = text(v, n); }},
        {"head", [&](const py::handle& v, const std::string& n) { r.head = text(v, n); }},
        {"init_policy", [&](const py::handle& v, const std::string& n) { r.run.init_policy = text(v, n); }},
        {"threads", [&](const py::handle& v, const std::string& n) { r.run.threads = int_in(v, n, 1, 1024); }},
        {"time_budget", [&](const py::handle& v, const std::string& n) { r.run.time_budget = real(v, n); }},
        {"resume", [&](const py::handle& v, const std::string& n) {
             if (!py::isinstance<py::bool_>(v)) throw common::InputError(n + ": got " + repr_of(v) + ", must be True or False");
             r.run.resume = v.cast<bool>();
         }},
    };
    // the settings given, by the table's row: the others take the method's default (below)
    std::set<const pods::TrainSetting*> given;
    for (const pods::TrainSetting& s : pods::train_settings())
        if (!s.flag.empty())
            setters.emplace(std::string(s.keyword), [&c, &s, &given](const py::handle& v, const std::string& n) {
                set_setting(s, c, v, n);
                given.insert(&s);
            });
    for (const auto& item : options) {
        const std::string key = py::str(item.first);
        const auto it = setters.find(key);
        if (it == setters.end()) {
            std::string known;
            for (const auto& [name, setter] : setters) known += (known.empty() ? "" : ", ") + name;
            throw common::InputError("unknown option \"" + key + "\", must be one of " + known);
        }
        it->second(item.second, key);
    }
    if (!(std::isfinite(r.run.time_budget) && r.run.time_budget >= 0))
        throw common::InputError("time_budget: got " + repr_of(options["time_budget"]) + ", must be finite and >= 0");
    try {
        c.method = pods::method_from_string(r.method);
    } catch (const std::invalid_argument& e) {
        throw common::InputError(std::string("method: ") + e.what());
    }
    try {
        c.head = r.head.empty() ? pods::learner_entry(c.method).default_head : pods::head_from_string(r.head);
    } catch (const std::invalid_argument& e) {
        throw common::InputError(std::string("head: ") + e.what());
    }
    const pods::TrainConfig defaults = pods::method_defaults(c.method);
    for (const pods::TrainSetting& s : pods::train_settings())
        if (s.key != "method" && s.key != "head" && !given.contains(&s)) pods::copy_setting(s, defaults, c);
    try {
        pods::validate_train_config(c);
    } catch (const std::invalid_argument& e) {
        throw common::InputError(e.what());
    }
    return r;
}

// Ctrl-C during a run (checked after every epoch, whose files are then complete)
struct Interrupted {};

py::dict log_columns(const std::vector<pods::LogRow>& log)
{
    py::dict out;
    for (const pods::LogColumn& c : pods::log_columns()) {
        Array a({py::ssize_t(log.size())});
        for (std::size_t k = 0; k < log.size(); ++k) a.mutable_data()[k] = c.get(log[k]);
        out[py::str(std::string(c.name))] = a;
    }
    return out;
}

py::dict train(const std::string& scene_path, const std::string& out, const py::dict& options)
{
    TrainRequest r = train_request(options);
    r.run.out = out;
    const pods::Scene scene = pods::load_scene(scene_path);
    pods::RunCallbacks callbacks;
    callbacks.on_epoch = [](const pods::LogRow&, int, double) {
        py::gil_scoped_acquire acquire;
        if (PyErr_CheckSignals() != 0) {
            PyErr_Clear();
            throw Interrupted{};
        }
    };
    pods::RunResult result;
    try {
        py::gil_scoped_release release;
        result = pods::run_training(scene, r.config, r.run, callbacks);
    } catch (const Interrupted&) {
        PyErr_SetNone(PyExc_KeyboardInterrupt);
        throw py::error_already_set();
    }
    py::dict d;
    d["policy"] = PyPolicy{std::shared_ptr<policy::Policy>(std::move(result.policy))};
    d["log"] = log_columns(result.log);
    d["stopped"] = result.stopped;
    d["resumed_from"] = result.resumed_from;
    d["delivered_epoch"] = result.delivered_epoch;
    d["config"] = py::module_::import("json").attr("loads")(pods::train_config_to_json(r.config).dump());
    d["out"] = out;
    return d;
}

Array parameters(const PyPolicy& self)
{
    const Eigen::VectorXd& p = self.policy->parameters();
    Array out({py::ssize_t(p.size())});
    Eigen::Map<Eigen::VectorXd>(out.mutable_data(), p.size()) = p;
    return out;
}

} // namespace

void bind_train(py::module_& m)
{
    py::class_<PyPolicy>(m, "Policy", R"(A policy (MLP or NDP head) as `podsim train` saves it in policy.json.

act(obs) takes observations as Scene.observe returns them (physical units; the network applies its
own input scaling), one (n_obs,) or a batch (B, n_obs).)")
        .def_static(
            "load",
            [](const py::object& path) {
                const std::string p = py::str(py::module_::import("os").attr("fspath")(path));
                return PyPolicy{std::shared_ptr<policy::Policy>(policy::read_policy_json(p))};
            },
            py::arg("path"), "Reads policy.json (a training checkpoint or a saved policy); ValueError on any problem.")
        .def_property_readonly("type", [](const PyPolicy& s) { return s.policy->type(); })
        .def_property_readonly("n_obs", [](const PyPolicy& s) { return s.policy->n_obs(); })
        .def_property_readonly("n_act", [](const PyPolicy& s) { return s.policy->n_act(); })
        .def_property_readonly("horizon", [](const PyPolicy& s) { return s.policy->horizon(); },
                               "Actions per decision: 1 for the MLP head, k for the NDP head.")
        .def_property_readonly("n_params", [](const PyPolicy& s) { return s.policy->n_params(); })
        .def("parameters", &parameters, "A copy of the flat parameter vector.")
        .def(
            "set_parameters",
            [](PyPolicy& s, const py::object& v) {
                const Array a = to_array(v, "parameters");
                if (a.ndim() != 1 || a.shape(0) != s.policy->n_params())
                    throw common::InputError("parameters: got shape " + shape_string(a) + ", must be (" +
                                             std::to_string(s.policy->n_params()) + ",)");
                require_finite(a, "parameters");
                // copy on write: other holders of the same policy keep theirs
                s.policy = std::shared_ptr<policy::Policy>(s.policy->clone());
                s.policy->set_parameters(Eigen::Map<const Eigen::VectorXd>(a.data(), a.size()));
            },
            py::arg("parameters"))
        .def("save", [](const PyPolicy& s, const py::object& path) {
            policy::write_policy_json(py::str(py::module_::import("os").attr("fspath")(path)), *s.policy);
        }, py::arg("path"), "Writes the policy as JSON (atomically).")
        .def("act", &act, py::arg("obs"), py::arg("handle_velocity") = py::none(),
             R"(Actions of one observation (n_obs,) or a batch (B, n_obs): shape (..., n_act) for horizon 1,
(..., horizon, n_act) for the NDP head. handle_velocity (..., n_act): the current handle velocity
(the last action), read by the NDP head; default zero.)")
        .def("__repr__", [](const PyPolicy& s) {
            return "podsim.Policy(type='" + s.policy->type() + "', n_obs=" + std::to_string(s.policy->n_obs()) +
                   ", n_act=" + std::to_string(s.policy->n_act()) + ", horizon=" + std::to_string(s.policy->horizon()) +
                   ", n_params=" + std::to_string(s.policy->n_params()) + ")";
        });

    m.def("_train", &train, py::arg("scene_path"), py::arg("out"), py::arg("options"));
}

} // namespace podsim::python
