// Nominal initial state from the model's node positions and velocities.
#include "sim/state.hpp"

namespace podsim::sim {

State nominal_state(const Model& model)
{
    const int d = model.dim;
    State z;
    z.x.resize(model.n_x());
    z.v.resize(model.n_x());
    z.p.resize(model.n_p());
    for (int i = 0; i < model.n_free; ++i) {
        z.x.segment(i * d, d) = model.nodes[std::size_t(i)].position.head(d);
        z.v.segment(i * d, d) = model.nodes[std::size_t(i)].velocity.head(d);
    }
    for (int h = 0; h < model.n_handles; ++h)
        z.p.segment(h * d, d) = model.nodes[std::size_t(model.first_handle() + h)].position.head(d);
    z.x_prev = z.x;
    z.v_prev = z.v;
    return z;
}

} // namespace podsim::sim
