// Active set and projected gradient of the action box (see active_set.hpp).
#include "pods/improve/active_set.hpp"

#include <stdexcept>
#include <string>

namespace podsim::pods {

ActionMask active_set(const Eigen::MatrixXd& actions, const Eigen::MatrixXd& gradient, double limit,
                      double relative_tolerance)
{
    if (actions.rows() != gradient.rows() || actions.cols() != gradient.cols())
        throw std::invalid_argument("active_set: actions " + std::to_string(actions.rows()) + " x " +
                                    std::to_string(actions.cols()) + " and gradient " + std::to_string(gradient.rows()) +
                                    " x " + std::to_string(gradient.cols()) + " differ in shape");
    const double edge = limit * (1 - relative_tolerance);
    return (actions.array() >= edge && gradient.array() < 0) || (actions.array() <= -edge && gradient.array() > 0);
}

Eigen::MatrixXd projected_gradient(const Eigen::MatrixXd& gradient, const ActionMask& held)
{
    return held.select(0.0, gradient.array()).matrix();
}

int count(const ActionMask& held) { return int(held.count()); }

} // namespace podsim::pods
