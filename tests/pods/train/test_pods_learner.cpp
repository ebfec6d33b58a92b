// The PODS learner (PODS1 and PODS2) on the real simulator: its epoch on a context built by hand
// equals the Trainer's; improvement never worsens a trajectory, the test return rises over the
// first epochs, failed trajectories are reported; the fit guard never lets the epoch's own
// states' mean cost rise; the proximal term, the guard and the replay do not depend on the thread
// count; the replay keeps the last fit_replay epochs' samples and its checkpoint form restores them;
// the adaptive damping follows its rule where the search is open loop, and resumes exactly.
#include "pods/task/scene.hpp"
#include "pods/train/pods_learner.hpp"
#include "pods/train/policy_factory.hpp"
#include "pods/train/trainer.hpp"
#include "tests/pods/train/small_training.hpp"

#include <doctest/doctest.h>

using namespace podsim;

namespace {

// a fresh learner of `config` refuses the checkpoint state `state` with a message containing `what`
void check_refused(const pods::Scene& scene, const pods::TrainConfig& config, const nlohmann::json& state, const char* what)
{
    INFO(what);
    const std::unique_ptr<policy::Policy> p = pods::make_policy(scene.model, scene.task, config);
    pods::PodsLearner fresh(config, *p);
    CHECK_THROWS_WITH_AS(fresh.restore(common::JsonNode(state, "policy.json", "training.pods")), doctest::Contains(what),
                         common::InputError);
}

} // namespace

TEST_CASE("pods learner: an epoch on a context made by hand equals the Trainer's epoch, PODS1 and PODS2")
{
    const pods::Scene scene = test::small_scene(30);
    for (pods::Method m : {pods::Method::kPods2, pods::Method::kPods1}) {
        INFO(pods::to_string(m));
        const pods::TrainConfig c = test::small_config(m);
        pods::Trainer t(scene, c, 2);
        const pods::EpochStats expected = t.run_epoch(1);

        // the run's initial policy and Adam, the epoch's states; no Trainer
        std::unique_ptr<policy::Policy> p = pods::make_policy(scene.model, scene.task, c);
        policy::Adam adam(pods::PodsLearner::policy_adam(c), p->n_params());
        pods::Workers workers(scene.model, 2);
        const pods::ObservationMap obs = pods::observation_map(scene.model, scene.task);
        const pods::QuadraticCost cost = pods::quadratic_cost(scene.model, scene.task);
        std::vector<std::unique_ptr<policy::PolicyWorkspace>> fit_ws;
        for (int i = 0; i < 2; ++i) fit_ws.push_back(p->make_workspace());
        const std::vector<sim::State> initial = pods::training_states(scene, c, 1);
        pods::PodsLearner learner(c, *p);
        const Eigen::VectorXd before = p->parameters();
        const pods::EpochStats s =
            learner.epoch(1, {scene, c, *p, adam, workers, obs, cost, fit_ws, initial});
        CHECK(p->parameters() != before);
        CHECK(s.fit_loss > 0);
        CHECK(s.fit_loss == expected.fit_loss);
        CHECK(s.train_return == expected.train_return);
        CHECK(s.sim_steps == expected.sim_steps);
        CHECK(p->parameters() == t.policy().parameters());
        CHECK(adam.first_moment() == t.adam().first_moment());
        CHECK(learner.state_json().is_null());
    }
}

TEST_CASE("pods learner: a PODS2 epoch improves the batch, and the test return rises over the first epochs, feedback and on-policy targets")
{
    const pods::Scene scene = test::small_scene();
    for (pods::PodsTarget target : {pods::PodsTarget::kFeedback, pods::PodsTarget::kOnPolicy})
        for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
            INFO("head " << pods::to_string(head) << ", target " << pods::to_string(target));
            pods::TrainConfig config = test::small_config(pods::Method::kPods2, head);
            config.pods_target = target;
            pods::Trainer t(scene, config, 2);
            const double initial = t.evaluate().return_mean;
            double last = initial;
            for (int e = 0; e < 6; ++e) {
                const pods::EpochStats s = t.run_epoch(e);
                CHECK(s.failed == 0);
                CHECK(s.improved_return >= s.train_return); // never worse, trajectory by trajectory (mean)
                CHECK(s.improved_return > s.train_return);  // and strictly better somewhere
                CHECK(s.alpha_mean > 0);
                CHECK(s.sim_steps >= 12 * 40 * 2);          // rollout + at least one line-search trial each
                last = t.evaluate().return_mean;
            }
            CHECK(last > initial + 0.2 * std::abs(initial));
        }
}

