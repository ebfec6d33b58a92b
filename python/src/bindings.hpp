#pragma once
// The parts of the podsim._core extension, each adding its classes and functions to the module
// (module.cpp calls them in order).

#include <pybind11/pybind11.h>

namespace podsim::python {

/// Scene: loading, initial states, simulate, value and gradient, Jacobian, Gauss-Newton step.
void bind_scene(pybind11::module_& m);
/// The batched rollouts and steps with their adjoints under podsim.torch.
void bind_batch(pybind11::module_& m);
/// Policy and train().
void bind_train(pybind11::module_& m);

} // namespace podsim::python
