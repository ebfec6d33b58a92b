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
