#pragma once
// The digit-writing data set: the ten demonstrations read from a folder, and samples (a digit
// under a transform: the image, the privileged transform parameters, the target trajectory).

#include "pods/hndp/digit_image.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace podsim::pods::hndp {

/// One demonstration: the stroke as read (for rendering) and on the plan's time grid.
struct DigitStroke {
    int digit = 0;
    std::string file;
    Eigen::Matrix2Xd dense; ///< the demonstration's samples
    Eigen::Matrix2Xd plan;  ///< resampled at k + 1 equally spaced times over its duration
};

/// Reads DIR/digit_0.csv .. DIR/digit_9.csv (demonstration CSV, policy/dmp_io.hpp) and resamples
/// each onto `plan_steps` + 1 equally spaced times. Throws common::InputError naming the file and
/// the rule: a missing file, columns other than `time,x,y`, a stroke without extent (height or
/// width below 1e-6), or any CSV error of read_demo_csv.
std::vector<DigitStroke> read_digit_strokes(const std::string& dir, int plan_steps);

/// A digit under a transform.
struct DigitSample {
    int digit = 0;
    DigitTransform transform;
    Eigen::VectorXd image;  ///< size^2 intensities, render_stroke
    Eigen::VectorXd target; ///< 2 (k + 1): [x_0, y_0, x_1, y_1, ...], the transformed plan stroke
};

DigitSample make_sample(const DigitStroke& stroke, const DigitTransform& t, int image_size);

/// The local (privileged) observation: [x_0, y_0, shift_x, shift_y, scale, rotation, width].
inline constexpr int kLocalObservations = 7;
Eigen::VectorXd local_observation(const DigitSample& s);
/// The global observation: [x_0, y_0, ink = 1 - image (size^2, row-major)]: the pen's start
/// (the robot's own state) and the picture, nothing else.
Eigen::VectorXd global_observation(const DigitSample& s);

} // namespace podsim::pods::hndp
