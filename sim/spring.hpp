#pragma once
// Element energies of springs between two nodes: bilateral springs and unilateral cables
// (pull only), with gradient and Hessian as free functions for dimension D = 2 or 3.

#include "sim/types.hpp"

#include <cmath>

namespace podsim::sim {

namespace detail {
// unit direction and length of xi - xj; a degenerate (zero-length) spring gets the x axis so
// that nothing becomes NaN
template <int D> inline double direction(const Vec<D>& xi, const Vec<D>& xj, Vec<D>& u)
{
    u = xi - xj;
    const double l = u.norm();
    if (l > 0) {
        u /= l;
    } else {
        u.setZero();
        u[0] = 1;
    }
    return l;
}
} // namespace detail

/// Bilateral spring energy k/2 (l - L)^2, l = |xi - xj|. Units: k in N/m, L in m.
template <int D> inline double spring_energy(const Vec<D>& xi, const Vec<D>& xj, double k, double L)
{
    const double s = (xi - xj).norm() - L;
    return 0.5 * k * s * s;
}

/// Gradient with respect to xi, k (l - L) u with u = (xi - xj) / l; the gradient with respect
/// to xj is its negative (the element's forces sum to zero).
template <int D>
inline Vec<D> spring_energy_gradient(const Vec<D>& xi, const Vec<D>& xj, double k, double L)
{
    Vec<D> u;
    const double l = detail::direction<D>(xi, xj, u);
    return k * (l - L) * u;
}

/// Hessian block B = d2E/dxi2 = k [u u^T + (1 - L/l)(I - u u^T)]; the element Hessian over
/// (xi, xj) is [B, -B; -B, B]. With `project`, the factor (1 - L/l) of a compressed spring is
/// clamped at 0, which makes B (and the element Hessian) positive semi-definite.
template <int D>
inline Mat<D> spring_energy_hessian(const Vec<D>& xi, const Vec<D>& xj, double k, double L,
                                    bool project)
{
    Vec<D> u;
    const double l = detail::direction<D>(xi, xj, u);
    double c = l > 0 ? 1 - L / l : 0;
    if (project && c < 0) c = 0;
    const Mat<D> uu = u * u.transpose();
    return k * (uu + c * (Mat<D>::Identity() - uu));
}

/// Width of the transition band of a compression-weak spring, as a strain: its stiffness goes
/// from k at the rest length to ratio * k at l = (1 - kCompressionBand) L.
inline constexpr double kCompressionBand = 1e-3;

namespace detail {
// the scalar profile of a compression-weak spring in s = l - L: energy psi(s), force psi'(s),
// stiffness psi''(s)
struct SpringProfile {
    double energy = 0, force = 0, stiffness = 0;
};
inline SpringProfile weak_compression_profile(double s, double k, double L, double ratio)
{
    if (s >= 0) return {0.5 * k * s * s, k * s, k};
    // psi''(s) = k (r + (1 - r) S(t)), S(t) = 3t^2 - 2t^3 the smoothstep, t = 1 + s / delta
    // clamped to [0, 1]; psi' and psi are its integrals from s = 0, with P = int_0^t S = t^3 - t^4/2
    // and Q = int_0^t P = t^4/4 - t^5/10 (below the band psi is quadratic again)
    const double delta = kCompressionBand * L;
    const double t = s <= -delta ? 0.0 : 1 + s / delta;
    const double t2 = t * t;
    const double S = t2 * (3 - 2 * t);
    const double P = t2 * t * (1 - 0.5 * t);
    const double Q = t2 * t2 * (0.25 - 0.1 * t);
    const double c = (1 - ratio) * k * delta;
    return {0.5 * ratio * k * s * s - c * (0.5 * s + delta * (0.15 - Q)), ratio * k * s - c * (0.5 - P),
            k * (ratio + (1 - ratio) * S)};
}
} // namespace detail

/// Compression-weak bilateral spring: the energy psi(l - L) has stiffness psi'' = k in tension
/// (l >= L, where it equals spring_energy) and ratio * k beyond a compression band of width
/// delta = kCompressionBand * L, joined by a smoothstep of the stiffness over the band, so psi
/// is C3 (its Hessian continuous). Below the band psi(s) = ratio k s^2 / 2 - (1 - ratio) k delta
/// (s / 2 + 3 delta / 20): a sheet of such springs resists stretching like spring_energy but
/// buckles under ratio times the load. ratio in (0, 1]; 1 gives spring_energy's values.
template <int D>
inline double weak_compression_spring_energy(const Vec<D>& xi, const Vec<D>& xj, double k, double L,
                                             double ratio)
{
    return detail::weak_compression_profile((xi - xj).norm() - L, k, L, ratio).energy;
}

/// Gradient with respect to xi, psi'(l - L) u with u = (xi - xj) / l (minus that for xj).
template <int D>
inline Vec<D> weak_compression_spring_energy_gradient(const Vec<D>& xi, const Vec<D>& xj, double k,
                                                      double L, double ratio)
{
    Vec<D> u;
    const double l = detail::direction<D>(xi, xj, u);
    return detail::weak_compression_profile(l - L, k, L, ratio).force * u;
}

/// Hessian block B = psi'' u u^T + psi' / l (I - u u^T) (element Hessian [B, -B; -B, B]). With
/// `project`, the transverse factor psi' / l of a compressed spring is clamped at 0 (psi'' > 0
/// always), which makes B positive semi-definite.
template <int D>
inline Mat<D> weak_compression_spring_energy_hessian(const Vec<D>& xi, const Vec<D>& xj, double k,
                                                     double L, double ratio, bool project)
{
    Vec<D> u;
    const double l = detail::direction<D>(xi, xj, u);
    const detail::SpringProfile p = detail::weak_compression_profile(l - L, k, L, ratio);
    double c = l > 0 ? p.force / l : 0;
    if (project && c < 0) c = 0;
    const Mat<D> uu = u * u.transpose();
    return p.stiffness * uu + c * (Mat<D>::Identity() - uu);
}

/// Unilateral spring (cable) energy: k/2 (l - L)^2 when l > L, zero when slack (pulls, never
/// pushes). C1 at l = L; its Hessian jumps there.
template <int D> inline double cable_energy(const Vec<D>& xi, const Vec<D>& xj, double k, double L)
{
    const double s = (xi - xj).norm() - L;
    return s > 0 ? 0.5 * k * s * s : 0.0;
}

/// Gradient of cable_energy with respect to xi (zero when slack).
template <int D>
inline Vec<D> cable_energy_gradient(const Vec<D>& xi, const Vec<D>& xj, double k, double L)
{
    Vec<D> u;
    const double l = detail::direction<D>(xi, xj, u);
    return l > L ? Vec<D>(k * (l - L) * u) : Vec<D>::Zero();
}

/// Hessian block of cable_energy (zero when slack; when taut 1 - L/l > 0 so it is PSD).
template <int D>
inline Mat<D> cable_energy_hessian(const Vec<D>& xi, const Vec<D>& xj, double k, double L)
{
    if ((xi - xj).norm() <= L) return Mat<D>::Zero();
    return spring_energy_hessian<D>(xi, xj, k, L, false);
}

} // namespace podsim::sim
