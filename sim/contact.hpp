#pragma once
// Frictional contact of free nodes with plane obstacles (docs/simulation.md, "Contact"): a C2
// penalty energy of the signed distance, a viscous dissipation potential of the step's normal
// displacement and a smoothed Coulomb friction dissipation potential of its tangential
// displacement, after Geilinger et al. 2020 (ADD), as free per-node kernels for D = 2 or 3 and as
// the ContactTerm of the step energy.

#include "sim/energy_term.hpp"
#include "sim/model.hpp"
#include "sim/types.hpp"

#include <cmath>

namespace podsim::sim {

/// Penalty energy of a node at signed distance d from a plane (d > 0 on the normal's side),
/// stiffness k (N/m) and smoothing width s (m):
///   e(d) = 0                              d >= s
///        = k (s - d)^3 / (6 s)            0 <= d < s
///        = k (d^2 / 2 - s d / 2 + s^2/6)  d < 0
/// C2 everywhere; the normal force f_n = -e'(d) >= 0 fades in quadratically over [0, s] and
/// grows like k (s/2 - d) inside the plane.
inline double penalty_energy(double d, double k, double s)
{
    if (d >= s) return 0;
    if (d >= 0) return k * (s - d) * (s - d) * (s - d) / (6 * s);
    return k * (0.5 * d * d - 0.5 * s * d + s * s / 6);
}

/// e'(d) = -f_n(d) (<= 0).
inline double penalty_energy_gradient(double d, double k, double s)
{
    if (d >= s) return 0;
    if (d >= 0) return -k * (s - d) * (s - d) / (2 * s);
    return k * (d - 0.5 * s);
}

/// e''(d) (>= 0, continuous).
inline double penalty_energy_hessian(double d, double k, double s)
{
    if (d >= s) return 0;
    if (d >= 0) return k * (s - d) / s;
    return k;
}

/// Smoothed length of a sliding displacement r = |u| >= 0 with threshold e > 0:
///   phi(r) = r^2 / e - r^3 / (3 e^2)  (r < e),   r - e / 3  (r >= e).
/// phi'(r) = 2 r/e - r^2/e^2 rises from 0 to 1 over [0, e] and is 1 after: Coulomb's unit
/// force direction with the jump at r = 0 smoothed (C2 in r, C1 force).
inline double friction_length(double r, double e)
{
    return r < e ? r * r / e - r * r * r / (3 * e * e) : r - e / 3;
}

/// psi(r) = phi'(r) / r, finite at 0: 2/e - r/e^2 (r < e), 1/r (r >= e).
inline double friction_length_ratio(double r, double e)
{
    return r < e ? 2 / e - r / (e * e) : 1 / r;
}

/// r psi'(r): -r/e^2 (r < e), -1/r (r >= e); the coefficient of u u^T / r^2 in d(psi u)/du.
inline double friction_length_ratio_slope(double r, double e)
{
    return r < e ? -r / (e * e) : -1 / r;
}

/// Weight of the normal damping at signed distance d, smoothing width s:
///   w(d) = 1 (d <= 0),   (1 - t)^2 (1 + 2 t) with t = d / s (0 < d < s),   0 (d >= s).
/// C1, falls from 1 to 0 across the zone where the normal force fades in.
inline double damping_weight(double d, double s)
{
    if (d >= s) return 0;
    if (d <= 0) return 1;
    const double t = d / s;
    return (1 - t) * (1 - t) * (1 + 2 * t);
}

/// w'(d) (<= 0, continuous): -6 t (1 - t) / s inside the zone, 0 outside.
inline double damping_weight_gradient(double d, double s)
{
    if (d >= s || d <= 0) return 0;
    const double t = d / s;
    return -6 * t * (1 - t) / s;
}

/// The viscous coefficient per unit of step displacement of a node of mass m, b = c / h with
/// c = 2 zeta sqrt(k m) (N s/m), N/m: the damping force of a step is -b w (n.(x - y)) n, that is
/// -c w times the normal velocity (x - y) / h.
inline double damping_coefficient(double damping_ratio, double stiffness, double mass, double dt)
{
    return 2 * damping_ratio * std::sqrt(stiffness * mass) / dt;
}

/// One plane in the kernels' form (unit normal), for one node (the damping depends on its mass).
template <int D> struct PlaneParams {
    Vec<D> point, normal;
    double stiffness = 0;  ///< k, N/m
    double friction = 0;   ///< mu
    double smoothing = 0;  ///< s, m
    double slip = 0;       ///< e = friction_smoothing * dt, m: tangential displacement per step below which friction is smoothed
    double damping = 0;    ///< b = damping_coefficient(zeta, k, m, dt), N/m

    static PlaneParams from(const ContactPlane& c, double dt, double mass)
    {
        return {c.point.head<D>(), c.normal.head<D>(), c.stiffness, c.friction, c.smoothing,
                c.friction_smoothing * dt, damping_coefficient(c.damping_ratio, c.stiffness, mass, dt)};
    }
};

/// Contact energy of one free node at x (end of the step) that started the step at y:
///   c(x, y) = e(n.(x - o)) + b/2 w(n.(y - o)) (n.(x - y))^2 + mu f_n(n.(y - o)) phi(|T (x - y)|),
///   T = I - n n^T.
/// The damping term is the dissipation potential of the step's normal displacement
/// delta = n.(x - y): its force -b w delta n is a viscous force -c w v_n on the normal velocity
/// v_n = delta / h. The friction term is the dissipation potential of the step's sliding
/// displacement u = T (x - y); its force -mu f_n phi'(|u|) u/|u| has magnitude mu f_n once the
/// node slides faster than friction_smoothing. Both take their contact state (w, f_n) at the
/// start of the step (lagged by one step), so the step stays a minimisation with a symmetric,
/// positive semi-definite contact Hessian.
template <int D> inline double contact_energy(const PlaneParams<D>& c, const Vec<D>& x, const Vec<D>& y)
{
    const double d = c.normal.dot(x - c.point), dy = c.normal.dot(y - c.point);
    double value = penalty_energy(d, c.stiffness, c.smoothing);
    const Vec<D> w = x - y;
    const double delta = c.normal.dot(w);
    if (c.damping > 0) value += 0.5 * c.damping * damping_weight(dy, c.smoothing) * delta * delta;
    const double fn = -penalty_energy_gradient(dy, c.stiffness, c.smoothing);
    if (fn > 0 && c.friction > 0) value += c.friction * fn * friction_length((w - delta * c.normal).norm(), c.slip);
    return value;
}

/// dc/dx = e'(d) n + b w(d(y)) delta n + mu f_n(y) psi(|u|) u.
template <int D> inline Vec<D> contact_energy_gradient(const PlaneParams<D>& c, const Vec<D>& x, const Vec<D>& y)
{
    const double d = c.normal.dot(x - c.point), dy = c.normal.dot(y - c.point);
    double along = penalty_energy_gradient(d, c.stiffness, c.smoothing);
    const Vec<D> w = x - y;
    const double delta = c.normal.dot(w);
    if (c.damping > 0) along += c.damping * damping_weight(dy, c.smoothing) * delta;
    Vec<D> g = along * c.normal;
    const double fn = -penalty_energy_gradient(dy, c.stiffness, c.smoothing);
    if (fn > 0 && c.friction > 0) {
        const Vec<D> u = w - delta * c.normal;
        g += (c.friction * fn * friction_length_ratio(u.norm(), c.slip)) * u;
    }
    return g;
}

namespace detail {
// the friction block mu f_n [psi T + r psi'(r) uhat uhat^T] (PSD)
template <int D> inline Mat<D> friction_hessian(const PlaneParams<D>& c, double fn, const Vec<D>& u)
{
    const double r = u.norm();
    const Mat<D> t = Mat<D>::Identity() - c.normal * c.normal.transpose();
    Mat<D> h = friction_length_ratio(r, c.slip) * t;
    if (r > 0) h += (friction_length_ratio_slope(r, c.slip) / (r * r)) * (u * u.transpose());
    return (c.friction * fn) * h;
}
} // namespace detail

/// d2c/dx2 = [e''(d) + b w(d(y))] n n^T + mu f_n(y) [psi T + r psi'(r) uhat uhat^T]; positive
/// semi-definite (the friction block's eigenvalues are mu f_n (phi'' , psi) >= 0 in the plane,
/// 0 along n).
template <int D> inline Mat<D> contact_energy_hessian(const PlaneParams<D>& c, const Vec<D>& x, const Vec<D>& y)
{
    const double d = c.normal.dot(x - c.point), dy = c.normal.dot(y - c.point);
    const double along = penalty_energy_hessian(d, c.stiffness, c.smoothing) + c.damping * damping_weight(dy, c.smoothing);
    Mat<D> h = along * (c.normal * c.normal.transpose());
    const double fn = -penalty_energy_gradient(dy, c.stiffness, c.smoothing);
    if (fn > 0 && c.friction > 0) {
        const Vec<D> w = x - y;
        h += detail::friction_hessian<D>(c, fn, w - c.normal.dot(w) * c.normal);
    }
    return h;
}

/// d2c/dx dy (row: x, column: y): the damping gives b [w'(d(y)) delta - w(d(y))] n n^T, the
/// sliding displacement minus the friction block, the lagged normal force
/// -mu e''(n.(y - o)) psi(|u|) u n^T. Not symmetric. Zero unless the node starts the step in
/// the smoothing zone or below it (d(y) < s).
template <int D>
inline Mat<D> contact_energy_start_hessian(const PlaneParams<D>& c, const Vec<D>& x, const Vec<D>& y)
{
    const double dy = c.normal.dot(y - c.point);
    if (dy >= c.smoothing) return Mat<D>::Zero();
    const Vec<D> w = x - y;
    const double delta = c.normal.dot(w);
    const double along = c.damping * (damping_weight_gradient(dy, c.smoothing) * delta - damping_weight(dy, c.smoothing));
    Mat<D> h = along * (c.normal * c.normal.transpose());
    const double fn = -penalty_energy_gradient(dy, c.stiffness, c.smoothing);
    if (fn > 0 && c.friction > 0) {
        const Vec<D> u = w - delta * c.normal;
        const double lag = -c.friction * penalty_energy_hessian(dy, c.stiffness, c.smoothing) *
                           friction_length_ratio(u.norm(), c.slip);
        h += -detail::friction_hessian<D>(c, fn, u) + lag * (u * c.normal.transpose());
    }
    return h;
}

/// Every plane of the model acting on every free node, as a term of the step energy; it
/// touches only the diagonal node blocks of the Hessian and depends on the start positions y
/// through damping and friction.
class ContactTerm final : public EnergyTerm {
public:
    explicit ContactTerm(const Model& model);

    void add_energy(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double& energy,
                    Eigen::VectorXd* gradient) const override;
    void add_hessian(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale, bool project,
                     BlockMatrix& matrix) const override;
    void add_start_product(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale,
                           const Eigen::Ref<const Eigen::MatrixXd>& in,
                           Eigen::Ref<Eigen::MatrixXd> out) const override;
    void add_start_product_transpose(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale,
                                     const Eigen::Ref<const Eigen::MatrixXd>& in,
                                     Eigen::Ref<Eigen::MatrixXd> out) const override;
    bool depends_on_start() const override { return m_dissipative; }

private:
    const Model* m_model;
    bool m_dissipative = false; // some plane has mu > 0 or zeta > 0
};

} // namespace podsim::sim
