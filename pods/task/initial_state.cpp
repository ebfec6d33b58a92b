// Initial-state samplers (see initial_state.hpp).
#include "pods/task/initial_state.hpp"

#include "pods/task/random.hpp"

#include <Eigen/Geometry>

#include <cmath>

namespace podsim::pods {

namespace {

// unit vertical direction (against gravity; +y when there is none)
Eigen::Vector3d up_direction(const sim::Model& model)
{
    Eigen::Vector3d g = Eigen::Vector3d::Zero();
    g.head(model.dim) = model.gravity;
    if (g.norm() > 0) return -g.normalized();
    return Eigen::Vector3d::UnitY();
}

void swing(const sim::Model& model, const InitialStateSpec& spec, std::mt19937_64& rng, sim::State& z)
{
    const int d = model.dim;
    const double theta = uniform(rng, spec.angle[0], spec.angle[1]);
    const double omega = uniform(rng, spec.angular_velocity[0], spec.angular_velocity[1]);
    Eigen::Vector3d axis = Eigen::Vector3d::UnitZ(); // 2D: rotation in the x-y plane
    if (d == 3) {
        // a horizontal axis at a random azimuth about the vertical
        const Eigen::Vector3d up = up_direction(model);
        const Eigen::Vector3d e1 = up.unitOrthogonal();
        const Eigen::Vector3d e2 = up.cross(e1);
        const double phi = uniform(rng, 0.0, 2 * M_PI);
        axis = std::cos(phi) * e1 + std::sin(phi) * e2;
    }
    const Eigen::Matrix3d r = Eigen::AngleAxisd(theta, axis).toRotationMatrix();
    Eigen::Vector3d centre = Eigen::Vector3d::Zero();
    centre.head(d) = z.p.head(d);
    for (int i = 0; i < model.n_free; ++i) {
        Eigen::Vector3d x = Eigen::Vector3d::Zero(), v = Eigen::Vector3d::Zero();
        x.head(d) = z.x.segment(i * d, d);
        v.head(d) = z.v.segment(i * d, d);
        const Eigen::Vector3d arm = r * (x - centre);
        const Eigen::Vector3d vel = r * v + omega * axis.cross(arm);
        z.x.segment(i * d, d) = (centre + arm).head(d);
        z.v.segment(i * d, d) = vel.head(d);
    }
}

void perturb(const sim::Model& model, const InitialStateSpec& spec, std::mt19937_64& rng, sim::State& z)
{
    const int d = model.dim;
    for (int i : spec.nodes) {
        for (int k = 0; k < d; ++k) z.x[i * d + k] += uniform(rng, -spec.position, spec.position);
        for (int k = 0; k < d; ++k) z.v[i * d + k] += uniform(rng, -spec.velocity, spec.velocity);
    }
}

} // namespace

sim::State sample_initial_state(const sim::Model& model, const Task& task, std::uint64_t seed)
{
    sim::State z = sim::nominal_state(model);
    std::mt19937_64 rng(seed);
    switch (task.initial_state.kind) {
    case InitialStateKind::kNominal: break;
    case InitialStateKind::kSwing: swing(model, task.initial_state, rng, z); break;
    case InitialStateKind::kPerturb: perturb(model, task.initial_state, rng, z); break;
    }
    z.x_prev = z.x;
    z.v_prev = z.v;
    return z;
}

} // namespace podsim::pods