TEST_CASE("pods learner: PODS1 raises the test return too")
{
    const pods::Scene scene = test::small_scene();
    pods::Trainer t(scene, test::small_config(pods::Method::kPods1), 1);
    const double initial = t.evaluate().return_mean;
    for (int e = 0; e < 12; ++e) {
        const pods::EpochStats s = t.run_epoch(e);
        CHECK(s.failed == 0);
        CHECK(s.gradient_norm > 0);
    }
    CHECK(t.evaluate().return_mean > initial + 0.1 * std::abs(initial));
}

TEST_CASE("pods learner: failed trajectories are left out and reported with index and step")
{
    pods::Scene scene = test::small_scene(20);
    scene.model.solver.max_iterations = 1; // every Newton solve fails
    scene.model.solver.tolerance = 1e-300;
    pods::Trainer t(scene, test::small_config(pods::Method::kPods2), 2);
    const Eigen::VectorXd before = t.policy().parameters();
    const pods::EpochStats s = t.run_epoch(0);
    CHECK(s.failed == 12);
    REQUIRE(s.failures.size() == 12);
    CHECK(s.failures[3].index == 3);
    CHECK(s.failures[3].step == 0);
    CHECK(s.failures[3].message.find("Newton") != std::string::npos);
    CHECK(t.policy().parameters() == before); // nothing reached the policy
    CHECK(t.evaluate().failed == 16);
}

TEST_CASE("pods learner: with the fit guard an epoch never raises the mean cost of its own initial states")
{
    const pods::Scene scene = test::small_scene(30);
    const pods::QuadraticCost cost = pods::quadratic_cost(scene.model, scene.task);
    const pods::ObservationMap obs = pods::observation_map(scene.model, scene.task);
    pods::Workers workers(scene.model, 1);
    for (pods::Method m : {pods::Method::kPods1, pods::Method::kPods2}) {
        int reduced = 0, kept = 0;
        // from fits the guard mostly keeps to overshooting ones it refuses
        for (double lr : {0.06, 0.15, 0.3}) {
            INFO(pods::to_string(m) << ", fit_lr " << lr);
            pods::TrainConfig c = test::small_config(m);
            c.fit_lr = lr;
            c.fit_guard = 3;
            pods::Trainer t(scene, c, 2);
            for (int e = 0; e < 8; ++e) {
                // the epoch's initial states, as the trainer draws them
                const std::vector<sim::State> initial = pods::training_states(scene, c, e);
                const double before = pods::evaluate_policy(workers, t.policy(), obs, scene.task, cost, initial).return_mean;
                const Eigen::VectorXd theta = t.policy().parameters();
                const pods::EpochStats s = t.run_epoch(e);
                const double after = pods::evaluate_policy(workers, t.policy(), obs, scene.task, cost, initial).return_mean;
                INFO("epoch " << e << ": " << before << " -> " << after << ", scale " << s.guard_scale);
                CHECK(s.train_return == doctest::Approx(before).epsilon(1e-12));
                CHECK(after >= before);
                CHECK((s.guard_scale == 1 || s.guard_scale == 0.5 || s.guard_scale == 0.25 || s.guard_scale == 0));
                if (s.guard_scale == 0) CHECK(t.policy().parameters() == theta); // reverted
                else CHECK(t.policy().parameters() != theta);
                reduced += s.guard_scale < 1;
                kept += s.guard_scale > 0;
            }
        }
        INFO(pods::to_string(m) << ": " << reduced << " epochs reduced or reverted, " << kept << " kept a change");
        CHECK(reduced > 0); // the guard acted
        CHECK(kept > 0);    // and let the policy learn
    }
}

