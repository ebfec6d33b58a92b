// The NDP head: MLP -> DMP parameters -> DMP rollout -> handle velocities (see ndp.hpp).
#include "policy/ndp.hpp"

#include "policy/limits.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace podsim::policy {

namespace {

struct NdpWorkspace final : PolicyWorkspace {
    MlpWorkspace mlp;
    Eigen::MatrixXd out, d_out;
    DmpParams params;
    DmpTrajectory traj;
    DmpWorkspace dmp;
    DmpGradient grad;
    Eigen::MatrixXd cot_y;
    Eigen::VectorXd sigmoid; ///< per sample, for the learned alpha
    int batch = -1;
};

NdpWorkspace& cast(PolicyWorkspace& ws)
{
    auto* w = dynamic_cast<NdpWorkspace*>(&ws);
    if (w == nullptr) throw std::invalid_argument("NdpPolicy: workspace was not made by an NdpPolicy");
    return *w;
}

const NdpWorkspace& cast(const PolicyWorkspace& ws)
{
    const auto* w = dynamic_cast<const NdpWorkspace*>(&ws);
    if (w == nullptr) throw std::invalid_argument("NdpPolicy: workspace was not made by an NdpPolicy");
    return *w;
}

void require(bool ok, const std::string& what)
{
    if (!ok) throw std::invalid_argument(what);
}

} // namespace

DmpConfig ndp_dmp_config(const NdpConfig& c)
{
    DmpConfig d;
    d.basis = c.basis;
    d.kernel = c.kernel;
    d.alpha = c.alpha;
    d.beta = c.beta;
    d.a_x = c.a_x;
    d.tau = c.horizon * c.dt;
    d.steps = c.horizon * c.substeps;
    d.integrator = c.integrator;
    d.scaling = c.scaling;
    return d;
}

void validate_ndp_config(const NdpConfig& c)
{
    require(c.n_obs >= 1 && c.n_obs <= kMaxPolicyInputs, "observations: must be in [1, " + std::to_string(kMaxPolicyInputs) + "]");
    require(c.n_act >= 1 && c.n_act <= kMaxDmpDims, "actions: must be in [1, " + std::to_string(kMaxDmpDims) + "]");
    require(c.horizon >= 1 && c.horizon <= kMaxNdpHorizon, "horizon: must be in [1, " + std::to_string(kMaxNdpHorizon) + "]");
    require(c.substeps >= 1 && c.substeps <= kMaxNdpSubsteps, "substeps: must be in [1, " + std::to_string(kMaxNdpSubsteps) + "]");
    require(c.dt > 0 && std::isfinite(c.dt), "dt: must be finite and > 0");
    require(c.amplitude > 0 && std::isfinite(c.amplitude), "amplitude: must be finite and > 0");
    require(c.handle_offset >= 0 && c.handle_offset + c.n_act <= c.n_obs,
            "handle_offset: handle positions [offset, offset + actions) must lie inside the observation");
    require(c.handle_scale > 0 && std::isfinite(c.handle_scale), "handle_scale: must be finite and > 0");
    require(c.weight_scale >= 0 && std::isfinite(c.weight_scale), "weight_scale: must be finite and >= 0");
    require(c.goal_scale >= 0 && std::isfinite(c.goal_scale), "goal_scale: must be finite and >= 0");
    if (c.learn_alpha)
        require(c.alpha_min > 0 && c.alpha_max > c.alpha_min && std::isfinite(c.alpha_max),
                "alpha_range: must satisfy 0 < lo < hi");
    validate_dmp_config(ndp_dmp_config(c));
}

std::vector<std::string> ndp_warnings(const NdpConfig& c)
{
    std::vector<std::string> out;
    const DmpConfig d = ndp_dmp_config(c);
    if (!c.learn_alpha && euler_unstable(d, c.alpha))
        out.push_back("ndp: euler step dt = h / substeps exceeds 2 tau / alpha (steps = " + std::to_string(d.steps) +
                      " < alpha / 2): raise substeps or use rk4");
    return out;
}

