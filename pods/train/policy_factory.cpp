// Initial policies of training runs (see policy_factory.hpp).
#include "pods/train/policy_factory.hpp"

#include "pods/task/observation.hpp"
#include "policy/mlp_policy.hpp"
#include "policy/ndp.hpp"
#include "common/input_error.hpp"
#include "common/text_io.hpp"

namespace podsim::pods {

std::unique_ptr<policy::Policy> make_policy(const sim::Model& model, const Task& task, const TrainConfig& config)
{
    const ObservationMap obs = observation_map(model, task);
    policy::MlpConfig net;
    net.n_in = obs.size(model);
    net.hidden = config.hidden;
    net.activations = {config.activation};
    net.input_scale = observation_scale(model, task);
    net.last_layer_scale = config.last_layer_scale;
    if (config.head == Head::kMlp) {
        net.n_out = model.n_p();
        net.output_limit = task.action_limit;
        return std::make_unique<policy::MlpPolicy>(net, config.seed);
    }
    policy::NdpConfig ndp;
    ndp.n_obs = net.n_in;
    ndp.n_act = model.n_p();
    ndp.horizon = config.ndp_horizon;
    ndp.substeps = config.ndp_substeps;
    ndp.dt = model.dt;
    ndp.basis = config.ndp_basis;
    ndp.handle_offset = 0; // obs = [p - p*, ...]: the DMP runs in handle coordinates shifted by p*
    ndp.handle_scale = 1;
    ndp.network = net;
    return std::make_unique<policy::NdpPolicy>(ndp, config.seed);
}

} // namespace podsim::pods

namespace podsim::pods {

void check_policy_fits(const policy::Policy& p, const sim::Model& model, const Task& task, const std::string& file)
{
    const int n_obs = observation_map(model, task).size(model);
    if (p.n_obs() != n_obs)
        throw common::InputError(file + ": the policy takes " + std::to_string(p.n_obs()) + " observations, the scene's " +
                                 "observation has " + std::to_string(n_obs) + " (trained on another scene?)");
    if (p.n_act() != model.n_p())
        throw common::InputError(file + ": the policy outputs " + std::to_string(p.n_act()) + " action components, the " +
                                 "scene has " + std::to_string(model.n_p()) + " (trained on another scene?)");
    if (const auto* ndp = dynamic_cast<const policy::NdpPolicy*>(&p); ndp && ndp->config().dt != model.dt)
        throw common::InputError(file + ": dt: the NDP head plans with step " + common::format_double(ndp->config().dt) +
                                 ", the scene's dt is " + common::format_double(model.dt));
}

} // namespace podsim::pods