TEST_CASE("pods learner: the proximal term, the fit guard and the replay give bit-identical policies with 1 and 2 threads")
{
    const pods::Scene scene = test::small_scene(30);
    for (pods::Method m : {pods::Method::kPods2, pods::Method::kPods1})
        for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
            INFO(pods::to_string(m) << " " << pods::to_string(head));
            pods::TrainConfig c = test::small_config(m, head);
            c.fit_proximal = 2;
            c.fit_guard = 3;
            c.fit_replay = 2;
            c.fit_lr = 0.01;
            pods::Trainer one(scene, c, 1), two(scene, c, 2);
            for (int e = 0; e < 3; ++e) {
                const pods::EpochStats a = one.run_epoch(e), b = two.run_epoch(e);
                CHECK(a.fit_loss == b.fit_loss);
                CHECK(a.sim_steps == b.sim_steps);
                CHECK(a.guard_scale == b.guard_scale);
            }
            CHECK(one.policy().parameters() == two.policy().parameters());
            CHECK(one.adam().first_moment() == two.adam().first_moment());
            CHECK(one.learner_state() == two.learner_state());
            // the settings change the training
            pods::Trainer plain(scene, test::small_config(m, head), 1);
            for (int e = 0; e < 3; ++e) plain.run_epoch(e);
            CHECK(plain.policy().parameters() != one.policy().parameters());
        }
}

TEST_CASE("pods learner: the replay fits on the last fit_replay epochs' samples with the epoch's own, and a restored learner makes them again")
{
    const pods::Scene scene = test::small_scene(30);
    for (pods::Method m : {pods::Method::kPods2, pods::Method::kPods1})
    for (double follow : {0.0, 0.5}) {
        INFO(pods::to_string(m) << ", follow " << follow);
        pods::TrainConfig c = test::small_config(m);
        pods::TrainConfig r = c;
        r.fit_replay = 2;
        r.fit_replay_follow = follow;
        pods::Trainer plain(scene, c, 2), replaying(scene, r, 2);
        const auto& live = dynamic_cast<const pods::PodsLearner&>(replaying.learner());
        auto kept = [&] { return replaying.learner_state().at("fit_replay"); };
        // epoch 0 has nothing to replay: the same fit
        plain.run_epoch(0);
        replaying.run_epoch(0);
        CHECK(plain.policy().parameters() == replaying.policy().parameters());
        REQUIRE(kept().size() == 1);
        CHECK(kept()[0].at("epoch") == 0);
        REQUIRE(live.replay().size() == 1);
        CHECK(live.replay()[0].size() > 0);
        const Eigen::MatrixXd epoch0_targets = live.replay()[0].target;
        // epoch 1 fits on epoch 0's samples too: another policy; epoch 2 keeps epochs 1 and 2
        plain.run_epoch(1);
        replaying.run_epoch(1);
        CHECK(plain.policy().parameters() != replaying.policy().parameters());
        REQUIRE(kept().size() == 2);
        CHECK(live.replay()[0].target == epoch0_targets);
        const nlohmann::json epoch1 = kept()[1];
        CHECK(epoch1.at("epoch") == 1);
        replaying.run_epoch(2);
        REQUIRE(kept().size() == 2);
        CHECK(kept()[0] == epoch1);
        CHECK(kept()[1].at("epoch") == 2);
        // following the policy moves the replayed targets: another policy than the plain replay's
        if (follow > 0) {
            pods::TrainConfig plain_replay = r;
            plain_replay.fit_replay_follow = 0;
            pods::Trainer unmoved(scene, plain_replay, 2);
            for (int e = 0; e < 3; ++e) unmoved.run_epoch(e);
            CHECK(unmoved.policy().parameters() != replaying.policy().parameters());
        }
        // a trainer restored from the checkpoint form makes the kept samples (and with follow
        // their first outputs) again and continues with the same bits
        const nlohmann::json state = nlohmann::json::parse(replaying.learner_state().dump());
        pods::Trainer resumed(scene, r, 1);
        resumed.restore(replaying.policy().clone(), replaying.adam());
        resumed.restore_learner(common::JsonNode(state, "policy.json", "training.pods"));
        CHECK(resumed.learner_state() == state);
        const auto& again = dynamic_cast<const pods::PodsLearner&>(resumed.learner());
        CHECK(again.replay().empty());
        const std::vector<pods::RegressionData> before = live.replay();
        const pods::EpochStats a = replaying.run_epoch(3), b = resumed.run_epoch(3);
        CHECK(a.fit_loss == b.fit_loss);
        CHECK(a.sim_steps == b.sim_steps); // remaking the samples is not counted
        CHECK(resumed.policy().parameters() == replaying.policy().parameters());
        CHECK(resumed.learner_state() == replaying.learner_state());
        REQUIRE(again.replay().size() == 2);
        CHECK(again.replay()[0].target == before[1].target);
        CHECK(again.replay()[0].obs == before[1].obs);
        CHECK(again.replay()[1].target == live.replay()[1].target);
    }
}

