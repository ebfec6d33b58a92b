// podsim._core: the pybind11 extension behind the Python package podsim (docs/python.md). Bad
// input raises ValueError and numerical failures RuntimeError, with the command line's one-line
// messages.
#include "python/src/bindings.hpp"

#include "common/input_error.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_core, m)
{
    m.doc() = "podsim's C++ core: scenes, rollouts, adjoint gradients, Jacobians, Gauss-Newton steps, training";

    // registered translators are tried newest first: InputError (a std::runtime_error) must
    // become ValueError before the default runtime_error -> RuntimeError applies
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const podsim::common::InputError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const podsim::common::RuntimeFailure& e) {
            PyErr_SetString(PyExc_RuntimeError, e.what());
        }
    });

    podsim::python::bind_scene(m);
    podsim::python::bind_batch(m);
    podsim::python::bind_train(m);
}
