// DMP layer: phase and kernel tables, batched Euler / RK4 integration, exact tangents and adjoints
// (see dmp.hpp). The (y, z) update is linear in (y, z, g, f), so the tangent recursion reuses the
// forward step function and the adjoint is its hand-written transpose.
#include "policy/dmp.hpp"

#include "policy/limits.hpp"
#include "policy/ordered_product.hpp"
#include "common/text_io.hpp"

#include <cassert>
#include <cmath>
#include <stdexcept>

namespace podsim::policy {

namespace {

// one Euler step of the NDP reference loop; also the tangent step (the map is linear)
inline void euler_step(double& y, double& z, double g, double f, double a, double b, double tau, double dt)
{
    const double dz = (a * (b * (g - y) - z) + f) / tau;
    const double dy = z / tau;
    y = y + dy * dt;
    z = z + dz * dt;
}

// classical RK4 on (y, z) with the forcing at the four stage phases; also the tangent step.
// Multiplies by 1 / tau (no bit-compatibility constraint here, unlike Euler).
inline void rk4_step(double& y, double& z, double g, double fa, double fb, double fc, double fd, double a,
                     double b, double inv_tau, double dt)
{
    const double h2 = 0.5 * dt, h6 = dt / 6;
    const double k1y = z * inv_tau, k1z = (a * (b * (g - y) - z) + fa) * inv_tau;
    const double y2 = y + h2 * k1y, z2 = z + h2 * k1z;
    const double k2y = z2 * inv_tau, k2z = (a * (b * (g - y2) - z2) + fb) * inv_tau;
    const double y3 = y + h2 * k2y, z3 = z + h2 * k2z;
    const double k3y = z3 * inv_tau, k3z = (a * (b * (g - y3) - z3) + fc) * inv_tau;
    const double y4 = y + dt * k3y, z4 = z + dt * k3z;
    const double k4y = z4 * inv_tau, k4z = (a * (b * (g - y4) - z4) + fd) * inv_tau;
    y = y + h6 * (k1y + 2 * k2y + 2 * k3y + k4y);
    z = z + h6 * (k1z + 2 * k2z + 2 * k3z + k4z);
}

// one RK4 step for every row; f_q = dots_q s fs_q with fs_q = x_q / sum psi(x_q)
template <bool PerRow>
void rk4_rows(int rows, const double* __restrict yp, const double* __restrict zp, double* __restrict yn,
              double* __restrict zn, const double* __restrict d0, const double* __restrict d1,
              const double* __restrict d2, const double* __restrict d3, const double* __restrict s,
              const double* __restrict g, const double* __restrict al, const double* fs, double alpha, double beta,
              double ratio, double inv_tau, double dt)
{
    const double f0 = fs[0], f1 = fs[1], f2 = fs[2], f3 = fs[3];
    for (int j = 0; j < rows; ++j) {
        const double a = PerRow ? al[j] : alpha;
        const double b = PerRow ? al[j] * ratio : beta;
        double y = yp[j], z = zp[j];
        rk4_step(y, z, g[j], d0[j] * s[j] * f0, d1[j] * s[j] * f1, d2[j] * s[j] * f2, d3[j] * s[j] * f3, a, b,
                 inv_tau, dt);
        yn[j] = y;
        zn[j] = z;
    }
}

// one Euler step for every row (templated so the per-row-alpha branch leaves the inner loop)
template <bool PerRow>
void euler_rows(int rows, const double* __restrict yp, const double* __restrict zp, double* __restrict yn,
                double* __restrict zn, const double* __restrict d, const double* __restrict s,
                const double* __restrict g, const double* __restrict al, double x, double sum, double alpha,
                double beta, double ratio, double tau, double dt)
{
    for (int j = 0; j < rows; ++j) {
        const double a = PerRow ? al[j] : alpha;
        const double b = PerRow ? al[j] * ratio : beta;
        const double f = d[j] * x * s[j] / sum;
        double y = yp[j], z = zp[j];
        euler_step(y, z, g[j], f, a, b, tau, dt);
        yn[j] = y;
        zn[j] = z;
    }
}

// the transpose of one Euler step for every row, with the output cotangent of the earlier sample
// added on the way: lf = dt / tau lz, ly -= a b lf, lz += dt / tau ly - a lf, lg += a b lf
template <bool PerRow>
void euler_adjoint_rows(int rows, double* __restrict ly, double* __restrict lz, double* __restrict lg,
                        double* __restrict la, double* __restrict lf, const double* __restrict cot,
                        const double* __restrict yv, const double* __restrict zv, const double* __restrict g,
                        const double* __restrict al, double alpha,
                        double beta, double ratio, double c)
{
    for (int j = 0; j < rows; ++j) {
        const double a = PerRow ? al[j] : alpha;
        const double b = PerRow ? al[j] * ratio : beta;
        const double q = c * lz[j];
        const double lyj = ly[j];
        lf[j] = q;
        lg[j] += a * b * q;
        // d/da of a (b (g - y) - z) with b = ratio a
        if constexpr (PerRow) la[j] += q * (2 * ratio * a * (g[j] - yv[j]) - zv[j]);
        ly[j] = lyj - a * b * q + cot[j];
        lz[j] = lz[j] + c * lyj - a * q;
    }
}

// the transpose of one RK4 step for every row (stage cotangents in reverse order); with per-row
// alpha the stage states are recomputed from the sample state for the alpha gradient
template <bool PerRow>
void rk4_adjoint_rows(int rows, double* __restrict ly, double* __restrict lz, double* __restrict lg,
                      double* __restrict la, double* const* lf, const double* const* d, const double* fs,
                      const double* __restrict s, const double* __restrict yv, const double* __restrict zv,
                      const double* __restrict g, const double* __restrict al, double alpha, double beta,
                      double ratio, double inv_tau, double dt)
{
    const double c1 = dt / 6, c2 = dt / 3, h2 = 0.5 * dt;
    double* __restrict lf0 = lf[0];
    double* __restrict lf1 = lf[1];
    double* __restrict lf2 = lf[2];
    double* __restrict lf3 = lf[3];
    for (int j = 0; j < rows; ++j) {
        const double a = PerRow ? al[j] : alpha;
        const double b = PerRow ? al[j] * ratio : beta;
        const double ab = a * b;
        const double Ly = ly[j], Lz = lz[j];
        // stage k: input cotangent (py, pz) -> q = pz / tau; ly_k = -a b q, lz_k = py / tau - a q
        const double q4 = c1 * Lz * inv_tau;
        const double ly4 = -ab * q4, lz4 = c1 * Ly * inv_tau - a * q4;
        const double q3 = (c2 * Lz + dt * lz4) * inv_tau;
        const double ly3 = -ab * q3, lz3 = (c2 * Ly + dt * ly4) * inv_tau - a * q3;
        const double q2 = (c2 * Lz + h2 * lz3) * inv_tau;
        const double ly2 = -ab * q2, lz2 = (c2 * Ly + h2 * ly3) * inv_tau - a * q2;
        const double q1 = (c1 * Lz + h2 * lz2) * inv_tau;
        const double ly1 = -ab * q1, lz1 = (c1 * Ly + h2 * ly2) * inv_tau - a * q1;
        lf0[j] = q1;
        lf1[j] = q2;
        lf2[j] = q3;
        lf3[j] = q4;
        lg[j] += ab * (q1 + q2 + q3 + q4);
        if constexpr (PerRow) {
            const double f0 = d[0][j] * s[j] * fs[0], f1 = d[1][j] * s[j] * fs[1], f2 = d[2][j] * s[j] * fs[2];
            const double y1 = yv[j], z1 = zv[j];
            const double y2 = y1 + h2 * (z1 * inv_tau), z2 = z1 + h2 * ((a * (b * (g[j] - y1) - z1) + f0) * inv_tau);
            const double y3 = y1 + h2 * (z2 * inv_tau), z3 = z1 + h2 * ((a * (b * (g[j] - y2) - z2) + f1) * inv_tau);
            const double y4 = y1 + dt * (z3 * inv_tau), z4 = z1 + dt * ((a * (b * (g[j] - y3) - z3) + f2) * inv_tau);
            const double k = 2 * ratio * a;
            la[j] += q1 * (k * (g[j] - y1) - z1) + q2 * (k * (g[j] - y2) - z2) + q3 * (k * (g[j] - y3) - z3) +
                     q4 * (k * (g[j] - y4) - z4);
        }
        ly[j] = Ly + ly1 + ly2 + ly3 + ly4;
        lz[j] = Lz + lz1 + lz2 + lz3 + lz4;
    }
}

double kernel_value(Kernel k, double x, double c, double h)
{
    const double d = x - c;
    const double r2 = h * (d * d);
    switch (k) {
    case Kernel::GAUSSIAN: return std::exp(-h * (d * d));
    case Kernel::LINEAR: return std::sqrt(r2);
    case Kernel::MULTIQUADRIC: return std::sqrt(1 + r2);
    case Kernel::INVERSE_QUADRIC: return 1 / (1 + r2);
    case Kernel::INVERSE_MULTIQUADRIC: return 1 / std::sqrt(1 + r2);
    }
    return 0;
}

void check_in_range(double v, const char* name, double lo, double hi)
{
    if (!(v >= lo && v <= hi))
        throw std::invalid_argument(std::string(name) + " = " + common::format_double(v) + ": must be in [" +
                                    common::format_double(lo) + ", " + common::format_double(hi) + "]");
}

} // namespace

Kernel kernel_from_string(const std::string& s)
{
    if (s == "gaussian") return Kernel::GAUSSIAN;
    if (s == "linear") return Kernel::LINEAR;
    if (s == "multiquadric") return Kernel::MULTIQUADRIC;
    if (s == "inverse_quadric") return Kernel::INVERSE_QUADRIC;
    if (s == "inverse_multiquadric") return Kernel::INVERSE_MULTIQUADRIC;
    throw std::invalid_argument("unknown kernel \"" + s + "\"");
}

Integrator integrator_from_string(const std::string& s)
{
    if (s == "euler") return Integrator::EULER;
    if (s == "rk4") return Integrator::RK4;
    throw std::invalid_argument("unknown integrator \"" + s + "\"");
}

Scaling scaling_from_string(const std::string& s)
{
    if (s == "goal") return Scaling::GOAL;
    if (s == "none") return Scaling::NONE;
    if (s == "amplitude") return Scaling::AMPLITUDE;
    throw std::invalid_argument("unknown scaling \"" + s + "\"");
}

std::string to_string(Kernel k)
{
    switch (k) {
    case Kernel::GAUSSIAN: return "gaussian";
    case Kernel::LINEAR: return "linear";
    case Kernel::MULTIQUADRIC: return "multiquadric";
    case Kernel::INVERSE_QUADRIC: return "inverse_quadric";
    case Kernel::INVERSE_MULTIQUADRIC: return "inverse_multiquadric";
    }
    return "?";
}

std::string to_string(Integrator i) { return i == Integrator::EULER ? "euler" : "rk4"; }

std::string to_string(Scaling s)
{
    switch (s) {
    case Scaling::GOAL: return "goal";
    case Scaling::NONE: return "none";
    case Scaling::AMPLITUDE: return "amplitude";
    }
    return "?";
}

void validate_dmp_config(const DmpConfig& c)
{
    if (c.basis < 2 || c.basis > kMaxDmpBasis)
        throw std::invalid_argument("basis = " + std::to_string(c.basis) + ": must be in [2, " +
                                    std::to_string(kMaxDmpBasis) + "]");
    if (c.steps < 1 || c.steps > kMaxDmpSteps)
        throw std::invalid_argument("steps = " + std::to_string(c.steps) + ": must be in [1, " +
                                    std::to_string(kMaxDmpSteps) + "]");
    check_in_range(c.alpha, "alpha", kMinDmpConstant, kMaxDmpConstant);
    check_in_range(c.beta, "beta", kMinDmpConstant, kMaxDmpConstant);
    check_in_range(c.a_x, "a_x", kMinDmpConstant, kMaxDmpPhaseDecay);
    check_in_range(c.tau, "tau", kMinDmpConstant, kMaxDmpConstant);
    // one phase step multiplies x by 1 - a_x / steps (Euler): beyond 1 the phase turns negative
    if (c.a_x > c.steps)
        throw std::invalid_argument("a_x / steps = " + common::format_double(c.a_x / c.steps) +
                                    ": must be <= 1 (the discrete phase must stay >= 0 and decrease)");
    if (std::int64_t(c.basis) * (dmp_stages(c) + 1) > kMaxDmpKernelTable)
        throw std::invalid_argument("basis x (stages + 1) = " + std::to_string(std::int64_t(c.basis) * (dmp_stages(c) + 1)) +
                                    ": must be <= " + std::to_string(kMaxDmpKernelTable) +
                                    " (stages = steps for euler, 4 steps for rk4)");
}

bool euler_unstable(const DmpConfig& c, double alpha_max)
{
    return c.integrator == Integrator::EULER && c.tau / c.steps > 2 * c.tau / alpha_max;
}

void check_dmp_params(const DmpLayer& layer, const DmpParams& p)
{
    const int r = p.rows();
    if (r < 1 || r > kMaxDmpRows)
        throw std::invalid_argument("rows = " + std::to_string(r) + ": must be in [1, " + std::to_string(kMaxDmpRows) + "]");
    if (std::int64_t(r) * (layer.stages() + 1) > kMaxDmpTrajectoryDoubles)
        throw std::invalid_argument("rows x (stages + 1) = " + std::to_string(std::int64_t(r) * (layer.stages() + 1)) +
                                    ": must be <= " + std::to_string(kMaxDmpTrajectoryDoubles));
    if (p.weights.rows() != r || p.weights.cols() != layer.basis())
        throw std::invalid_argument("weights: need " + std::to_string(r) + " x " + std::to_string(layer.basis()));
    if (p.y0.size() != r || p.yd0.size() != r) throw std::invalid_argument("y0, yd0: need one entry per row");
    if (layer.config().scaling == Scaling::AMPLITUDE && p.amplitude.size() != r)
        throw std::invalid_argument("amplitude: need one entry per row for amplitude scaling");
    if (p.alpha.size() != 0 && p.alpha.size() != r)
        throw std::invalid_argument("alpha: need none or one entry per row");
}

DmpLayer::DmpLayer(const DmpConfig& config) : m_config(config)
{
    validate_dmp_config(m_config);
    const int n = m_config.basis, t = m_config.steps;
    const double ax = m_config.a_x, tau = m_config.tau;
    m_dt = tau / t;
    const double dt = m_dt;
    m_stages = m_config.integrator == Integrator::EULER ? t : 4 * t;

    // discrete phase: the sample phases and the phases at which the forcing is evaluated
    m_sample_phase.resize(t + 1);
    m_stage_phase.resize(m_stages + 1);
    double x = 1;
    m_sample_phase[0] = x;
    for (int s = 0; s < t; ++s) {
        if (m_config.integrator == Integrator::EULER) {
            x = x + (-ax * x / tau) * dt; // advanced first, as in the reference loop
            m_stage_phase[s] = x;
        } else {
            const double ka = -ax * x / tau;
            const double xb = x + 0.5 * dt * ka;
            const double kb = -ax * xb / tau;
            const double xc = x + 0.5 * dt * kb;
            const double kc = -ax * xc / tau;
            const double xd = x + dt * kc;
            const double kd = -ax * xd / tau;
            m_stage_phase[4 * s + 0] = x;
            m_stage_phase[4 * s + 1] = xb;
            m_stage_phase[4 * s + 2] = xc;
            m_stage_phase[4 * s + 3] = xd;
            x = x + dt / 6 * (ka + 2 * kb + 2 * kc + kd);
        }
        m_sample_phase[s + 1] = x;
    }
    // the extra phase needed for ydd at the one sample that is not a stage phase
    m_stage_phase[m_stages] = m_config.integrator == Integrator::EULER ? m_sample_phase[0] : m_sample_phase[t];

    // kernels, computed once for all rows and calls
    Eigen::VectorXd c(n), h(n);
    for (int i = 0; i < n; ++i) {
        c[i] = std::exp(-ax * (double(i) / double(n - 1)));
        h[i] = std::pow(double(n), 1.5) / c[i] / ax;
    }
    m_psi.resize(n, m_stages + 1);
    m_psi_sum.resize(m_stages + 1);
    m_features.resize(n, m_stages + 1);
    m_feature_scale.resize(m_stages + 1);
    for (int k = 0; k <= m_stages; ++k) {
        const double xk = m_stage_phase[k];
        double sum = 0;
        for (int i = 0; i < n; ++i) {
            m_psi(i, k) = kernel_value(m_config.kernel, xk, c[i], h[i]);
            sum += m_psi(i, k);
        }
        if (!(sum > 0) || !std::isfinite(sum))
            throw std::invalid_argument("kernel sum is not positive at phase " + common::format_double(xk) +
                                        " (a_x too large for this basis)");
        m_psi_sum[k] = sum;
        m_feature_scale[k] = xk / sum;
        for (int i = 0; i < n; ++i) m_features(i, k) = m_psi(i, k) * xk / sum;
    }
}

Eigen::VectorXd DmpLayer::sample_features(int n) const
{
    assert(n >= 0 && n <= steps());
    int k = 0;
    if (m_config.integrator == Integrator::EULER) k = n == 0 ? m_stages : n - 1;
    else k = n == steps() ? m_stages : 4 * n;
    return m_features.col(k);
}

void DmpLayer::compute_scale(const DmpParams& p, DmpWorkspace& ws) const
{
    const int r = p.rows();
    ws.s.resize(r);
    switch (m_config.scaling) {
    case Scaling::GOAL: ws.s = p.goal - p.y0; break;
    case Scaling::NONE: ws.s.setOnes(); break;
    case Scaling::AMPLITUDE: ws.s = p.amplitude; break;
    }
}

void DmpLayer::compute_dots(const DmpParams& p, DmpWorkspace& ws) const
{
    // dots(r, k) = sum_i w_ri psi_i(x_k), summed in basis order (as the reference loop does)
    ws.dots.resize(p.rows(), m_stages + 1);
    ordered_product(p.rows(), basis(), m_stages + 1, p.weights.data(), m_psi.data(), 1, basis(), ws.dots.data());
}

void DmpLayer::forward(const DmpParams& p, DmpTrajectory& out, DmpWorkspace& ws, bool derivatives) const
{
    check_dmp_params(*this, p);
    const int rows = p.rows(), t = steps();
    const double tau = m_config.tau, dt = m_dt;
    const bool per_row = p.alpha.size() != 0;
    const double ratio = m_config.beta / m_config.alpha;

    compute_scale(p, ws);
    compute_dots(p, ws);
    out.y.resize(rows, t + 1);
    ws.z.resize(rows, t + 1);
    out.y.col(0) = p.y0;
    ws.z.col(0) = p.yd0 * tau;

    const double* g = p.goal.data();
    const double* s = ws.s.data();
    const double* al = per_row ? p.alpha.data() : nullptr;
    for (int n = 0; n < t; ++n) {
        const double* yp = out.y.col(n).data();
        const double* zp = ws.z.col(n).data();
        double* yn = out.y.col(n + 1).data();
        double* zn = ws.z.col(n + 1).data();
        if (m_config.integrator == Integrator::EULER) {
            const double x = m_stage_phase[n], sum = m_psi_sum[n];
            const double* d = ws.dots.col(n).data();
            if (per_row) euler_rows<true>(rows, yp, zp, yn, zn, d, s, g, al, x, sum, m_config.alpha, m_config.beta, ratio, tau, dt);
            else euler_rows<false>(rows, yp, zp, yn, zn, d, s, g, al, x, sum, m_config.alpha, m_config.beta, ratio, tau, dt);
        } else {
            const double* fs = m_feature_scale.data() + 4 * n;
            const double* d0 = ws.dots.col(4 * n).data();
            const double* d1 = ws.dots.col(4 * n + 1).data();
            const double* d2 = ws.dots.col(4 * n + 2).data();
            const double* d3 = ws.dots.col(4 * n + 3).data();
            if (per_row)
                rk4_rows<true>(rows, yp, zp, yn, zn, d0, d1, d2, d3, s, g, al, fs, m_config.alpha, m_config.beta, ratio, 1 / tau, dt);
            else
                rk4_rows<false>(rows, yp, zp, yn, zn, d0, d1, d2, d3, s, g, al, fs, m_config.alpha, m_config.beta, ratio, 1 / tau, dt);
        }
    }

    // the alpha gradient needs the positions as well
    if (per_row) ws.y = out.y;
    if (!derivatives) return;
    // velocities and accelerations at the samples
    out.yd = ws.z / tau;
    out.ydd.resize(rows, t + 1);
    for (int n = 0; n <= t; ++n) {
        int k = 0;
        if (m_config.integrator == Integrator::EULER) k = n == 0 ? m_stages : n - 1;
        else k = n == t ? m_stages : 4 * n;
        const double x = m_stage_phase[k], sum = m_psi_sum[k];
        for (int j = 0; j < rows; ++j) {
            const double a = per_row ? al[j] : m_config.alpha;
            const double b = per_row ? al[j] * ratio : m_config.beta;
            const double f = ws.dots(j, k) * x * s[j] / sum;
            out.ydd(j, n) = ((a * (b * (g[j] - out.y(j, n)) - ws.z(j, n)) + f) / tau) / tau;
        }
    }
}

void DmpLayer::vjp(const DmpParams& p, DmpWorkspace& ws, const Eigen::MatrixXd& cot_y, DmpGradient& grad) const
{
    check_dmp_params(*this, p);
    const int rows = p.rows(), t = steps(), n_basis = basis();
    if (cot_y.rows() != rows || cot_y.cols() != t + 1)
        throw std::invalid_argument("DmpLayer::vjp: cotangent must be rows x (steps + 1)");
    const bool per_row = p.alpha.size() != 0;
    if (ws.dots.rows() != rows || ws.dots.cols() != m_stages + 1 || ws.z.rows() != rows ||
        (per_row && ws.y.rows() != rows))
        throw std::invalid_argument("DmpLayer::vjp: call forward() with this workspace first");
    const double tau = m_config.tau, dt = m_dt;
    const double ratio = m_config.beta / m_config.alpha;

    grad.goal.setZero(rows);
    grad.alpha.setZero(per_row ? rows : 0);
    ws.adj_f.resize(rows, m_stages);
    ws.ly = cot_y.col(t);
    ws.lz.setZero(rows);
    const double* g = p.goal.data();
    double* ly = ws.ly.data();
    double* lz = ws.lz.data();
    double* lg = grad.goal.data();
    double* la = per_row ? grad.alpha.data() : nullptr;

    // reverse sweep over the steps: the exact transpose of the forward step
    for (int n = t - 1; n >= 0; --n) {
        const double* zv = ws.z.col(n).data();
        const double* yv = per_row ? ws.y.col(n).data() : nullptr;
        if (m_config.integrator == Integrator::EULER) {
            double* lf = ws.adj_f.col(n).data();
            const double* cot = cot_y.col(n).data();
            const double* al = per_row ? p.alpha.data() : nullptr;
            if (per_row)
                euler_adjoint_rows<true>(rows, ly, lz, lg, la, lf, cot, yv, zv, g, al, m_config.alpha, m_config.beta, ratio, dt / tau);
            else
                euler_adjoint_rows<false>(rows, ly, lz, lg, la, lf, cot, yv, zv, g, al, m_config.alpha, m_config.beta, ratio, dt / tau);
            continue;
        } else {
            double* lf[4];
            for (int q = 0; q < 4; ++q) lf[q] = ws.adj_f.col(4 * n + q).data();
            const double* d[4];
            for (int q = 0; q < 4; ++q) d[q] = ws.dots.col(4 * n + q).data();
            const double* fs = m_feature_scale.data() + 4 * n;
            const double* al = per_row ? p.alpha.data() : nullptr;
            if (per_row)
                rk4_adjoint_rows<true>(rows, ly, lz, lg, la, lf, d, fs, ws.s.data(), yv, zv, g, al, m_config.alpha,
                                       m_config.beta, ratio, 1 / tau, dt);
            else
                rk4_adjoint_rows<false>(rows, ly, lz, lg, la, lf, d, fs, ws.s.data(), yv, zv, g, al, m_config.alpha,
                                        m_config.beta, ratio, 1 / tau, dt);
        }
        ws.ly += cot_y.col(n);
    }

    // forcing cotangents -> weights (one matrix product) and the forcing scale s
    grad.weights.resize(rows, n_basis);
    ordered_product(rows, m_stages, n_basis, ws.adj_f.data(), m_features.data(), n_basis, 1, grad.weights.data());
    grad.weights = ws.s.asDiagonal() * grad.weights;
    grad.y0 = ws.ly;
    grad.yd0 = tau * ws.lz;
    if (m_config.scaling == Scaling::GOAL) {
        // ds_r = sum_k lf_rk dots_rk x_k / sum psi_k (column loop, no temporary)
        ws.ds.setZero(rows);
        double* ds = ws.ds.data();
        for (int k = 0; k < m_stages; ++k) {
            const double* lf = ws.adj_f.col(k).data();
            const double* d = ws.dots.col(k).data();
            const double fs = m_feature_scale[k];
            for (int j = 0; j < rows; ++j) ds[j] += lf[j] * d[j] * fs;
        }
        grad.goal += ws.ds;
        grad.y0 -= ws.ds;
    }
}

void DmpLayer::jacobian(const DmpParams& p, std::vector<Eigen::MatrixXd>& jac) const
{
    check_dmp_params(*this, p);
    const int rows = p.rows(), t = steps(), n_basis = basis(), np = n_basis + 3;
    const double tau = m_config.tau, dt = m_dt;
    const double ratio = m_config.beta / m_config.alpha;
    DmpWorkspace ws;
    compute_scale(p, ws);
    compute_dots(p, ws);
    jac.resize(rows);
    // tangent state for every parameter column: dy, dz, and the forcing tangents at one step
    Eigen::VectorXd dy(np), dz(np), dg = Eigen::VectorXd::Zero(np);
    Eigen::MatrixXd df(np, 4);
    dg[n_basis] = 1;
    // ds/dparam for the goal scaling (s = g - y0); zero for the fixed scalings
    Eigen::VectorXd ds = Eigen::VectorXd::Zero(np);
    if (m_config.scaling == Scaling::GOAL) {
        ds[n_basis] = 1;
        ds[n_basis + 1] = -1;
    }
    const int per_step = m_config.integrator == Integrator::EULER ? 1 : 4;
    for (int j = 0; j < rows; ++j) {
        const double a = p.alpha.size() ? p.alpha[j] : m_config.alpha;
        const double b = p.alpha.size() ? p.alpha[j] * ratio : m_config.beta;
        Eigen::MatrixXd& J = jac[j];
        J.resize(t + 1, np);
        dy.setZero();
        dz.setZero();
        dy[n_basis + 1] = 1;
        dz[n_basis + 2] = tau;
        J.row(0) = dy.transpose();
        for (int n = 0; n < t; ++n) {
            // forcing tangents: df/dw_i = feature_i s, df/ds = dots x / sum psi
            for (int q = 0; q < per_step; ++q) {
                const int k = per_step * n + q;
                df.col(q).head(n_basis) = m_features.col(k) * ws.s[j];
                df.col(q).tail(3) = ds.tail(3) * (ws.dots(j, k) * m_feature_scale[k]);
            }
            for (int c = 0; c < np; ++c) {
                if (per_step == 1) euler_step(dy[c], dz[c], dg[c], df(c, 0), a, b, tau, dt);
                else rk4_step(dy[c], dz[c], dg[c], df(c, 0), df(c, 1), df(c, 2), df(c, 3), a, b, 1 / tau, dt);
            }
            J.row(n + 1) = dy.transpose();
        }
    }
}

} // namespace podsim::policy
