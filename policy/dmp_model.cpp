// Rollout and warnings of a multi-dimensional DMP (see dmp_model.hpp).
#include "policy/dmp_model.hpp"

#include "common/text_io.hpp"

#include <cmath>

namespace podsim::policy {

DmpTrajectory rollout(const DmpModel& dmp)
{
    const DmpLayer layer(dmp.config);
    DmpTrajectory t;
    DmpWorkspace ws;
    layer.forward(dmp.params, t, ws, true);
    return t;
}

std::vector<std::string> dmp_warnings(const DmpModel& dmp)
{
    std::vector<std::string> out;
    const DmpConfig& c = dmp.config;
    if (euler_unstable(c, c.alpha))
        out.push_back("euler step dt = tau / steps = " + common::format_double(c.tau / c.steps) +
                      " exceeds 2 tau / alpha = " + common::format_double(2 * c.tau / c.alpha) +
                      ": the integration is unstable or oscillates; use more steps or \"integrator\": \"rk4\"");
    if (c.scaling == Scaling::GOAL)
        for (int d = 0; d < dmp.dim(); ++d)
            if (dmp.params.goal[d] == dmp.params.y0[d] && dmp.params.weights.row(d).cwiseAbs().maxCoeff() > 0)
                out.push_back("dimension " + std::to_string(d) + ": goal == y0 with \"scaling\": \"goal\" makes " +
                              "the forcing term zero (weights ignored); use \"amplitude\" or \"none\"");
    return out;
}

} // namespace podsim::policy
