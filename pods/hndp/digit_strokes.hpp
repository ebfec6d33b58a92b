#pragma once
// podsim's generator of the ten planar digit strokes 0-9 (scenes/demos/digits/): hand-placed
// control points, a clamped uniform cubic B-spline, minimum-jerk timing along the arc length, so
// every stroke starts and ends at rest (docs/hndp.md).

#include "policy/dmp_io.hpp"

#include <Eigen/Core>

#include <string>

namespace podsim::pods::hndp {

/// The control points of digit `digit` (0-9), 2 x m, in a box of height about 1 (y up).
Eigen::Matrix2Xd digit_control_points(int digit);

/// Digit `digit` as a demonstration: `samples` points (>= 3) over `duration` seconds, columns
/// x, y. The curve is normalised to a bounding box of height 1 centred at the origin; the arc
/// length follows s(t) = 10 u^3 - 15 u^4 + 6 u^5, u = t / duration (zero velocity and
/// acceleration at both ends).
policy::Demonstration draw_digit(int digit, int samples = 201, double duration = 1.0);

/// Demonstration CSV text (`time,x,y`, shortest round-trip numbers), readable by read_demo_csv.
std::string demo_csv_text(const policy::Demonstration& demo);

} // namespace podsim::pods::hndp
