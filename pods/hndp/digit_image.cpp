// Transformed digit strokes and their images (see digit_image.hpp).
#include "pods/hndp/digit_image.hpp"

#include "pods/task/random.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace podsim::pods::hndp {

DigitTransform sample_transform(std::mt19937_64& rng, const TransformRanges& r)
{
    DigitTransform t;
    t.shift_x = uniform(rng, -r.shift, r.shift);
    t.shift_y = uniform(rng, -r.shift, r.shift);
    t.scale = uniform(rng, r.scale_min, r.scale_max);
    t.rotation = uniform(rng, -r.rotation, r.rotation);
    t.width = uniform(rng, r.width_min, r.width_max);
    return t;
}

Eigen::Matrix2Xd transform_stroke(const Eigen::Matrix2Xd& stroke, const DigitTransform& t)
{
    const double c = std::cos(t.rotation), s = std::sin(t.rotation);
    Eigen::Matrix2d a;
    a << c, -s, s, c;
    a *= t.scale;
    return (a * stroke).colwise() + Eigen::Vector2d(t.shift_x, t.shift_y);
}

Eigen::VectorXd render_stroke(const Eigen::Matrix2Xd& points, double width, int size)
{
    if (size < 1 || points.cols() < 1 || !(width >= 0)) throw std::invalid_argument("render_stroke: size >= 1, points >= 1, width >= 0");
    const double pixel = 2.0 / size;
    Eigen::VectorXd image(Eigen::Index(size) * size);
    for (int r = 0; r < size; ++r)
        for (int c = 0; c < size; ++c) {
            const Eigen::Vector2d q(-1 + (c + 0.5) * pixel, 1 - (r + 0.5) * pixel);
            // distance to the polyline: the nearest point of every segment
            double d2 = (q - points.col(0)).squaredNorm();
            for (Eigen::Index i = 0; i + 1 < points.cols(); ++i) {
                const Eigen::Vector2d a = points.col(i), ab = points.col(i + 1) - a;
                const double len2 = ab.squaredNorm();
                const double u = len2 > 0 ? std::clamp((q - a).dot(ab) / len2, 0.0, 1.0) : 0.0;
                d2 = std::min(d2, (q - a - u * ab).squaredNorm());
            }
            const double ink = std::clamp(0.5 + (width / 2 - std::sqrt(d2)) / pixel, 0.0, 1.0);
            image[Eigen::Index(r) * size + c] = 1 - ink;
        }
    return image;
}

} // namespace podsim::pods::hndp
