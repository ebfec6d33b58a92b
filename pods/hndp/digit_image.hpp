#pragma once
// A digit under an affine transform: the transformed stroke (the target trajectory) and its
// rendering into a small grayscale image (what the global policy sees), both deterministic
// functions of the stroke and the transform (docs/hndp.md).

#include <Eigen/Core>

#include <cstdint>
#include <random>

namespace podsim::pods::hndp {

/// p' = shift + scale R(rotation) p on the canvas [-1, 1]^2 (y up); the pen draws a line of
/// `width` canvas units (one pixel of a 28 x 28 image is 2 / 28 = 0.071).
struct DigitTransform {
    double shift_x = 0, shift_y = 0;
    double scale = 1;    ///< the digit's height on the canvas (the strokes have height 1)
    double rotation = 0; ///< radians, counter-clockwise
    double width = 0.1;  ///< stroke width, canvas units
};

/// The ranges transforms are drawn from (uniform, independent).
struct TransformRanges {
    double shift = 0.15;       ///< shift_x, shift_y in [-shift, shift]
    double scale_min = 0.9, scale_max = 1.3;
    double rotation = 0.3;     ///< rotation in [-rotation, rotation] (about 17 degrees)
    double width_min = 0.08, width_max = 0.16;
};

/// A transform drawn from `ranges` with `rng` (five uniform numbers in the field order).
DigitTransform sample_transform(std::mt19937_64& rng, const TransformRanges& ranges);

/// The stroke under the transform: 2 x m points to 2 x m points.
Eigen::Matrix2Xd transform_stroke(const Eigen::Matrix2Xd& stroke, const DigitTransform& t);

/// The transformed polyline `points` (canvas units) drawn into a size x size image, row-major
/// (row 0 at the top, y = 1), intensity in [0, 1]: 1 light paper, 0 dark ink. Pixel centres
/// (x, y) = (-1 + (c + 1/2) 2 / size, 1 - (r + 1/2) 2 / size); ink = clamp(1/2 + (width / 2 - d)
/// / pixel, 0, 1) with d the distance of the centre to the polyline (one pixel of
/// anti-aliasing); intensity = 1 - ink.
Eigen::VectorXd render_stroke(const Eigen::Matrix2Xd& points, double width, int size = 28);

} // namespace podsim::pods::hndp
