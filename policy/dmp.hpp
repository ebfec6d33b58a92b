#pragma once
// The DMP layer (NDP paper eq. 1-3, appendix A.2): a batch of one-dimensional discrete DMPs
// ("rows") sharing one phase, integrated with Euler (the NDP reference loop) or RK4, with exact
// derivatives of the discrete trajectory (forward tangent recursion and its transpose).

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

namespace podsim::policy {

enum class Kernel { GAUSSIAN, LINEAR, MULTIQUADRIC, INVERSE_QUADRIC, INVERSE_MULTIQUADRIC };
enum class Integrator { EULER, RK4 };
enum class Scaling { GOAL, NONE, AMPLITUDE };

/// "gaussian", "linear", "multiquadric", "inverse_quadric", "inverse_multiquadric".
Kernel kernel_from_string(const std::string& s);
/// "euler", "rk4".
Integrator integrator_from_string(const std::string& s);
/// "goal", "none", "amplitude".
Scaling scaling_from_string(const std::string& s);
std::string to_string(Kernel k);
std::string to_string(Integrator i);
std::string to_string(Scaling s);

/// The system (per row, time t in [0, tau]):
///   tau z' = alpha (beta (g - y) - z) + f(x),   tau y' = z,   tau x' = -a_x x,   x(0) = 1,
///   f(x) = (sum_i psi_i(x) w_i / sum_i psi_i(x)) x s,
/// with s = g - y0 (GOAL, NDP), 1 (NONE) or a fixed per-row amplitude (AMPLITUDE).
/// Kernels use r2 = h_i (x - c_i)^2, centres c_i = exp(-a_x i / (n - 1)), widths
/// h_i = n^1.5 / c_i / a_x: gaussian exp(-r2), linear sqrt(r2), multiquadric sqrt(1 + r2),
/// inverse quadric 1 / (1 + r2), inverse multiquadric 1 / sqrt(1 + r2).
/// `steps` integration steps of dt = tau / steps; trajectories have steps + 1 samples.
struct DmpConfig {
    int basis = 30;
    Kernel kernel = Kernel::GAUSSIAN;
    double alpha = 25;
    double beta = 25.0 / 4;
    double a_x = 1;
    double tau = 1;
    int steps = 300;
    Integrator integrator = Integrator::EULER;
    Scaling scaling = Scaling::GOAL;
};

/// Throws std::invalid_argument naming the violated rule: basis >= 2, the size limits and the
/// constant ranges of limits.hpp, and a_x <= steps (the discrete phase stays >= 0).
void validate_dmp_config(const DmpConfig& c);

/// Forcing evaluations per row: steps (Euler) or 4 steps (RK4).
inline std::int64_t dmp_stages(const DmpConfig& c)
{
    return c.integrator == Integrator::EULER ? std::int64_t(c.steps) : 4 * std::int64_t(c.steps);
}

/// True when the Euler step is unstable by the contract's rule dt > 2 tau / alpha (also for
/// per-row alpha: pass the largest one). Always false for RK4.
bool euler_unstable(const DmpConfig& c, double alpha_max);

/// Parameters of R rows. All vectors have R entries.
struct DmpParams {
    Eigen::MatrixXd weights; ///< R x basis
    Eigen::VectorXd goal;
    Eigen::VectorXd y0;
    Eigen::VectorXd yd0;       ///< initial velocity dy/dt (z0 = tau yd0)
    Eigen::VectorXd amplitude; ///< used only by Scaling::AMPLITUDE
    /// Optional per-row alpha (empty: config alpha and beta). With per-row alpha the damping
    /// keeps the config ratio: beta_r = alpha_r * beta / alpha (critical damping for 1/4).
    Eigen::VectorXd alpha;