NdpPolicy::NdpPolicy(const NdpConfig& config, std::uint64_t seed) : m_config(config), m_layer(ndp_dmp_config(config))
{
    init();
    m_net = Mlp(m_config.network, seed);
}

NdpPolicy::NdpPolicy(const NdpConfig& config, Mlp network)
    : m_config(config), m_net(std::move(network)), m_layer(ndp_dmp_config(config))
{
    init();
    require(m_net.n_in() == m_config.n_obs && m_net.n_out() == m_config.network.n_out,
            "network: inputs / outputs do not match the NDP configuration");
}

void NdpPolicy::init()
{
    validate_ndp_config(m_config);
    m_config.network.n_in = m_config.n_obs;
    m_config.network.n_out = m_config.n_act * (m_config.basis + 1) + (m_config.learn_alpha ? 1 : 0);
    m_config.network.output_limit = 0; // raw DMP parameters
    const double tau = m_config.horizon * m_config.dt;
    m_weight_scale = m_config.weight_scale > 0 ? m_config.weight_scale : m_config.alpha * m_config.beta * tau;
    m_goal_scale = m_config.goal_scale > 0 ? m_config.goal_scale : tau;
    m_alpha_lo = m_config.alpha_min;
    m_alpha_hi = m_config.alpha_max;
    if (m_config.learn_alpha && m_config.integrator == Integrator::EULER) {
        // stable by the contract's rule dt <= 2 tau / alpha, i.e. alpha <= 2 steps
        m_alpha_hi = std::min(m_alpha_hi, 2.0 * m_config.horizon * m_config.substeps);
        require(m_alpha_hi > m_alpha_lo, "alpha_range: lo must be below the Euler stability bound 2 k substeps");
    }
}

std::unique_ptr<PolicyWorkspace> NdpPolicy::make_workspace() const { return std::make_unique<NdpWorkspace>(); }

const DmpTrajectory& NdpPolicy::last_trajectory(const PolicyWorkspace& ws) const
{
    return cast(ws).traj;
}

void NdpPolicy::act(const Eigen::MatrixXd& obs, const Eigen::MatrixXd& hv, Eigen::MatrixXd& actions,
                    PolicyWorkspace& wsb) const
{
    const int batch = int(obs.cols()), na = n_act(), nb = m_config.basis, k = horizon(), sub = m_config.substeps;
    // (no message strings are built unless the check fails: act() must not allocate)
    if (obs.rows() != n_obs()) throw std::invalid_argument("NdpPolicy::act: observation size mismatch");
    if (hv.size() != 0 && (hv.rows() != na || hv.cols() != batch))
        throw std::invalid_argument("NdpPolicy::act: handle velocity must be n_act x B");
    NdpWorkspace& ws = cast(wsb);
    ws.batch = batch;

    // network outputs -> DMP parameters, one row per (sample, action dimension)
    m_net.forward(obs, ws.out, ws.mlp);
    const int rows = batch * na;
    DmpParams& p = ws.params;
    p.weights.resize(rows, nb);
    p.goal.resize(rows);
    p.y0.resize(rows);
    p.yd0.resize(rows);
    p.amplitude.setConstant(rows, m_config.amplitude);
    p.alpha.resize(m_config.learn_alpha ? rows : 0);
    ws.sigmoid.resize(m_config.learn_alpha ? batch : 0);
    for (int b = 0; b < batch; ++b) {
        double alpha = 0;
        if (m_config.learn_alpha) {
            ws.sigmoid[b] = 1 / (1 + std::exp(-ws.out(ws.out.rows() - 1, b)));
            alpha = m_alpha_lo + (m_alpha_hi - m_alpha_lo) * ws.sigmoid[b];
        }
        for (int d = 0; d < na; ++d) {
            const int r = b * na + d, o = d * (nb + 1);
            p.y0[r] = obs(m_config.handle_offset + d, b) / m_config.handle_scale;
            p.yd0[r] = hv.size() ? hv(d, b) : 0.0;
            p.goal[r] = p.y0[r] + m_goal_scale * ws.out(o + nb, b);
            for (int i = 0; i < nb; ++i) p.weights(r, i) = m_config.only_g ? 0.0 : m_weight_scale * ws.out(o + i, b);
            if (m_config.learn_alpha) p.alpha[r] = alpha;
        }
    }

    // roll out, then actions = handle velocities between consecutive environment steps
    m_layer.forward(p, ws.traj, ws.dmp);
    const double h = m_config.dt;
    actions.resize(k * na, batch);
    for (int b = 0; b < batch; ++b)
        for (int j = 0; j < k; ++j)
            for (int d = 0; d < na; ++d) {
                const int r = b * na + d;
                actions(j * na + d, b) = (ws.traj.y(r, (j + 1) * sub) - ws.traj.y(r, j * sub)) / h;
            }
}

