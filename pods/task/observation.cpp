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
