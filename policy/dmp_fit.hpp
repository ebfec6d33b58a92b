#pragma once
// Ridge-regression fit of DMP weights from one demonstration (positions sampled in time;
// velocities and accelerations by finite differences on the DMP's own time grid).

#include "policy/dmp_io.hpp"
#include "policy/dmp_model.hpp"

namespace podsim::policy {

struct DmpFitOptions {
    /// basis, kernel, alpha, beta, a_x, integrator and scaling are used; tau and steps are
    /// derived from the demonstration (tau = duration, steps = samples - 1 unless `steps` > 0).
    DmpConfig config;
    int steps = 0;
    /// Ridge term lambda = ridge * trace(A^T A) / basis (relative, so it does not depend on units).
    double ridge = 1e-9;
    /// Goal per dimension; empty: the last sample (the usual choice for a stroke that ends at rest).
    Eigen::VectorXd goal;
};

struct DmpFitResult {
    DmpModel dmp;
    /// Largest |y_dmp(t_n) - y_demo(t_n)| over the grid and dimensions (demo interpolated).
    double max_error = 0;
    /// max_error divided by the largest per-dimension range of the demonstration.
    double relative_error = 0;
};

/// Fits one DMP row per demonstration dimension: y0 = first sample, goal = last sample (or given).
/// Euler: forcing targets from forward differences that make the Euler recursion reproduce the
/// resampled demonstration exactly when the forcing is representable:
///   z_n = tau (y_{n+1} - y_n) / dt,  f_n = tau (z_{n+1} - z_n) / dt - alpha (beta (g - y_n) - z_n)
/// at the stage phase x_{n+1}. RK4: second-order central differences for yd and ydd and
/// f_n = tau^2 ydd_n - alpha (beta (g - y_n) - tau yd_n) at the sample phase x_n.
/// Throws std::invalid_argument for scaling "goal" when goal == start in some dimension
/// (|g - y0| <= 1e-9 times the range): the forcing would vanish silently.
DmpFitResult fit_dmp(const Demonstration& demo, const DmpFitOptions& options);

/// The demonstration resampled at t_0 + n tau / steps (n = 0..steps) with monotone-free cubic
/// Hermite interpolation (three-point slopes); exact at samples that fall on the grid.
Eigen::MatrixXd resample_demo(const Demonstration& demo, int steps);

} // namespace podsim::policy
