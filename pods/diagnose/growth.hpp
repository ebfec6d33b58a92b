#pragma once
// How a horizon of transitions stretches perturbations: the largest singular value of each
// one-step map and of the accumulated map dz_N/dz_t for every t, and the finite-time Lyapunov
// exponent (docs/diagnostics.md explains the method and its accuracy).

#include <Eigen/Core>

namespace podsim::pods {

/// sigma_1(m), the spectral norm (0 for an empty matrix): a dense values-only SVD up to
/// kDenseSigmaMaxSize rows or columns, above it Golub-Kahan-Lanczos bidiagonalisation with full
/// reorthogonalisation (O(k n^2) for k steps instead of O(n^3)), stopped when the top Ritz value
/// stagnates to kLanczosTolerance relative, with the dense SVD as the fallback if that does not
/// happen in kLanczosMaxSteps steps.
double largest_singular_value(const Eigen::MatrixXd& m);
inline constexpr int kDenseSigmaMaxSize = 48;
inline constexpr int kLanczosMaxSteps = 80;
inline constexpr double kLanczosTolerance = 1e-13;

/// Backward accumulation of the transitions A_0..A_{N-1} of a horizon (square, all the same size):
///   Phi(N, N) = I,   Phi(N, t) = Phi(N, t+1) A_t,
/// kept as Phi = e^c M with |M|_F = 1 so that growth or decay over long horizons neither
/// overflows nor underflows. sigma_1(Phi(N, t)) is read from a values-only SVD of M: the largest
/// singular value is normwise well conditioned, so it keeps full relative accuracy unless the
/// product first grows and then cancels (each product adds an error of at most
/// eps |Phi(N, t+1)| |A_t|).
class GrowthAccumulator {
public:
    /// Transitions of size n x n.
    explicit GrowthAccumulator(int n);

    /// Multiplies in A_t; call for t = N-1 down to 0. After the call, log_sigma() is
    /// ln sigma_1(Phi(N, t)) (-infinity if the product vanished).
    void push(const Eigen::MatrixXd& a);
    double log_sigma() const { return m_log_sigma; }
    /// Number of transitions multiplied in so far (N - t).
    int steps() const { return m_steps; }

private:
    Eigen::MatrixXd m_product, m_next;
    double m_log_scale = 0;
    double m_log_sigma = 0;
    int m_steps = 0;
};

/// The finite-time Lyapunov exponent of a map over `steps` steps of length dt:
/// ln sigma_1 / (steps dt), in 1/s (> 0: perturbations grow; < 0: they shrink).
inline double finite_time_lyapunov(double log_sigma, int steps, double dt) { return log_sigma / (steps * dt); }

} // namespace podsim::pods
