#pragma once
// numpy in and out for the Python module: validated conversions of actions and initial states
// (ValueError-style common::InputError with the argument's name, shape and rule) and the
// per-node arrays of simulate's result, in scene-file node order.

#include "python/src/scene_data.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

namespace podsim::python {

namespace py = pybind11;

/// C-contiguous float64 arrays (numpy converts other dtypes and layouts, copying only then).
using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

/// "(3, 2)".
std::string shape_string(const py::array& a);

/// `obj` as a C-contiguous float64 array; InputError "<name>: ..." when it is not numeric.
Array to_array(const py::handle& obj, const std::string& name);

/// `obj` as an array of exactly `shape` with finite entries; InputError "<name>: got shape (..),
/// must be (..) (<hint>)" otherwise.
Array shaped_array(const py::handle& obj, const std::string& name, const std::vector<py::ssize_t>& shape,
                   const std::string& hint = "");

/// Throws InputError "<name>[i, j] = nan: must be finite" at the first non-finite entry.
void require_finite(const Array& a, const std::string& name);

/// Actions shaped (N, n_a) -> the library's n_a x N matrix (row t of the array = column t = a_t;
/// the memory layouts coincide). N must be in [min_steps, max_horizon(model)].
Eigen::MatrixXd actions_from_array(const SceneData& s, const py::handle& actions, int min_steps);

/// The initial state z_0: the scene's nominal state for None, else a dict {"positions",
/// "velocities"} of (n_nodes, dim) arrays in file node order (as sample_initial returns). Free
/// nodes take both; handles their position (velocity must be 0: handles move with the actions);
/// fixed nodes must keep the scene's position and a zero velocity.
sim::State initial_from_py(const SceneData& s, const py::handle& initial);

/// The same from rows of (n_nodes, dim) arrays (`name` for messages).
sim::State initial_from_rows(const SceneData& s, const double* positions, const double* velocities,
                             const std::string& name);

/// {"positions", "velocities"}: (n_nodes, dim) arrays of z_0 (handle and fixed velocities 0).
py::dict initial_to_py(const SceneData& s, const sim::State& z);

/// Writes the (n_nodes, dim) rows of state z into `positions` and `velocities` (file node order);
/// a handle's velocity is `previous_action` (the action that moved it there; empty: zero), a
/// fixed node's zero.
void write_nodes(const SceneData& s, const sim::State& z, const double* previous_action, double* positions,
                 double* velocities);

/// Seeds as the command line takes them: integers in [0, 2^53].
std::uint64_t seed_from_py(const py::handle& seed, const std::string& name);

} // namespace podsim::python
