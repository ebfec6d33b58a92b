// The closed-loop observation map (see observation.hpp).
#include "pods/task/observation.hpp"

#include <algorithm>
#include <cmath>

namespace podsim::pods {

void ObservationMap::observe(const sim::Model& model, const sim::State& z, Eigen::Ref<Eigen::VectorXd> obs) const
{
    selection.extract(model, z, obs);
    obs -= offset;
}

void ObservationMap::add_transpose(const sim::Model& model, const Eigen::Ref<const Eigen::VectorXd>& bar_obs,
                                   sim::StateTangent& bar_z) const
{
    selection.add_transpose(model, bar_obs, bar_z);
}

ObservationMap observation_map(const sim::Model& model, const Task& task)
{
    const int d = model.dim, np = model.n_p(), k = int(task.payload.size());
    ObservationMap o;
    o.selection.nodes = task.payload;
    o.offset = Eigen::VectorXd::Zero(o.size(model));
    o.offset.head(np) = task.handle_target.reshaped();
    o.offset.segment(np, d * k) = task.target.reshaped();
    return o;
}

ObservationMap state_observation_map(const sim::Model& model, const Task& task)
{
    const int d = model.dim, np = model.n_p(), n = model.n_free;
    ObservationMap o;
    o.selection.nodes.resize(std::size_t(n));
    for (int i = 0; i < n; ++i) o.selection.nodes[std::size_t(i)] = i;
    o.offset = Eigen::VectorXd::Zero(o.size(model));
    o.offset.head(np) = task.handle_target.reshaped();
    o.offset.segment(np, d * n) = model.nominal_positions().head(d * n);
    return o;
}

Eigen::VectorXd state_observation_scale(const sim::Model& model, const Task& task)
{
    const Eigen::VectorXd payload = observation_scale(model, task);
    const int d = model.dim, np = model.n_p(), k = int(task.payload.size()), n = model.n_free;
    // observation_scale's length and speed factors (its first position and velocity entries)
    const double position = payload[np], velocity = payload[np + d * k];
    Eigen::VectorXd s(np + 2 * d * n);
    s.head(np) = payload.head(np);
    s.segment(np, d * n).setConstant(position);
    s.tail(d * n).setConstant(velocity);
    return s;
}

Eigen::VectorXd observation_scale(const sim::Model& model, const Task& task)
{
    const int d = model.dim, np = model.n_p(), k = int(task.payload.size());
    const Eigen::VectorXd q = model.nominal_positions();
    double length = model.length_scale;
    if (model.n_handles > 0)
        for (int i : task.payload)
            length = std::max(length, (q.segment(i * d, d) - q.segment(model.first_handle() * d, d)).norm());
    const double g = model.gravity.norm();
    const double speed = g > 0 ? std::sqrt(g * length) : task.action_limit;
    Eigen::VectorXd s(np + 2 * d * k);
    s.head(np + d * k).setConstant(1 / length);
    s.tail(d * k).setConstant(1 / speed);
    return s;
}

} // namespace podsim::pods
