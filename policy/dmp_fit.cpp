// DMP fitting by ridge regression on finite-difference forcing targets (see dmp_fit.hpp).
#include "policy/dmp_fit.hpp"

#include "policy/limits.hpp"
#include "common/text_io.hpp"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace podsim::policy {

namespace {

// three-point derivative at sample i of a non-uniform series (one-sided at the ends), exact for
// quadratics
double slope(const Eigen::VectorXd& t, const Eigen::VectorXd& y, int i)
{
    const int n = int(t.size());
    if (i == 0) {
        const double h0 = t[1] - t[0], h1 = t[2] - t[1];
        return -(2 * h0 + h1) / (h0 * (h0 + h1)) * y[0] + (h0 + h1) / (h0 * h1) * y[1] - h0 / (h1 * (h0 + h1)) * y[2];
    }
    if (i == n - 1) {
        const double h0 = t[n - 2] - t[n - 3], h1 = t[n - 1] - t[n - 2];
        return h1 / (h0 * (h0 + h1)) * y[n - 3] - (h0 + h1) / (h0 * h1) * y[n - 2] +
               (2 * h1 + h0) / (h1 * (h0 + h1)) * y[n - 1];
    }
    const double h0 = t[i] - t[i - 1], h1 = t[i + 1] - t[i];
    return (h0 * h0 * (y[i + 1] - y[i]) + h1 * h1 * (y[i] - y[i - 1])) / (h0 * h1 * (h0 + h1));
}

} // namespace

Eigen::MatrixXd resample_demo(const Demonstration& demo, int steps)
{
    const int dim = int(demo.y.rows()), samples = int(demo.time.size());
    const double t0 = demo.time[0], tau = demo.time[samples - 1] - t0;
    Eigen::MatrixXd out(dim, steps + 1);
    int seg = 0;
    for (int n = 0; n <= steps; ++n) {
        const double t = n == steps ? demo.time[samples - 1] : t0 + n * (tau / steps);
        while (seg + 2 < samples && demo.time[seg + 1] <= t) ++seg;
        const double ta = demo.time[seg], tb = demo.time[seg + 1], h = tb - ta;
        const double u = std::clamp((t - ta) / h, 0.0, 1.0);
        // cubic Hermite basis
        const double h00 = (1 + 2 * u) * (1 - u) * (1 - u), h10 = u * (1 - u) * (1 - u);
        const double h01 = u * u * (3 - 2 * u), h11 = u * u * (u - 1);
        for (int d = 0; d < dim; ++d) {
            const Eigen::VectorXd yd = demo.y.row(d).transpose();
            if (u == 0) out(d, n) = yd[seg];
            else if (u == 1) out(d, n) = yd[seg + 1];
            else
                out(d, n) = h00 * yd[seg] + h10 * h * slope(demo.time, yd, seg) + h01 * yd[seg + 1] +
                            h11 * h * slope(demo.time, yd, seg + 1);
        }
    }
    return out;
}

