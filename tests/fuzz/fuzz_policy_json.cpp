// libFuzzer harness of policy files (policy.json, MLP and NDP heads): JSON text -> validated
// policy, which then acts once on a zero observation (what `podsim evaluate` does with it).
#include "tests/fuzz/fuzz_input.hpp"

#include "common/json_node.hpp"
#include "policy/policy_io.hpp"

using namespace podsim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string file(fuzz::kFile);
    try {
        const nlohmann::json j = common::parse_json_text(fuzz::as_text(data, size), file);
        const std::unique_ptr<policy::Policy> p = policy::policy_from_json(common::JsonNode(j, file));
        // act only for modest sizes, so one input stays fast
        if (std::int64_t(p->n_params()) > 100000 || p->n_obs() > 1000 || std::int64_t(p->horizon()) * p->n_act() > 10000)
            return 0;
        const std::unique_ptr<policy::PolicyWorkspace> ws = p->make_workspace();
        const Eigen::MatrixXd obs = Eigen::MatrixXd::Zero(p->n_obs(), 2);
        Eigen::MatrixXd actions;
        p->act(obs, Eigen::MatrixXd(), actions, *ws);
        if (actions.rows() != p->horizon() * p->n_act() || actions.cols() != 2)
            fuzz::finding("act() returned actions of the wrong shape", "");
        Eigen::VectorXd d_params;
        p->vjp(*ws, Eigen::MatrixXd::Ones(actions.rows(), actions.cols()), d_params, nullptr, nullptr);
        if (d_params.size() != p->n_params()) fuzz::finding("vjp() returned a gradient of the wrong size", "");
    } catch (const common::InputError& e) {
        fuzz::check_error_message(e.what());
    }
    return 0;
}
