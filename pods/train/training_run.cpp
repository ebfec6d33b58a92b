// Training runs with checkpoints, logs and resume (see training_run.hpp).
#include "pods/train/training_run.hpp"

#include "common/input_error.hpp"
#include "common/json_node.hpp"
#include "common/text_io.hpp"
#include "policy/policy_io.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>

namespace podsim::pods {

nlohmann::json checkpoint_json(const policy::Policy& policy, const policy::Adam& adam, int epoch, double wall_s,
                               long long sim_steps, const nlohmann::json& learner, std::string_view learner_key)
{
    nlohmann::json j = policy::policy_to_json(policy);
    j["training"] = {{"epoch", epoch}, {"wall_s", wall_s}, {"sim_steps", sim_steps}, {"adam", policy::adam_to_json(adam)}};
    if (!learner.is_null()) j["training"][std::string(learner_key)] = learner;
    return j;
}

namespace {

struct Checkpoint {
    int epoch = 0;
    double wall_s = 0;
    long long sim_steps = 0;
};

// the policy a run with validation states delivers: the best so far by validates_better
struct Best {
    int epoch = -1;
    int failed = 0;
    double validation_return = 0;
    std::unique_ptr<policy::Policy> policy;

    // takes `p` when it is the first or validates better than the best so far
    bool offer(int at_epoch, const EvaluationSummary& v, const policy::Policy& p)
    {
        const bool better = epoch < 0 || validates_better(v, failed, validation_return);
        if (!better) return false;
        epoch = at_epoch;
        failed = v.failed;
        validation_return = v.return_mean;
        policy = p.clone();
        return true;
    }
};

std::string write_log(const std::vector<LogRow>& rows)
{
    std::string out = log_header() + "\n";
    for (const LogRow& r : rows) out += log_line(r) + "\n";
    return out;
}

// config.json: the scene, every setting and the policy the run started from (if any)
nlohmann::json config_file(const Scene& scene, const TrainConfig& c, const RunOptions& o, const std::string& init_policy)
{
    nlohmann::json j = {{"scene", scene.file}, {"scene_name", scene.name}, {"threads", o.threads},
                        {"time_budget", o.time_budget}, {"settings", train_config_to_json(c)}};
    if (!init_policy.empty()) j["init_policy"] = init_policy;
    return j;
}

// restores the trainer from policy.json's content; returns where the run stopped
Checkpoint restore_checkpoint(const common::JsonNode& pn, Trainer& trainer, Best& best)
{
    std::unique_ptr<policy::Policy> p = policy::policy_from_json(pn);
    const common::JsonNode tn = pn["training"];
    const std::string_view key = trainer.method().checkpoint_key;
    if (key.empty()) tn.allow_keys({"epoch", "wall_s", "sim_steps", "adam", "best"});
    else tn.allow_keys({"epoch", "wall_s", "sim_steps", "adam", "best", key});
    Checkpoint c;
    c.epoch = int(tn["epoch"].integer_in(0, 1000000));
    c.wall_s = tn["wall_s"].non_negative();
    c.sim_steps = tn["sim_steps"].integer_in(0, std::int64_t(1) << 62);
    policy::Adam adam = policy::adam_from_json(tn["adam"], p->n_params());
    common::located(pn, [&] {
        trainer.restore(std::move(p), std::move(adam));
        return 0;
    });
    // a learner whose state is null when fresh (PODS without a replay) may have written none
    if (!key.empty() && (tn.has(key) || !trainer.learner_state().is_null())) trainer.restore_learner(tn[key]);
    if (trainer.config().validation > 0) {
        // the delivered policy: the epoch, its validation return and its parameters
        const common::JsonNode bn = tn["best"];
        bn.allow_keys({"epoch", "failed", "validation_return", "policy"});
        best.epoch = int(bn["epoch"].integer_in(0, c.epoch));
        best.failed = int(bn["failed"].integer_in(0, trainer.config().validation));
        best.validation_return = bn["validation_return"].number();
        best.policy = policy::policy_from_json(bn["policy"]);
        if (const std::string why = trainer.policy_mismatch(*best.policy); !why.empty()) bn["policy"].fail(why);
    }
    return c;
}

// reads the run in `out` back: checks the settings, restores the trainer, returns the log rows kept
Checkpoint restore_run(const Scene& scene, const TrainConfig& config, const RunOptions& o, Trainer& trainer,
                       Best& best, std::vector<LogRow>& log, std::string& init_policy)
{
    const std::string config_path = o.out + "/config.json", policy_path = o.out + "/policy.json",
                      log_path = o.out + "/log.csv";
    for (const std::string& p : {config_path, policy_path, log_path})
        if (!std::filesystem::exists(p)) throw common::InputError(p + ": --resume: no such file (nothing to resume)");
    const nlohmann::json cj = common::read_json_file(config_path);
    const common::JsonNode cn(cj, config_path);
    cn.allow_keys({"scene", "scene_name", "threads", "time_budget", "settings", "init_policy"});
    if (cn.has("init_policy")) init_policy = cn["init_policy"].string(); // where the run started
    const TrainConfig saved = train_config_from_json(cn["settings"]);
    const std::vector<std::string> diff = config_differences(saved, config);
    if (!diff.empty()) {
        std::string list;
        for (const std::string& d : diff) list += (list.empty() ? "" : "; ") + d;
        cn["settings"].fail("--resume: the run was made with different settings (saved vs now: " + list +
                            "); use the same options or another --out");
    }
    if (cn["scene_name"].string() != scene.name)
        cn["scene_name"].fail_value("--resume: the run trained another scene (now \"" + scene.name + "\")");

    const nlohmann::json pj = common::read_json_file(policy_path);
    const Checkpoint c = restore_checkpoint(common::JsonNode(pj, policy_path), trainer, best);

    // log.csv is written before policy.json: it may hold one row more, never fewer
    log = read_log_csv(log_path);
    if (int(log.size()) < c.epoch + 1)
        throw common::InputError(log_path + ": --resume: has rows for epochs 0.." + std::to_string(int(log.size()) - 1) +
                                 " but policy.json is at epoch " + std::to_string(c.epoch));
    log.resize(std::size_t(c.epoch) + 1);
    return c;
}

} // namespace

RunResult run_training(const Scene& scene, const TrainConfig& config, const RunOptions& o, const RunCallbacks& cb)
{
    const Cluster& cluster = o.cluster;
    cluster.agree([&] { validate_train_config(config); }); // before any rank builds a Trainer
    Trainer trainer(scene, config, o.threads, cluster);
    RunResult result;
    Checkpoint at;
    Best best;
    std::string init_policy = o.init_policy; // config.json's record of where the run started
    const bool validating = config.validation > 0;
    const std::string policy_path = o.out + "/policy.json", log_path = o.out + "/log.csv",
                      best_path = o.out + "/best_policy.json";
    auto checkpoint_text = [&] {
        nlohmann::json j = checkpoint_json(trainer.policy(), trainer.adam(), at.epoch, at.wall_s, at.sim_steps,
                                           trainer.learner_state(), trainer.method().checkpoint_key);
        if (validating)
            j["training"]["best"] = {{"epoch", best.epoch},
                                     {"failed", best.failed},
                                     {"validation_return", best.validation_return},
                                     {"policy", policy::policy_to_json(*best.policy)}};
        return j.dump() + "\n";
    };

    // rank 0 checks and reads the output directory; the other ranks restore from its checkpoint
    cluster.agree_on_root([&] {
        if (o.resume) {
            std::string started_from;
            at = restore_run(scene, config, o, trainer, best, result.log, started_from);
            result.resumed_from = at.epoch;
            // a resume continues from the checkpoint; config.json keeps the policy the run started from
            if (!o.init_policy.empty() && o.init_policy != started_from)
                throw common::InputError(o.out + "/config.json: --resume: the run started from " +
                                         (started_from.empty() ? std::string("a new network") : "\"" + started_from + "\"") +
                                         ", not --init-policy \"" + o.init_policy + "\" (a resume continues from its checkpoint)");
            init_policy = started_from;
            // best_policy.json may lag policy.json's "best" after a kill between the two writes
            if (validating) common::write_file_atomic(best_path, policy::policy_to_json(*best.policy).dump() + "\n");
        } else {
            if (std::filesystem::exists(policy_path) || std::filesystem::exists(log_path))
                throw common::InputError(o.out + ": already holds a training run (policy.json, log.csv): use --resume to "
                                         "continue it or another --out");
            common::ensure_directory(o.out);
        }
        common::write_file_atomic(o.out + "/config.json", config_file(scene, config, o, init_policy).dump(2) + "\n");
    });
    if (!o.resume && !o.init_policy.empty()) {
        // the starting policy: rank 0 reads the file, every rank takes its policy with a new Adam
        std::string text;
        cluster.agree_on_root([&] { text = common::read_json_file(o.init_policy).dump(); });
        cluster.broadcast(text);
        cluster.agree([&] {
            const nlohmann::json pj = common::parse_json_text(text, o.init_policy);
            std::unique_ptr<policy::Policy> p = policy::policy_from_json(common::JsonNode(pj, o.init_policy));
            if (const std::string why = trainer.policy_mismatch(*p); !why.empty())
                throw common::InputError(o.init_policy + ": --init-policy: " + why);
            const policy::AdamConfig adam = trainer.adam().config();
            const int n = p->n_params();
            trainer.restore(std::move(p), policy::Adam(adam, n));
        });
    }
    if (o.resume && cluster.size() > 1) {
        std::string state = cluster.root() ? checkpoint_text() + write_log(result.log) : std::string();
        cluster.broadcast(state);
        if (!cluster.root()) {
            const std::size_t split = state.find('\n');
            const nlohmann::json pj = common::parse_json_text(std::string_view(state).substr(0, split), policy_path);
            at = restore_checkpoint(common::JsonNode(pj, policy_path), trainer, best);
            result.resumed_from = at.epoch;
            std::istringstream log_text(state.substr(split + 1));
            result.log = parse_log_csv(log_text, log_path);
        }
    }

    // rank 0 writes; a failure to write stops every rank. best_policy.json is the checkpoint's
    // "best" entry as a policy file, rewritten when it changes
    auto save = [&](bool best_changed) {
        cluster.agree_on_root([&] {
            common::write_file_atomic(log_path, write_log(result.log));
            common::write_file_atomic(policy_path, checkpoint_text());
            if (validating && best_changed)
                common::write_file_atomic(best_path, policy::policy_to_json(*best.policy).dump() + "\n");
        });
    };
    // the row of the policy after at.epoch epochs: the test bed, and with validation states the
    // delivered policy's choice (the validation seconds go into at.wall_s after epoch 0)
    auto row = [&](const EpochStats& stats, bool& best_changed) {
        const int epoch = at.epoch;
        double validation_return = 0;
        if (validating && epoch % config.validation_every == 0) {
            const auto t0 = std::chrono::steady_clock::now();
            const EvaluationSummary v = trainer.validate();
            validation_return = v.return_mean;
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (epoch > 0) at.wall_s = cluster.broadcast(at.wall_s + seconds); // rank 0's clock, as the epochs'
            best_changed = best.offer(epoch, v, trainer.policy());
        }
        LogRow r = log_row(epoch, at.wall_s, at.sim_steps, stats, trainer.evaluate());
        r.validation_return = validation_return;
        r.best_epoch = validating ? best.epoch : epoch;
        return r;
    };
    if (!o.resume) {
        // row 0: the initial policy (its validation is not counted as training time)
        bool best_changed = false;
        result.log.push_back(row(EpochStats{}, best_changed));
        save(best_changed);
        if (cb.on_epoch && cluster.root()) cb.on_epoch(result.log.back(), config.epochs, -1);
    }

    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const int first = at.epoch;
    const double wall_start = at.wall_s;
    result.stopped = "epochs";
    while (at.epoch < config.epochs) {
        if (o.time_budget > 0 && at.wall_s >= o.time_budget) {
            result.stopped = "time budget";
            break;
        }
        const auto t0 = clock::now();
        const EpochStats stats = trainer.run_epoch(at.epoch);
        // rank 0's clock decides (the time budget, wall_s in the files)
        at.wall_s = cluster.broadcast(at.wall_s + std::chrono::duration<double>(clock::now() - t0).count());
        at.sim_steps += stats.sim_steps;
        ++at.epoch;
        if (cb.on_failure && cluster.root())
            for (const TrajectoryFailure& f : stats.failures) cb.on_failure(at.epoch, f);
        bool best_changed = false;
        result.log.push_back(row(stats, best_changed));
        save(best_changed);
        if (cb.on_epoch && cluster.root()) {
            // remaining epochs: by count, or by the time budget at this run's training seconds per epoch
            const int done = at.epoch - first;
            const double per_epoch = std::chrono::duration<double>(clock::now() - start).count() / done;
            double remaining = config.epochs - at.epoch;
            if (o.time_budget > 0)
                remaining = std::min(remaining, std::max(0.0, o.time_budget - at.wall_s) / ((at.wall_s - wall_start) / done));
            cb.on_epoch(result.log.back(), config.epochs, per_epoch * remaining);
        }
    }
    result.policy = validating ? best.policy->clone() : trainer.policy().clone();
    result.delivered_epoch = validating ? best.epoch : at.epoch;
    return result;
}

} // namespace podsim::pods