DmpFitResult fit_dmp(const Demonstration& demo, const DmpFitOptions& options)
{
    const int dim = int(demo.y.rows()), samples = int(demo.time.size());
    if (samples < 3) throw std::invalid_argument("a demonstration needs at least 3 samples");
    if (!(options.ridge >= 0) || !std::isfinite(options.ridge)) throw std::invalid_argument("ridge must be >= 0");
    DmpModel m;
    m.names = demo.names;
    DmpConfig& c = m.config;
    c = options.config;
    c.tau = demo.time[samples - 1] - demo.time[0];
    if (!(c.tau >= kMinDmpConstant && c.tau <= kMaxDmpConstant))
        throw std::invalid_argument("duration (last - first time) = " + common::format_double(c.tau) + ": must be in [" +
                                    common::format_double(kMinDmpConstant) + ", " + common::format_double(kMaxDmpConstant) +
                                    "] (it becomes the DMP's tau)");
    c.steps = options.steps > 0 ? options.steps : samples - 1;
    if (c.integrator == Integrator::EULER && c.steps < 2)
        throw std::invalid_argument("steps must be >= 2 for an Euler fit");
    validate_dmp_config(c);
    // the resampled demonstration and the rollout are dim x (steps + 1) or larger
    if (std::int64_t(dim) * (dmp_stages(c) + 1) > kMaxDmpTrajectoryDoubles)
        throw std::invalid_argument("dim x (stages + 1) = " + std::to_string(std::int64_t(dim) * (dmp_stages(c) + 1)) +
                                    ": must be <= " + std::to_string(kMaxDmpTrajectoryDoubles) +
                                    " (stages = steps for euler, 4 steps for rk4)");
    const DmpLayer layer(c);
    const int t = c.steps, nb = c.basis;
    const double dt = layer.dt(), tau = c.tau;

    // the demonstration on the DMP's grid, start, goal and forcing scale
    const Eigen::MatrixXd y = resample_demo(demo, t);
    DmpParams& p = m.params;
    p.y0 = y.col(0);
    if (options.goal.size() != 0 && options.goal.size() != dim)
        throw std::invalid_argument("goal: need one value per dimension (" + std::to_string(dim) + ")");
    p.goal = options.goal.size() != 0 ? options.goal : Eigen::VectorXd(y.col(t));
    p.amplitude.resize(dim);
    for (int d = 0; d < dim; ++d) {
        const double range = demo.y.row(d).maxCoeff() - demo.y.row(d).minCoeff();
        p.amplitude[d] = range > 0 ? range : 1.0;
        if (c.scaling == Scaling::GOAL && !(std::abs(p.goal[d] - p.y0[d]) > 1e-9 * std::max(range, 1e-300)))
            throw std::invalid_argument("dimension \"" + (d < int(demo.names.size()) ? demo.names[d] : std::to_string(d)) +
                                        "\": goal == start, so scaling \"goal\" would make the forcing term zero; "
                                        "use scaling \"amplitude\" or \"none\"");
    }
    if (c.scaling != Scaling::AMPLITUDE) p.amplitude.resize(0);
    p.yd0.resize(dim);
    p.weights.resize(dim, nb);

    // regression rows (features) and targets per dimension
    const bool euler = c.integrator == Integrator::EULER;
    const int rows = euler ? t - 1 : t + 1;
    Eigen::MatrixXd features(rows, nb);
    for (int n = 0; n < rows; ++n) features.row(n) = layer.sample_features(euler ? n + 1 : n).transpose();
    for (int d = 0; d < dim; ++d) {
        const double g = p.goal[d];
        Eigen::VectorXd target(rows);
        if (euler) {
            // forward differences consistent with the Euler recursion
            Eigen::VectorXd z(t);
            for (int n = 0; n < t; ++n) z[n] = tau * (y(d, n + 1) - y(d, n)) / dt;
            p.yd0[d] = z[0] / tau;
            for (int n = 0; n + 1 < t; ++n)
                target[n] = tau * (z[n + 1] - z[n]) / dt - c.alpha * (c.beta * (g - y(d, n)) - z[n]);
        } else {
            // second-order differences (one-sided at the ends)
            Eigen::VectorXd yd(t + 1), ydd(t + 1);
            for (int n = 0; n <= t; ++n) {
                if (n == 0) yd[n] = (-3 * y(d, 0) + 4 * y(d, 1) - y(d, 2)) / (2 * dt);
                else if (n == t) yd[n] = (3 * y(d, t) - 4 * y(d, t - 1) + y(d, t - 2)) / (2 * dt);
                else yd[n] = (y(d, n + 1) - y(d, n - 1)) / (2 * dt);
            }
            for (int n = 0; n <= t; ++n) {
                if (t < 3) ydd[n] = 0;
                else if (n == 0) ydd[n] = (2 * y(d, 0) - 5 * y(d, 1) + 4 * y(d, 2) - y(d, 3)) / (dt * dt);
                else if (n == t) ydd[n] = (2 * y(d, t) - 5 * y(d, t - 1) + 4 * y(d, t - 2) - y(d, t - 3)) / (dt * dt);
                else ydd[n] = (y(d, n + 1) - 2 * y(d, n) + y(d, n - 1)) / (dt * dt);
            }
            p.yd0[d] = yd[0];
            for (int n = 0; n <= t; ++n)
                target[n] = tau * tau * ydd[n] - c.alpha * (c.beta * (g - y(d, n)) - tau * yd[n]);
        }
        const double s = c.scaling == Scaling::GOAL ? g - p.y0[d] : c.scaling == Scaling::NONE ? 1.0 : p.amplitude[d];
        // ridge normal equations (A = s features)
        Eigen::MatrixXd ata = (s * s) * (features.transpose() * features);
        const double lambda = options.ridge * ata.trace() / nb;
        ata.diagonal().array() += lambda;
        const Eigen::VectorXd atb = s * (features.transpose() * target);
        p.weights.row(d) = ata.ldlt().solve(atb).transpose();
    }

    // reproduction error on the grid
    DmpFitResult result;
    const DmpTrajectory traj = rollout(m);
    if (!p.weights.allFinite() || !traj.y.allFinite())
        throw std::invalid_argument("the fit overflowed (non-finite weights or trajectory); rescale the demonstration");
    result.max_error = (traj.y - y).cwiseAbs().maxCoeff();
    double range = 0;
    for (int d = 0; d < dim; ++d) range = std::max(range, demo.y.row(d).maxCoeff() - demo.y.row(d).minCoeff());
    result.relative_error = range > 0 ? result.max_error / range : result.max_error;
    result.dmp = std::move(m);
    return result;
}

} // namespace podsim::policy
