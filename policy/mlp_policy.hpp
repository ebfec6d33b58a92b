#pragma once
// The MLP head: actions = a_max tanh(MLP(input_scale .* obs)), one step per call.

#include "policy/mlp.hpp"
#include "policy/policy.hpp"

namespace podsim::policy {

class MlpPolicy final : public Policy {
public:
    /// `config.output_limit` is the action limit a_max (> 0); n_out = n_act.
    MlpPolicy(const MlpConfig& config, std::uint64_t seed);
    explicit MlpPolicy(Mlp net);

    const Mlp& network() const { return m_net; }

    std::string type() const override { return "mlp"; }
    int n_obs() const override { return m_net.n_in(); }
    int n_act() const override { return m_net.n_out(); }
    int horizon() const override { return 1; }
    int n_params() const override { return m_net.n_params(); }
    const Eigen::VectorXd& parameters() const override { return m_net.parameters(); }
    void set_parameters(const Eigen::VectorXd& p) override { m_net.set_parameters(p); }
    std::unique_ptr<Policy> clone() const override { return std::make_unique<MlpPolicy>(*this); }
    std::unique_ptr<PolicyWorkspace> make_workspace() const override;
    std::unique_ptr<PolicyWorkspace> make_tape_workspace(PolicyWorkspace& scratch) const override;

    void act(const Eigen::MatrixXd& obs, const Eigen::MatrixXd& handle_velocity, Eigen::MatrixXd& actions,
             PolicyWorkspace& ws) const override;
    void vjp(PolicyWorkspace& ws, const Eigen::MatrixXd& d_actions, Eigen::VectorXd& d_params, Eigen::MatrixXd* d_obs,
             Eigen::MatrixXd* d_handle_velocity, bool accumulate = false) const override;

private:
    Mlp m_net;
};

} // namespace podsim::policy