void NdpPolicy::vjp(PolicyWorkspace& wsb, const Eigen::MatrixXd& d_actions, Eigen::VectorXd& d_params,
                    Eigen::MatrixXd* d_obs, Eigen::MatrixXd* d_hv, bool accumulate) const
{
    NdpWorkspace& ws = cast(wsb);
    const int batch = ws.batch, na = n_act(), nb = m_config.basis, k = horizon(), sub = m_config.substeps;
    if (batch < 0 || d_actions.rows() != k * na || d_actions.cols() != batch)
        throw std::invalid_argument("NdpPolicy::vjp: call act() first; d_actions must be (horizon n_act) x B");
    if (accumulate && d_params.size() != n_params())
        throw std::invalid_argument("NdpPolicy::vjp: accumulating into a gradient of the wrong size");
    const int rows = batch * na;
    const double h = m_config.dt;

    // actions -> trajectory cotangent
    ws.cot_y.setZero(rows, m_layer.steps() + 1);
    for (int b = 0; b < batch; ++b)
        for (int j = 0; j < k; ++j)
            for (int d = 0; d < na; ++d) {
                const int r = b * na + d;
                const double c = d_actions(j * na + d, b) / h;
                ws.cot_y(r, (j + 1) * sub) += c;
                ws.cot_y(r, j * sub) -= c;
            }
    m_layer.vjp(ws.params, ws.dmp, ws.cot_y, ws.grad);

    // DMP parameter gradients -> network output cotangent
    ws.d_out.setZero(ws.out.rows(), batch);
    for (int b = 0; b < batch; ++b) {
        for (int d = 0; d < na; ++d) {
            const int r = b * na + d, o = d * (nb + 1);
            if (!m_config.only_g)
                for (int i = 0; i < nb; ++i) ws.d_out(o + i, b) = m_weight_scale * ws.grad.weights(r, i);
            ws.d_out(o + nb, b) = m_goal_scale * ws.grad.goal[r];
            if (m_config.learn_alpha) {
                const double s = ws.sigmoid[b];
                ws.d_out(ws.out.rows() - 1, b) += ws.grad.alpha[r] * (m_alpha_hi - m_alpha_lo) * s * (1 - s);
            }
        }
    }
    m_net.backward(ws.mlp, ws.d_out, d_params, d_obs, accumulate);

    // the handle position enters y0 and g = y0 + ..., the handle velocity enters yd0
    if (d_obs != nullptr)
        for (int b = 0; b < batch; ++b)
            for (int d = 0; d < na; ++d) {
                const int r = b * na + d;
                (*d_obs)(m_config.handle_offset + d, b) += (ws.grad.y0[r] + ws.grad.goal[r]) / m_config.handle_scale;
            }
    if (d_hv != nullptr) {
        d_hv->resize(na, batch);
        for (int b = 0; b < batch; ++b)
            for (int d = 0; d < na; ++d) (*d_hv)(d, b) = ws.grad.yd0[b * na + d];
    }
}

} // namespace podsim::policy
