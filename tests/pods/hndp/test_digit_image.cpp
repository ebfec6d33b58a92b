// Tests of pods/hndp/digit_image.hpp: transforms are similarities with the given shift, scale and
// rotation; sampled transforms stay in their ranges and repeat for a seed; rendering is
// deterministic and its image matches the stroke (pixels on the stroke dark, far pixels light).
#include "pods/hndp/digit_image.hpp"

#include "pods/hndp/digit_strokes.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace podsim::pods::hndp;

namespace {

// distance of a point to a polyline
double distance_to(const Eigen::Matrix2Xd& p, const Eigen::Vector2d& q)
{
    double best = (q - p.col(0)).norm();
    for (Eigen::Index i = 0; i + 1 < p.cols(); ++i) {
        const Eigen::Vector2d a = p.col(i), ab = p.col(i + 1) - a;
        const double u = std::clamp((q - a).dot(ab) / std::max(ab.squaredNorm(), 1e-300), 0.0, 1.0);
        best = std::min(best, (q - a - u * ab).norm());
    }
    return best;
}

} // namespace

TEST_CASE("hndp: a digit transform scales, rotates and shifts the stroke")
{
    const Eigen::Matrix2Xd p = draw_digit(3, 41).y;
    DigitTransform t;
    t.shift_x = 0.1;
    t.shift_y = -0.2;
    t.scale = 1.2;
    t.rotation = 0.25;
    const Eigen::Matrix2Xd q = transform_stroke(p, t);
    REQUIRE(q.cols() == p.cols());
    for (Eigen::Index i = 1; i < p.cols(); ++i) {
        CHECK((q.col(i) - q.col(0)).norm() == doctest::Approx(1.2 * (p.col(i) - p.col(0)).norm()).epsilon(1e-12));
        // the direction of every chord turns by the rotation
        const Eigen::Vector2d a = p.col(i) - p.col(0), b = q.col(i) - q.col(0);
        if (a.norm() > 1e-3) CHECK(std::atan2(a.x() * b.y() - a.y() * b.x(), a.dot(b)) == doctest::Approx(0.25).epsilon(1e-9));
    }
    DigitTransform only_shift;
    only_shift.shift_x = 0.3;
    only_shift.shift_y = 0.1;
    const Eigen::Matrix2Xd s = transform_stroke(p, only_shift);
    CHECK((s.colwise() - Eigen::Vector2d(0.3, 0.1) - p).cwiseAbs().maxCoeff() < 1e-15);
}

TEST_CASE("hndp: sampled transforms lie in their ranges and repeat for a seed")
{
    const TransformRanges r;
    std::mt19937_64 a(9), b(9);
    for (int i = 0; i < 200; ++i) {
        const DigitTransform t = sample_transform(a, r), u = sample_transform(b, r);
        CHECK(t.shift_x == u.shift_x);
        CHECK(t.width == u.width);
        CHECK(std::abs(t.shift_x) <= r.shift);
        CHECK(std::abs(t.shift_y) <= r.shift);
        CHECK(t.scale >= r.scale_min);
        CHECK(t.scale <= r.scale_max);
        CHECK(std::abs(t.rotation) <= r.rotation);
        CHECK(t.width >= r.width_min);
        CHECK(t.width <= r.width_max);
    }
}

TEST_CASE("hndp: rendering is deterministic and its image matches the stroke")
{
    const int size = 28;
    const double pixel = 2.0 / size;
    int dark = 0, light = 0;
    for (int digit : {0, 4, 8}) {
        DigitTransform t;
        t.shift_x = -0.1;
        t.shift_y = 0.05;
        t.scale = 1.1;
        t.rotation = -0.2;
        t.width = 0.15;
        const Eigen::Matrix2Xd q = transform_stroke(draw_digit(digit).y, t);
        const Eigen::VectorXd image = render_stroke(q, t.width, size), again = render_stroke(q, t.width, size);
        REQUIRE(image.size() == size * size);
        CHECK(image == again);
        CHECK(image.minCoeff() >= 0);
        CHECK(image.maxCoeff() <= 1);
        for (int r = 0; r < size; ++r)
            for (int c = 0; c < size; ++c) {
                const Eigen::Vector2d centre(-1 + (c + 0.5) * pixel, 1 - (r + 0.5) * pixel);
                const double d = distance_to(q, centre), v = image[r * size + c];
                if (d <= t.width / 2 - pixel / 2) { // the stroke covers the pixel centre: full ink
                    CHECK(v == 0.0);
                    ++dark;
                } else if (d >= t.width / 2 + pixel / 2) { // far from the stroke: paper
                    CHECK(v == 1.0);
                    ++light;
                }
            }
        // the pixels under the stroke's own sample points are dark
        for (Eigen::Index i = 0; i < q.cols(); i += 10) {
            const int c = int(std::floor((q(0, i) + 1) / pixel)), r = int(std::floor((1 - q(1, i)) / pixel));
            if (r >= 0 && r < size && c >= 0 && c < size) CHECK(image[r * size + c] < 0.5);
        }
    }
    CHECK(dark > 30);
    CHECK(light > 1000);
}