    int rows() const { return int(goal.size()); }
};

/// Trajectories, R x (steps + 1), column n = time n dt (column 0 is the initial state).
/// yd = z / tau; ydd = (alpha (beta (g - y) - z) + f(x_n)) / tau^2 at the same sample.
struct DmpTrajectory {
    Eigen::MatrixXd y, yd, ydd;
};

/// Gradients of a scalar loss (vector-Jacobian products), same shapes as the parameters.
struct DmpGradient {
    Eigen::MatrixXd weights;
    Eigen::VectorXd goal, y0, yd0;
    Eigen::VectorXd alpha; ///< filled only when the parameters carry per-row alpha
};

/// Forward-pass storage reused across calls; reallocated only when R changes.
struct DmpWorkspace {
    Eigen::MatrixXd dots;   ///< R x K: sum_i w_i psi_i at every stage phase
    Eigen::MatrixXd z;      ///< R x (steps + 1): z = tau yd
    Eigen::MatrixXd y;      ///< R x (steps + 1): positions, kept only for per-row alpha gradients
    Eigen::MatrixXd adj_f;  ///< R x K: cotangent of the forcing values (backward scratch)
    Eigen::VectorXd s;      ///< R: forcing scale per row
    Eigen::VectorXd ly, lz; ///< R: adjoint state
    Eigen::VectorXd ds;     ///< R: cotangent of the forcing scale
};

/// The layer: constants, phases and normalised kernels are precomputed once (shared by all rows
/// and calls); forward/vjp/jacobian do not allocate inside the integration loop.
class DmpLayer {
public:
    explicit DmpLayer(const DmpConfig& config);

    const DmpConfig& config() const { return m_config; }
    double dt() const { return m_dt; }
    int steps() const { return m_config.steps; }
    int basis() const { return m_config.basis; }
    /// Number of stage phases: steps (Euler) or 4 steps (RK4).
    int stages() const { return m_stages; }
    /// The phase x_n at sample n (the integrator's discrete phase).
    double phase(int n) const { return m_sample_phase[n]; }
    /// Normalised kernels times phase at sample n: psi_i(x_n) x_n / sum_j psi_j(x_n) (basis).
    Eigen::VectorXd sample_features(int n) const;

    /// Integrates every row. `out.yd` / `out.ydd` are filled only when `derivatives` is true.
    /// The Euler path evaluates exactly the NDP reference loop (bit for bit):
    ///   x += (-a_x x / tau) dt;  f = (w . psi(x)) x s / sum psi(x);
    ///   dz = (alpha (beta (g - y) - z) + f) / tau;  dy = z / tau;  y += dy dt;  z += dz dt.
    void forward(const DmpParams& p, DmpTrajectory& out, DmpWorkspace& ws, bool derivatives = false) const;

    /// Vector-Jacobian product of L with dL/dy = `cot_y` (R x (steps + 1)) for the parameters
    /// of the last forward() with the same workspace. Does not modify the parameters.
    void vjp(const DmpParams& p, DmpWorkspace& ws, const Eigen::MatrixXd& cot_y, DmpGradient& grad) const;

    /// Full trajectory Jacobian by forward tangent recursion: for each row r, jac[r] is
    /// (steps + 1) x (basis + 3) = dy_n / d[w_0 .. w_{n-1}, g, y0, yd0] (per-row alpha is held
    /// fixed). Lower-triangular in time: y_n does not depend on forcing after step n.
    void jacobian(const DmpParams& p, std::vector<Eigen::MatrixXd>& jac) const;

private:
    void compute_dots(const DmpParams& p, DmpWorkspace& ws) const;
    void compute_scale(const DmpParams& p, DmpWorkspace& ws) const;

    DmpConfig m_config;
    double m_dt = 0;
    int m_stages = 0;
    Eigen::MatrixXd m_psi;            ///< basis x (K + 1): kernels at stage phases, plus one extra phase
    Eigen::VectorXd m_stage_phase;    ///< K + 1 (the extra entry: x_0 for Euler, x_steps for RK4)
    Eigen::VectorXd m_psi_sum;        ///< K + 1
    Eigen::MatrixXd m_features;       ///< basis x (K + 1): psi x / sum psi
    Eigen::VectorXd m_feature_scale;  ///< K + 1: x / sum psi
    Eigen::VectorXd m_sample_phase;   ///< steps + 1
};

/// Validates parameter shapes against a layer (std::invalid_argument otherwise).
void check_dmp_params(const DmpLayer& layer, const DmpParams& p);

} // namespace podsim::policy
