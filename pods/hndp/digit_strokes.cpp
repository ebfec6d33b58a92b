// The digit-stroke generator (see digit_strokes.hpp).
#include "pods/hndp/digit_strokes.hpp"

#include "common/text_io.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace podsim::pods::hndp {

namespace {

// hand-placed control points (x, y), one pen stroke per digit; doubled points make corners
const std::vector<std::vector<double>> kControlPoints = {
    // 0: from the top, counter-clockwise, closed
    {0.02, 0.5, -0.22, 0.42, -0.32, 0.0, -0.22, -0.42, 0.0, -0.52, 0.22, -0.42, 0.32, 0.0, 0.22, 0.42, 0.0, 0.5},
    // 1: a short lead-in, then straight down
    {-0.18, 0.3, -0.05, 0.42, 0.02, 0.52, 0.02, 0.52, 0.02, 0.1, 0.02, -0.3, 0.02, -0.52},
    // 2: arc, diagonal, base line
    {-0.25, 0.28, -0.12, 0.5, 0.18, 0.48, 0.27, 0.22, 0.05, -0.1, -0.3, -0.5, -0.3, -0.5, 0.05, -0.5, 0.32, -0.5},
    // 3: two bowls
    {-0.26, 0.38, 0.0, 0.52, 0.26, 0.36, 0.14, 0.06, -0.06, 0.0, 0.14, -0.04, 0.3, -0.3, 0.02, -0.52, -0.28, -0.4},
    // 4: up the stem, down the diagonal, across
    {0.15, -0.52, 0.15, -0.1, 0.15, 0.52, 0.15, 0.52, -0.32, -0.14, -0.32, -0.14, 0.0, -0.14, 0.32, -0.14},
    // 5: top bar, down, belly
    {0.26, 0.5, -0.18, 0.5, -0.18, 0.5, -0.24, 0.04, -0.24, 0.04, 0.18, 0.12, 0.3, -0.24, 0.06, -0.52, -0.28, -0.4},
    // 6: down the back, loop at the bottom
    {0.22, 0.46, -0.1, 0.32, -0.3, -0.12, -0.16, -0.52, 0.2, -0.46, 0.26, -0.14, 0.0, 0.02, -0.28, -0.2},
    // 7: top bar, then the diagonal
    {-0.3, 0.5, 0.05, 0.5, 0.3, 0.5, 0.3, 0.5, 0.08, 0.0, -0.08, -0.52},
    // 8: an S down and back up
    {0.2, 0.4, 0.0, 0.52, -0.22, 0.36, -0.1, 0.1, 0.2, -0.1, 0.26, -0.4, 0.0, -0.52, -0.26, -0.4, -0.2, -0.1,
     0.1, 0.1, 0.22, 0.36, 0.04, 0.5},
    // 9: the loop, then the stem
    {0.24, 0.3, 0.0, 0.52, -0.26, 0.34, -0.2, 0.04, 0.1, 0.04, 0.26, 0.34, 0.26, 0.34, 0.2, -0.1, 0.1, -0.52},
};

// uniform cubic B-spline basis at u in [0, 1] on control points p0..p3
Eigen::Vector2d bspline(const Eigen::Matrix2Xd& p, int i, double u)
{
    const double b0 = (1 - u) * (1 - u) * (1 - u) / 6, b1 = (3 * u * u * u - 6 * u * u + 4) / 6;
    const double b2 = (-3 * u * u * u + 3 * u * u + 3 * u + 1) / 6, b3 = u * u * u / 6;
    return b0 * p.col(i) + b1 * p.col(i + 1) + b2 * p.col(i + 2) + b3 * p.col(i + 3);
}

} // namespace

Eigen::Matrix2Xd digit_control_points(int digit)
{
    if (digit < 0 || digit > 9) throw std::invalid_argument("digit must be in [0, 9]");
    const std::vector<double>& v = kControlPoints[std::size_t(digit)];
    Eigen::Matrix2Xd p(2, Eigen::Index(v.size() / 2));
    for (Eigen::Index i = 0; i < p.cols(); ++i) p.col(i) << v[std::size_t(2 * i)], v[std::size_t(2 * i + 1)];
    return p;
}

policy::Demonstration draw_digit(int digit, int samples, double duration)
{
    if (samples < 3) throw std::invalid_argument("samples must be >= 3");
    if (!(duration > 0)) throw std::invalid_argument("duration must be > 0");
    // clamp the spline to the end points by tripling them
    const Eigen::Matrix2Xd cp = digit_control_points(digit);
    Eigen::Matrix2Xd p(2, cp.cols() + 4);
    p << cp.col(0), cp.col(0), cp, cp.col(cp.cols() - 1), cp.col(cp.cols() - 1);
    const int segments = int(p.cols()) - 3, fine_per_segment = 200;

    // dense curve and its cumulative arc length
    const int fine = segments * fine_per_segment + 1;
    Eigen::Matrix2Xd curve(2, fine);
    for (int s = 0; s < segments; ++s)
        for (int q = 0; q < fine_per_segment; ++q) curve.col(s * fine_per_segment + q) = bspline(p, s, double(q) / fine_per_segment);
    curve.col(fine - 1) = bspline(p, segments - 1, 1.0);
    Eigen::VectorXd arc(fine);
    arc[0] = 0;
    for (int i = 1; i < fine; ++i) arc[i] = arc[i - 1] + (curve.col(i) - curve.col(i - 1)).norm();

    // normalise: bounding box of height 1 centred at the origin
    const Eigen::Vector2d lo = curve.rowwise().minCoeff(), hi = curve.rowwise().maxCoeff();
    const Eigen::Vector2d centre = (lo + hi) / 2;
    const double height = hi.y() - lo.y();
    curve = ((curve.colwise() - centre) / height).eval();
    arc /= height;

    // minimum-jerk timing along the arc length, linear interpolation on the dense curve
    policy::Demonstration demo;
    demo.names = {"x", "y"};
    demo.time.resize(samples);
    demo.y.resize(2, samples);
    int seg = 0;
    for (int n = 0; n < samples; ++n) {
        const double u = double(n) / (samples - 1);
        demo.time[n] = duration * u;
        const double target = arc[fine - 1] * (10 * u * u * u - 15 * u * u * u * u + 6 * u * u * u * u * u);
        while (seg < fine - 2 && arc[seg + 1] < target) ++seg;
        const double len = arc[seg + 1] - arc[seg];
        const double w = len > 0 ? std::clamp((target - arc[seg]) / len, 0.0, 1.0) : 0.0;
        demo.y.col(n) = (1 - w) * curve.col(seg) + w * curve.col(seg + 1);
    }
    return demo;
}

std::string demo_csv_text(const policy::Demonstration& demo)
{
    std::string out = "time";
    for (const std::string& name : demo.names) out += "," + name;
    out += "\n";
    for (Eigen::Index n = 0; n < demo.time.size(); ++n) {
        common::append_double(out, demo.time[n]);
        for (Eigen::Index d = 0; d < demo.y.rows(); ++d) {
            out += ",";
            common::append_double(out, demo.y(d, n));
        }
        out += "\n";
    }
    return out;
}

} // namespace podsim::pods::hndp