TEST_CASE("pods learner: a replay in the checkpoint that does not fit the run is refused naming the key")
{
    const pods::Scene scene = test::small_scene(30);
    pods::TrainConfig c = test::small_config(pods::Method::kPods2);
    c.fit_replay = 2;
    pods::Trainer t(scene, c, 1);
    t.run_epoch(0);
    t.run_epoch(1);
    const nlohmann::json good = t.learner_state();
    auto refused = [&](const nlohmann::json& j, const char* what) { check_refused(scene, c, j, what); };
    nlohmann::json j = good;
    j["fit_replay"].push_back(good["fit_replay"][0]);
    refused(j, "policy.json: training.pods.fit_replay: holds 3 epochs, more than fit_replay 2");
    j = good;
    j["fit_replay"][1]["epoch"] = 0;
    refused(j, "training.pods.fit_replay[1].epoch");
    j = good;
    j["fit_replay"][0]["parameters"] = good["fit_replay"][0]["parameters"].get<std::string>().substr(8);
    refused(j, "training.pods.fit_replay[0].parameters: must hold");
    j = good;
    j["fit_replay"][0]["extra"] = 1;
    refused(j, "unknown key \"extra\"");
    j = good;
    j["fit_replay"] = 3;
    refused(j, "training.pods.fit_replay: must be an array");
    // a run without a replay refuses one
    pods::TrainConfig none = c;
    none.fit_replay = 0;
    check_refused(scene, none, good, "training.pods.fit_replay: holds 2 epochs, more than fit_replay 0");
}

TEST_CASE("pods learner: next_damping raises mu 4x below a mean step of 0.9 and halves it down to the floor from 0.99")
{
    CHECK(pods::next_damping(0.03, 0.5, 0.03) == 0.12);
    CHECK(pods::next_damping(0.03, 0.0, 0.03) == 0.12);
    CHECK(pods::next_damping(1.0, 0.8999, 0.03) == 4.0);
    CHECK(pods::next_damping(1.0, 0.9, 0.03) == 1.0);
    CHECK(pods::next_damping(1.0, 0.9899, 0.03) == 1.0);
    CHECK(pods::next_damping(1.0, 0.99, 0.03) == 0.5);
    CHECK(pods::next_damping(1.0, 1.0, 0.03) == 0.5);
    CHECK(pods::next_damping(0.05, 1.0, 0.03) == 0.03);
    CHECK(pods::next_damping(0.03, 1.0, 0.03) == 0.03);
    CHECK(pods::next_damping(0.4 * pods::kMaxAdaptiveDamping, 0.1, 0.03) == pods::kMaxAdaptiveDamping);
}

