#pragma once
// Small scenes for the diagnostics tests: a hanging pendulum at a large time step (BDF2's
// numerical dissipation makes it a passive damped system), an undamped chaotic 2D double
// pendulum, and a small policy for the closed loop.

#include "pods/diagnose/energy_norm.hpp"
#include "pods/task/cost.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/policy_factory.hpp"
#include "sim/sensitivity.hpp"
#include "tests/paths.hpp"

#include <Eigen/LU>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace podsim::test {

inline pods::Scene scene_from_text(const std::string& text, const char* file)
{
    pods::Scene s = pods::parse_scene(nlohmann::json::parse(text), file);
    s.model.solver.tolerance = 1e-13;
    return s;
}

/// A 1 kg bob on a spring below a handle, released from a 0.2 rad swing, dt = 0.3 s: BDF2's
/// numerical dissipation damps both the swing and the spring mode at this step (the scene has no
/// other damping), so with the handle at rest perturbations die out.
inline pods::Scene damped_pendulum(int horizon)
{
    return scene_from_text(R"({"name": "damped", "dim": 2, "dt": 0.3, "gravity": [0, -9.81],
      "nodes": [{"name": "handle", "role": "handle", "position": [0, 0]},
                {"name": "bob", "role": "free", "mass": 1, "position": [0.198669, -0.980067]}],
      "springs": [{"nodes": ["handle", "bob"], "stiffness": 400, "rest_length": 1}],
      "task": {"horizon": )" + std::to_string(horizon) + R"(, "payload": ["bob"], "target": [0, -1],
               "weights": {"p": 0, "x": 0, "v": 1, "a": 0.001}, "action_limit": 2}})",
                           "damped.json");
}

/// A 2D double pendulum (two 1 kg bobs on stiff 1 m springs) released from rest with the upper arm
/// horizontal and the lower one pointing up at 45 degrees: high energy, no damping term and no
/// numerical dissipation to speak of in the swing at dt = 0.01 s, chaotic.
inline pods::Scene chaotic_double_pendulum(int horizon)
{
    return scene_from_text(R"({"name": "chaotic", "dim": 2, "dt": 0.01, "gravity": [0, -9.81],
      "nodes": [{"name": "handle", "role": "handle", "position": [0, 0]},
                {"name": "upper", "role": "free", "mass": 1, "position": [1, 0]},
                {"name": "lower", "role": "free", "mass": 1, "position": [1.707107, 0.707107]}],
      "springs": [{"nodes": ["handle", "upper"], "stiffness": 100000},
                  {"nodes": ["upper", "lower"], "stiffness": 100000}],
      "task": {"horizon": )" + std::to_string(horizon) + R"(, "payload": ["upper", "lower"], "target": [0, -1],
               "weights": {"p": 0, "x": 0, "v": 1, "a": 0.001}, "action_limit": 2}})",
                           "chaotic.json");
}

/// A shipped scene with a shorter horizon and a tight Newton tolerance (derivative tests).
inline pods::Scene shipped_scene(const char* file, int horizon)
{
    pods::Scene s = pods::load_scene(source_path("scenes/") + file);
    s.model.solver.tolerance = 1e-13;
    s.task.horizon = horizon;
    return s;
}

/// A small policy of the scene whose last layer is not scaled down, so it reacts to the state.
inline std::unique_ptr<policy::Policy> test_policy(const pods::Scene& s, pods::Head head, double last_layer_scale = 1.0)
{
    pods::TrainConfig c;
    c.head = head;
    c.hidden = {8, 8};
    c.last_layer_scale = last_layer_scale;
    c.ndp_horizon = 4;
    c.ndp_basis = 4;
    c.seed = 5;
    return pods::make_policy(s.model, s.task, c);
}

/// The tangent of z = [x; v; x_prev; v_prev; p] as one stacked vector / matrix.
inline Eigen::MatrixXd stacked(const sim::StateTangent& t)
{
    Eigen::MatrixXd out(t.x.rows() * 4 + t.p.rows(), t.x.cols());
    out << t.x, t.v, t.x_prev, t.v_prev, t.p;
    return out;
}

inline Eigen::VectorXd stacked(const sim::State& z)
{
    Eigen::VectorXd out(z.x.size() * 4 + z.p.size());
    out << z.x, z.v, z.x_prev, z.v_prev, z.p;
    return out;
}

/// A state with its stacked entries set from `v` (t kept).
inline sim::State unstacked(const sim::State& like, const Eigen::VectorXd& v)
{
    sim::State z = like;
    const Eigen::Index nx = z.x.size();
    z.x = v.segment(0, nx);
    z.v = v.segment(nx, nx);
    z.x_prev = v.segment(2 * nx, nx);
    z.v_prev = v.segment(3 * nx, nx);
    z.p = v.tail(z.p.size());
    return z;
}

/// The weight matrix D of a state as a dense n x n matrix (n = 4 n_x for q, 4 n_x + n_p for z).
inline Eigen::MatrixXd dense_weight(const pods::StateWeights& w, Eigen::Index n)
{
    const Eigen::Index nx = w.r.rows(), np = n - 4 * nx;
    Eigen::MatrixXd d = Eigen::MatrixXd::Zero(n, n);
    if (np == 0) {
        d.block(0, 0, nx, nx) = w.r.triangularView<Eigen::Upper>();
    } else { // positions [x; p] weighed together: scatter R_full's blocks
        const Eigen::MatrixXd r = w.r_full.triangularView<Eigen::Upper>();
        d.block(0, 0, nx, nx) = r.topLeftCorner(nx, nx);
        d.block(0, 4 * nx, nx, np) = r.topRightCorner(nx, np);
        d.block(4 * nx, 0, np, nx) = r.bottomLeftCorner(np, nx);
        d.block(4 * nx, 4 * nx, np, np) = r.bottomRightCorner(np, np);
    }
    d.block(nx, nx, nx, nx) = w.sqrt_mass.asDiagonal();
    // the finite-difference velocity (x - x_prev) / h
    d.block(2 * nx, 0, nx, nx) = (w.sqrt_mass / w.dt).asDiagonal();
    d.block(2 * nx, 2 * nx, nx, nx) = (-w.sqrt_mass / w.dt).asDiagonal();
    d.block(3 * nx, 3 * nx, nx, nx) = w.sqrt_mass.asDiagonal();
    return d;
}

/// D_to X D_from^-1 with dense inverses (the reference for weighted_map).
inline Eigen::MatrixXd dense_weighted(const Eigen::MatrixXd& x, const pods::StateWeights& to, const pods::StateWeights& from)
{
    return dense_weight(to, x.rows()) * x * dense_weight(from, x.rows()).inverse();
}

} // namespace podsim::test
