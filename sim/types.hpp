#pragma once
// Small fixed-size vector and matrix aliases used by the element kernels (D = 2 or 3).

#include <Eigen/Core>

namespace podsim::sim {

template <int D> using Vec = Eigen::Matrix<double, D, 1>;
template <int D> using Mat = Eigen::Matrix<double, D, D>;

} // namespace podsim::sim
