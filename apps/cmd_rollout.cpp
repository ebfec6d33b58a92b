// `podsim rollout`: closed-loop episodes of a policy written as states/actions/rewards CSV.
#include "apps/commands.hpp"
#include "common/input_error.hpp"
#include "common/text_io.hpp"
#include "pods/task/episode_csv.hpp"
#include "pods/train/policy_test_bed.hpp"
#include "pods/train/train_config.hpp"

#include <cstdio>
#include <memory>

namespace podsim::apps {

namespace {

struct RolloutOptions {
    std::string scene;
    std::string policy;
    std::string out;
    int episodes = 1;
    std::uint64_t seed = pods::TrainConfig{}.test_seed;
    int threads = 1;
};

int run_rollout(const RolloutOptions& o)
{
    const pods::PolicyTestBed bed = pods::run_policy_test_bed(o.scene, o.policy, o.seed, o.episodes, o.threads);
    const pods::Scene& scene = bed.scene;
    const std::vector<pods::ClosedLoopRollout>& rollouts = bed.rollouts;
    const pods::EvaluationSummary& s = bed.summary;
    for (std::size_t i = 0; i < rollouts.size(); ++i)
        if (!rollouts[i].ok) throw common::RuntimeFailure("episode " + std::to_string(i) + ": " + rollouts[i].failure);

    // everything is computed before anything is written
    std::string states = pods::kStatesHeader, acts = pods::kActionsHeader, rewards = pods::kRewardsHeader;
    for (std::size_t i = 0; i < rollouts.size(); ++i) {
        const pods::Episode e = pods::to_episode(scene.model, scene.task, rollouts[i]);
        pods::append_states_csv(states, scene.model, e, int(i));
        pods::append_actions_csv(acts, scene.model, e, int(i));
        pods::append_rewards_csv(rewards, e, int(i));
    }
    common::ensure_directory(o.out);
    common::write_file_atomic(o.out + "/states.csv", states);
    common::write_file_atomic(o.out + "/actions.csv", acts);
    common::write_file_atomic(o.out + "/rewards.csv", rewards);
    common::write_file_atomic(o.out + "/springs.csv", pods::springs_csv(scene.model));
    std::printf("%s: %d episodes, return %.6g +- %.3g\nwrote %s/states.csv, actions.csv, rewards.csv, springs.csv\n", scene.name.c_str(),
                o.episodes, s.return_mean, s.return_std, o.out.c_str());
    return 0;
}

} // namespace

void add_rollout_command(CLI::App& app, int& exit_code)
{
    auto o = std::make_shared<RolloutOptions>();
    CLI::App* cmd = app.add_subcommand("rollout", "Run a policy from test-bed initial states and write the episodes as CSV");
    cmd->add_option("scene", o->scene, "Scene JSON file")->required();
    cmd->add_option("--policy", o->policy, "Policy JSON (policy.json of a training run)")->required();
    cmd->add_option("--out", o->out, "Output directory for states.csv, actions.csv, rewards.csv, springs.csv")->required();
    cmd->add_option("--episodes", o->episodes, "Episodes (the first K states of the test bed)")->check(CLI::Range(1, 10000))->capture_default_str();
    cmd->add_option("--seed", o->seed, "Seed of the test bed")->check(seed_range())->capture_default_str();
    cmd->add_option("--threads", o->threads, "OpenMP threads")->check(CLI::Range(1, 1024))->capture_default_str();
    cmd->callback([o, &exit_code] { exit_code = run_rollout(*o); });
}

} // namespace podsim::apps
