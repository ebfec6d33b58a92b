// Shared training options and the progress line (see train_options.hpp).
#include "apps/train_options.hpp"

#include "apps/commands.hpp"
#include "common/input_error.hpp"
#include "pods/train/learner_registry.hpp"

#include <unistd.h>

#include <cstdio>
#include <sstream>

namespace podsim::apps {

void add_train_options(CLI::App& cmd, TrainOptions& o, bool with_method)
{
    pods::TrainConfig& c = o.config;
    if (with_method) {
        std::string help;
        for (const pods::LearnerEntry& e : pods::learner_entries())
            help += (help.empty() ? "Training method: " : ", ") + std::string(e.name) + " (" + std::string(e.summary) + ")";
        cmd.add_option("--method", o.method, help)->check(CLI::IsMember(pods::learner_names()))->capture_default_str();
    }
    cmd.add_option("--head", o.head, "Policy head: mlp or ndp (default mlp; ndp for --method hndp)")
        ->check(CLI::IsMember({"mlp", "ndp"}));
    o.epochs_option = cmd.add_option("--epochs", c.epochs,
                                     "Epochs (a --time-budget may stop earlier; with --time-budget and no --epochs "
                                     "the budget alone stops the run)")
                          ->check(CLI::Range(0, 1000000))
                          ->capture_default_str();
    cmd.add_option("--batch", c.batch, "Trajectories per epoch (k)")->check(CLI::Range(1, 100000))->capture_default_str();
    cmd.add_option("--seed", c.seed, "Seed of the network initialisation and the training states")->check(seed_range())->capture_default_str();
    cmd.add_option("--threads", o.threads, "OpenMP threads (results do not depend on it)")->check(CLI::Range(1, 1024))->capture_default_str();
    cmd.add_option("--time-budget", o.time_budget, "Stop starting epochs after this many training seconds (0: none)")
        ->check(finite_non_negative())->capture_default_str();
    cmd.add_option("--test-episodes", c.test_episodes, "Test-bed size")->check(CLI::Range(1, 100000))->capture_default_str();
    cmd.add_option("--test-seed", c.test_seed, "Seed of the test bed")->check(seed_range())->capture_default_str();
    cmd.add_option("--hidden", o.hidden, "Hidden layer widths, comma separated")->capture_default_str();
    cmd.add_option("--activation", o.activation, "Hidden activation: tanh, relu, elu, linear")
        ->check(CLI::IsMember({"tanh", "relu", "elu", "linear"}))->capture_default_str();
    cmd.add_option("--ndp-horizon", c.ndp_horizon, "NDP head: actions per decision (k)")->check(CLI::Range(1, 1000))->capture_default_str();
    cmd.add_option("--ndp-basis", c.ndp_basis, "NDP head: DMP basis functions")->check(CLI::Range(2, 1000))->capture_default_str();
    cmd.add_option("--ndp-substeps", c.ndp_substeps, "NDP head: DMP steps per environment step")->check(CLI::Range(1, 1000))->capture_default_str();
    cmd.add_option("--mu", c.mu, "PODS: Gauss-Newton regularisation")->check(finite_non_negative())->capture_default_str();
    cmd.add_option("--max-halvings", c.max_halvings, "PODS: line-search halvings")->check(CLI::Range(0, 60))->capture_default_str();
    cmd.add_option("--fit-steps", c.fit_steps, "PODS: Adam steps of the regression per epoch")->check(CLI::Range(0, 100000))->capture_default_str();
    cmd.add_option("--minibatch", c.minibatch, "PODS: regression samples per Adam step")->check(CLI::Range(1, 1000000))->capture_default_str();
    cmd.add_option("--fit-lr", c.fit_lr, "PODS: Adam learning rate of the regression")->check(CLI::Range(1e-12, 1.0))->capture_default_str();
    cmd.add_option("--fit-proximal", c.fit_proximal,
                   "PODS: weight beta of the regression's trust-region term beta/2 |pi - pi_old|^2 (0: none)")
        ->check(CLI::Range(0.0, 1e6))->capture_default_str();
    cmd.add_option("--fit-guard", c.fit_guard,
                   "PODS: closed-loop checks of the refitted policy per epoch (its change, then halved; reverted if none "
                   "improves the epoch's mean cost; 0: none)")
        ->check(CLI::Range(0, 60))->capture_default_str();
    cmd.add_option("--pods-target", o.pods_target,
                   "PODS: regression targets: open-loop (the improved actions, as the paper) or feedback (also the "
                   "improvement's feedback law at the policy's own states)")
        ->check(CLI::IsMember({"open-loop", "feedback"}))->capture_default_str();
    cmd.add_option("--pods-metric", o.pods_metric,
                   "PODS: regression metric: euclidean or control-hessian (each step's Gauss-Newton control Hessian)")
        ->check(CLI::IsMember({"euclidean", "control-hessian"}))->capture_default_str();
    cmd.add_option("--bptt-lr", c.bptt_lr, "BPTT: Adam learning rate")->check(CLI::Range(1e-12, 1.0))->capture_default_str();
    cmd.add_option("--clip-norm", c.clip_norm, "BPTT: global gradient-norm clip (0: none)")->check(finite_non_negative())->capture_default_str();
    cmd.add_option("--truncation", c.truncation, "BPTT: truncation window in steps (0: the whole horizon)")
        ->check(CLI::Range(0, 1000000))->capture_default_str();
    cmd.add_option("--ppo-lr", c.ppo_lr, "PPO: Adam learning rate of the policy and its log-std")->check(CLI::Range(1e-12, 1.0))->capture_default_str();
    cmd.add_option("--value-lr", c.value_lr, "PPO: Adam learning rate of the value network")->check(CLI::Range(1e-12, 1.0))->capture_default_str();
    cmd.add_option("--ppo-epochs", c.ppo_epochs, "PPO: passes over the epoch's decisions")->check(CLI::Range(1, 1000))->capture_default_str();
    cmd.add_option("--ppo-minibatch", c.ppo_minibatch, "PPO: decisions per Adam step")->check(CLI::Range(1, 1000000))->capture_default_str();
    cmd.add_option("--ppo-clip", c.ppo_clip, "PPO: surrogate clip range")->check(CLI::Range(1e-6, 0.999999))->capture_default_str();
    cmd.add_option("--gamma", c.gamma, "PPO: discount per decision")->check(CLI::Range(1e-6, 1.0))->capture_default_str();
    cmd.add_option("--gae-lambda", c.gae_lambda, "PPO: GAE lambda")->check(CLI::Range(0.0, 1.0))->capture_default_str();
    cmd.add_option("--entropy-coef", c.entropy_coef, "PPO: entropy bonus coefficient")->check(CLI::Range(0.0, 1.0))->capture_default_str();
    cmd.add_option("--ppo-std-init", c.ppo_std_init, "PPO: initial standard deviation, as a fraction of the action limit")
        ->check(CLI::Range(1e-6, 10.0))->capture_default_str();
    cmd.add_option("--ppo-max-grad-norm", c.ppo_max_grad_norm, "PPO: gradient-norm clip of each network (0: none)")
        ->check(finite_non_negative())->capture_default_str();
    cmd.add_flag("!--no-reward-scaling", c.scale_rewards,
                 "PPO: do not divide rewards by the running std of the discounted return");
    cmd.add_option("--regions", c.hndp_regions, "H-NDP: regions M (k-means clusters of the initial states)")
        ->check(CLI::Range(1, 1000))->capture_default_str();
    cmd.add_option("--region-samples", c.hndp_region_samples, "H-NDP: initial states the k-means runs over")
        ->check(CLI::Range(1, 1000000))->capture_default_str();
    cmd.add_option("--local-method", o.local_method, "H-NDP: the locals' learner: pods2, pods1 or ppo")
        ->check(CLI::IsMember({"pods2", "pods1", "ppo"}))->capture_default_str();
    cmd.add_option("--success-fraction", c.hndp_success_fraction,
                   "H-NDP: the global succeeds on a region when its mean return is within this fraction of the local's")
        ->check(CLI::Range(0.0, 100.0))->capture_default_str();
    cmd.add_option("--pull-weight", c.hndp_pull_weight, "H-NDP: alpha_i of the locals' pull where the global succeeds")
        ->check(finite_non_negative())->capture_default_str();
    cmd.add_option("--bc-weight", c.hndp_bc_weight, "H-NDP: weight of the behaviour-cloning loss of the global")
        ->check(finite_non_negative())->capture_default_str();
    cmd.add_option("--local-parallel", c.hndp_local_parallel,
                   "H-NDP: fit the locals in parallel over regions or one after another over their samples (same results)")
        ->check(CLI::IsMember({"regions", "trajectories"}))->capture_default_str();
}

pods::TrainConfig train_config(const TrainOptions& o, const std::string& method)
{
    pods::TrainConfig c = o.config;
    c.method = pods::method_from_string(method);
    c.head = o.head.empty() ? pods::learner_entry(c.method).default_head : pods::head_from_string(o.head);
    c.hndp_local_method = pods::method_from_string(o.local_method);
    c.activation = policy::activation_from_string(o.activation);
    // a time budget without --epochs: the budget decides when the run ends
    if (o.time_budget > 0 && o.epochs_option && o.epochs_option->count() == 0) c.epochs = pods::kMaxEpochs;
    c.pods_target = pods::pods_target_from_string(o.pods_target);
    c.pods_metric = pods::pods_metric_from_string(o.pods_metric);
    c.hidden.clear();
    std::istringstream s(o.hidden);
    std::string w;
    while (std::getline(s, w, ',')) {
        std::size_t used = 0;
        int v = 0;
        try {
            v = std::stoi(w, &used);
        } catch (const std::exception&) {
            used = std::string::npos;
        }
        if (used != w.size() || v < 1 || v > 4096)
            throw common::InputError("--hidden: got \"" + o.hidden + "\", must be comma-separated widths in [1, 4096]");
        c.hidden.push_back(v);
    }
    try {
        pods::validate_train_config(c);
    } catch (const std::invalid_argument& e) {
        throw common::InputError(std::string("--") + e.what());
    }
    return c;
}

namespace {
bool g_progress_drawn = false;
}

void print_progress(const std::string& label, const pods::LogRow& row, int epochs, double eta_s)
{
    if (!isatty(STDERR_FILENO)) return;
    std::fprintf(stderr, "\r\033[K%sepoch %d/%d  test return %.5g (train %.5g)  %.1f s", label.c_str(), row.epoch, epochs,
                 row.test.return_mean, row.train_return, row.wall_s);
    if (eta_s >= 0) std::fprintf(stderr, "  ETA %.0f s", eta_s);
    std::fflush(stderr);
    g_progress_drawn = true;
}

void end_progress()
{
    if (g_progress_drawn) std::fputc('\n', stderr);
    g_progress_drawn = false;
}

} // namespace podsim::apps