TEST_CASE("pods learner: the adaptive damping follows next_damping where the search is open loop, keeps mu where it follows a law, and resumes with the same bits")
{
    const pods::Scene scene = test::small_scene(30);
    pods::TrainConfig c = test::small_config(pods::Method::kPods2);
    c.pods_damping = pods::PodsDamping::kAdaptive;
    c.mu = 1e-4; // long steps: the line search shortens some, so the rule moves mu both ways
    c.fit_replay = 2;
    for (pods::PodsTarget target : {pods::PodsTarget::kOpenLoop, pods::PodsTarget::kOnPolicy}) {
        INFO(pods::to_string(target));
        c.pods_target = target;
        pods::Trainer t(scene, c, 2);
        const auto& learner = dynamic_cast<const pods::PodsLearner&>(t.learner());
        double mu = c.mu;
        int raised = 0, lowered = 0;
        for (int e = 0; e < 8; ++e) {
            const pods::EpochStats s = t.run_epoch(e);
            CHECK(s.mu == mu);
            const double next = target == pods::PodsTarget::kOpenLoop ? pods::next_damping(mu, s.alpha_mean, c.mu) : c.mu;
            CHECK(learner.mu() == next);
            CHECK(t.learner_state().at("mu") == next);
            raised += next > mu;
            lowered += next < mu;
            mu = next;
        }
        if (target == pods::PodsTarget::kOpenLoop) {
            CHECK(raised > 0);
            CHECK(lowered > 0);
            // every kept epoch remembers its own damping
            const nlohmann::json kept = t.learner_state().at("fit_replay");
            REQUIRE(kept.size() == 2);
            CHECK(kept[0].contains("mu"));
        }
        // a trainer restored from the checkpoint form continues with the same bits
        const nlohmann::json state = nlohmann::json::parse(t.learner_state().dump());
        pods::Trainer resumed(scene, c, 1);
        resumed.restore(t.policy().clone(), t.adam());
        resumed.restore_learner(common::JsonNode(state, "policy.json", "training.pods"));
        const pods::EpochStats a = t.run_epoch(8), b = resumed.run_epoch(8);
        CHECK(a.mu == b.mu);
        CHECK(a.fit_loss == b.fit_loss);
        CHECK(resumed.policy().parameters() == t.policy().parameters());
        CHECK(resumed.learner_state() == t.learner_state());
        // and the thread count does not matter
        test::check_thread_determinism(scene, c, 3);
    }
    // fixed damping and PODS1 keep mu and write no damping into the checkpoint
    c.pods_target = pods::PodsTarget::kOpenLoop;
    c.pods_damping = pods::PodsDamping::kFixed;
    pods::Trainer fixed(scene, c, 2);
    for (int e = 0; e < 3; ++e) CHECK(fixed.run_epoch(e).mu == c.mu);
    CHECK_FALSE(fixed.learner_state().contains("mu"));
    pods::TrainConfig first = test::small_config(pods::Method::kPods1);
    first.pods_damping = pods::PodsDamping::kAdaptive; // not a pods1 setting: no effect
    pods::Trainer pods1(scene, first, 2);
    CHECK(pods1.run_epoch(0).mu == 0);
    CHECK(pods1.learner_state().is_null());
}

TEST_CASE("pods learner: an adaptive damping in the checkpoint outside [mu, cap] or missing is refused naming the key")
{
    const pods::Scene scene = test::small_scene(30);
    pods::TrainConfig c = test::small_config(pods::Method::kPods2);
    c.pods_damping = pods::PodsDamping::kAdaptive;
    c.pods_target = pods::PodsTarget::kOpenLoop;
    c.fit_replay = 1;
    pods::Trainer t(scene, c, 1);
    t.run_epoch(0);
    const nlohmann::json good = t.learner_state();
    auto refused = [&](const nlohmann::json& j, const char* what) { check_refused(scene, c, j, what); };
    nlohmann::json j = good;
    j["mu"] = 0.01;
    refused(j, "policy.json: training.pods.mu: must be in [0.03, 1e+06]");
    j["mu"] = 2e6;
    refused(j, "training.pods.mu: must be in");
    j.erase("mu");
    refused(j, "training.pods: missing required key \"mu\"");
    j = good;
    j["fit_replay"][0]["mu"] = "x";
    refused(j, "training.pods.fit_replay[0].mu");
    j = good;
    j["fit_replay"][0].erase("mu");
    refused(j, "training.pods.fit_replay[0]: missing required key \"mu\"");
}
