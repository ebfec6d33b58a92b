#pragma once
// The NDP head (Bahl et al. 2020): an MLP maps the observation to DMP parameters (w, g and
// optionally alpha) per action dimension; the DMP layer rolls out the handle positions over the
// next k steps from the current handle position and velocity; the k actions are the handle
// velocities between consecutive points. Gradients flow through the DMP into the MLP.

#include "policy/dmp.hpp"
#include "policy/mlp.hpp"
#include "policy/policy.hpp"

#include <string>
#include <vector>

namespace podsim::policy {

struct NdpConfig {
    int n_obs = 0;
    int n_act = 0;        ///< handles x d; one DMP row per action dimension and sample
    int horizon = 5;      ///< k: actions (environment steps) per decision
    int substeps = 4;     ///< DMP integration steps per environment step
    double dt = 0.01;     ///< environment step h; the DMP runs over tau = k h
    int basis = 10;
    Kernel kernel = Kernel::GAUSSIAN;
    Integrator integrator = Integrator::EULER;
    /// NONE by default: the goal is predicted relative to the current position, so the initial
    /// network (g ~ y0) would make GOAL scaling kill the forcing term and its gradient.
    Scaling scaling = Scaling::NONE;
    double amplitude = 1;  ///< s for Scaling::AMPLITUDE
    double alpha = 25;
    double beta = 25.0 / 4;
    double a_x = 1;
    bool only_g = false;      ///< ablation: forcing term off (w = 0), only the goal is learned
    bool learn_alpha = false; ///< ablation: the network also predicts alpha (beta = alpha beta/alpha)
    double alpha_min = 5;     ///< learned alpha = lo + (hi - lo) sigmoid(o); hi = min(alpha_max,
    double alpha_max = 50;    ///< 2 k substeps) for Euler, so the step stays stable
    int handle_offset = 0;    ///< observation entries [offset, offset + n_act) are the handle positions
    double handle_scale = 1;  ///< ... times this factor: y0 = obs / handle_scale
    /// Output units: with the defaults the network predicts velocities, like the MLP head, so a
    /// small last layer gives a near-zero initial plan: g = y0 + goal_scale o with goal_scale
    /// tau = k h, and w = weight_scale o with weight_scale alpha beta tau (0 selects these).
    double weight_scale = 0;
    double goal_scale = 0;
    MlpConfig network;        ///< hidden sizes, activations, input_scale, last_layer_scale (n_in/out set here)
};

/// Throws std::invalid_argument naming the violated rule.
void validate_ndp_config(const NdpConfig& c);

/// Warnings for a valid configuration (Euler step unstable for the fixed or largest learned alpha).
std::vector<std::string> ndp_warnings(const NdpConfig& c);

/// The DMP configuration the head integrates: tau = k h, steps = k substeps.
DmpConfig ndp_dmp_config(const NdpConfig& c);

class NdpPolicy final : public Policy {
public:
    NdpPolicy(const NdpConfig& config, std::uint64_t seed);
    /// Rebuilds a head from its configuration and a trained network (used by JSON load).
    NdpPolicy(const NdpConfig& config, Mlp network);

    const NdpConfig& config() const { return m_config; }
    const Mlp& network() const { return m_net; }
    /// Network outputs: (basis + 1) per action dimension [w_0..w_{n-1}, g], plus one alpha logit.
    int n_network_outputs() const { return m_net.n_out(); }
    /// The learned-alpha range [lo, hi] actually used.
    double alpha_low() const { return m_alpha_lo; }
    double alpha_high() const { return m_alpha_hi; }

    std::string type() const override { return "ndp"; }
    int n_obs() const override { return m_config.n_obs; }
    int n_act() const override { return m_config.n_act; }
    int horizon() const override { return m_config.horizon; }
    int n_params() const override { return m_net.n_params(); }
    const Eigen::VectorXd& parameters() const override { return m_net.parameters(); }
    void set_parameters(const Eigen::VectorXd& p) override { m_net.set_parameters(p); }
    std::unique_ptr<Policy> clone() const override { return std::make_unique<NdpPolicy>(*this); }
    std::unique_ptr<PolicyWorkspace> make_workspace() const override;

    void act(const Eigen::MatrixXd& obs, const Eigen::MatrixXd& handle_velocity, Eigen::MatrixXd& actions,
             PolicyWorkspace& ws) const override;
    void vjp(PolicyWorkspace& ws, const Eigen::MatrixXd& d_actions, Eigen::VectorXd& d_params, Eigen::MatrixXd* d_obs,
             Eigen::MatrixXd* d_handle_velocity, bool accumulate = false) const override;

    /// The DMP trajectory of the last act() (rows = sample b, dimension d at b n_act + d).
    const DmpTrajectory& last_trajectory(const PolicyWorkspace& ws) const;

private:
    void init();

    NdpConfig m_config;
    Mlp m_net;
    DmpLayer m_layer;
    double m_weight_scale = 0, m_goal_scale = 0;
    double m_alpha_lo = 0, m_alpha_hi = 0;
};

} // namespace podsim::policy
