// The MLP head of the Policy interface (see mlp_policy.hpp).
#include "policy/mlp_policy.hpp"

#include <stdexcept>

namespace podsim::policy {

namespace {

struct MlpPolicyWorkspace final : PolicyWorkspace {
    MlpWorkspace mlp;
    int batch = -1;
};

MlpPolicyWorkspace& cast(PolicyWorkspace& ws)
{
    auto* w = dynamic_cast<MlpPolicyWorkspace*>(&ws);
    if (w == nullptr) throw std::invalid_argument("MlpPolicy: workspace was not made by an MlpPolicy");
    return *w;
}

} // namespace

MlpPolicy::MlpPolicy(const MlpConfig& config, std::uint64_t seed) : MlpPolicy(Mlp(config, seed)) {}

MlpPolicy::MlpPolicy(Mlp net) : m_net(std::move(net))
{
    if (!(m_net.config().output_limit > 0)) throw std::invalid_argument("MlpPolicy: output_limit (a_max) must be > 0");
}

std::unique_ptr<PolicyWorkspace> MlpPolicy::make_workspace() const { return std::make_unique<MlpPolicyWorkspace>(); }

std::unique_ptr<PolicyWorkspace> MlpPolicy::make_tape_workspace(PolicyWorkspace& scratch) const
{
    auto ws = std::make_unique<MlpPolicyWorkspace>();
    ws->mlp.shared_deltas = &cast(scratch).mlp.deltas;
    return ws;
}

void MlpPolicy::act(const Eigen::MatrixXd& obs, const Eigen::MatrixXd&, Eigen::MatrixXd& actions,
                    PolicyWorkspace& ws) const
{
    if (obs.rows() != n_obs()) throw std::invalid_argument("MlpPolicy::act: observation size mismatch");
    MlpPolicyWorkspace& w = cast(ws);
    m_net.forward(obs, actions, w.mlp);
    w.batch = int(obs.cols());
}

void MlpPolicy::vjp(PolicyWorkspace& ws, const Eigen::MatrixXd& d_actions, Eigen::VectorXd& d_params,
                    Eigen::MatrixXd* d_obs, Eigen::MatrixXd* d_handle_velocity, bool accumulate) const
{
    MlpPolicyWorkspace& w = cast(ws);
    if (w.batch < 0 || d_actions.cols() != w.batch || d_actions.rows() != n_act())
        throw std::invalid_argument("MlpPolicy::vjp: call act() first; d_actions must be n_act x batch");
    if (accumulate && d_params.size() != n_params())
        throw std::invalid_argument("MlpPolicy::vjp: accumulating into a gradient of the wrong size");
    m_net.backward(w.mlp, d_actions, d_params, d_obs, accumulate);
    if (d_handle_velocity != nullptr) d_handle_velocity->setZero(n_act(), w.batch);
}

} // namespace podsim::policy
