// MDGPS epochs (see gps.hpp).
#include "pods/train/gps.hpp"

#include "common/input_error.hpp"
#include "pods/improve/improvement.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/task/random.hpp"
#include "pods/train/closed_loop.hpp"
#include "pods/train/exchange.hpp"
#include "pods/train/gps_controller.hpp"
#include "pods/train/ppo.hpp"
#include "pods/train/timing.hpp"
#include "pods/train/workers.hpp"
#include "policy/mlp_policy.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <string>

namespace podsim::pods {

namespace {

// what one condition's C-step gives
struct ConditionResult {
    bool ok = false;             // the policy's rollout and the C-step succeeded
    int failed_step = -1;        // the policy rollout's failed step (-1: it ran, the C-step failed)
    std::string failure;
    double policy_cost = 0;
    double step = 0;             // epsilon used
    double eta = 0;
    double gradient_norm = 0;    // |projected trajectory gradient| at the policy's rollout
    bool controller_ok = false;  // the noise-free controller rollout succeeded
    double controller_cost = 0;
    long long sim_steps = 0;
    double rollout_s = 0, improve_s = 0;
    RegressionData data;         // the samples' states and the controller's actions there
};

// one sample per step of a controller rollout: obs_t = O(z'_t), the applied a'_{t-1} as the
// velocity input, the controller's noise-free action at z'_t as the target
RegressionData controller_samples(const sim::Model& model, const ObservationMap& obs_map, const ControllerRollout& r)
{
    const int n = int(r.actions.cols()), na = int(r.actions.rows());
    RegressionData d;
    d.obs.resize(obs_map.size(model), n);
    d.hv.setZero(na, n);
    d.target = r.mean;
    d.weight.setOnes(na, n);
    for (int t = 0; t < n; ++t) {
        obs_map.observe(model, r.states[std::size_t(t)], d.obs.col(t));
        if (t > 0) d.hv.col(t) = r.actions.col(t - 1);
    }
    return d;
}

} // namespace

std::vector<sim::State> gps_conditions(const sim::Model& model, const Task& task, const TrainConfig& config)
{
    std::vector<sim::State> out;
    out.reserve(std::size_t(config.gps_conditions));
    for (int i = 0; i < config.gps_conditions; ++i)
        out.push_back(sample_initial_state(model, task, derive_seed(config.seed, kGpsConditionStream, std::uint64_t(i))));
    return out;
}

policy::AdamConfig GpsLearner::policy_adam(const TrainConfig& c) { return policy::AdamConfig{.lr = c.fit_lr}; }

GpsLearner::GpsLearner(const sim::Model& model, const Task& task, const TrainConfig& config, const policy::Policy& policy)
    : m_config(config)
{
    if (dynamic_cast<const policy::MlpPolicy*>(&policy) == nullptr)
        throw common::InputError("method gps trains MLP policies, got a " + policy.type() + " policy");
    const int nz = 4 * model.n_x() + model.n_p();
    if (nz > kRiccatiMaxState)
        throw common::InputError("method gps needs the box-DDP Riccati pass: the scene's BDF2 state has " +
                                 std::to_string(nz) + " entries, at most " + std::to_string(kRiccatiMaxState));
    m_conditions = gps_conditions(model, task, config);
    const auto m = std::size_t(config.gps_conditions);
    m_step.assign(m, config.gps_step);
    m_eta.assign(m, 1.0);
    m_policy_cost.assign(m, 0.0);
    m_controller_cost.assign(m, 0.0);
    m_previous.assign(m, 0.0);
}

EpochStats GpsLearner::epoch(int epoch, const EpochContext& ctx)
{
    const sim::Model& model = ctx.scene.model;
    const Task& task = ctx.scene.task;
    const int m = int(m_conditions.size()), n = task.horizon, na = model.n_p(), samples = m_config.gps_samples;
    const double limit = task.action_limit;

    // the perturbed samples' noise, matrix c * samples + s (sample 0 of each condition has none)
    std::vector<Eigen::MatrixXd> noise;
    trajectory_noise(m_config.seed, kGpsNoiseStream, epoch, m * samples, na, n, noise);
    for (Eigen::MatrixXd& e : noise) e *= m_config.gps_noise * limit;

    // per condition: the policy's rollout, the step size, the C-step and the controller's samples
    std::vector<ConditionResult> res(static_cast<std::size_t>(m));
    const Cluster& cluster = ctx.workers.cluster();
    const std::vector<int> mine = cluster.owned_batches(m);
#pragma omp parallel for num_threads(ctx.workers.threads()) schedule(dynamic, 1)
    for (int q = 0; q < int(mine.size()); ++q) {
        const int c = mine[std::size_t(q)], th = thread_index();
        const auto ci = std::size_t(c);
        ConditionResult& r = res[ci];
        sim::Simulator& sim = ctx.workers.sim(th);
        const auto t0 = Clock::now();
        ClosedLoopRollout own;
        closed_loop_rollout(sim, ctx.policy, ctx.obs, task, ctx.cost, m_conditions[ci], false,
                            ctx.workers.workspace(th), own);
        r.sim_steps = own.ok ? n : own.failed_step + 1;
        const auto t1 = Clock::now();
        r.rollout_s = seconds(t0, t1);
        if (!own.ok) {
            r.failed_step = own.failed_step;
            r.failure = own.failure;
            continue;
        }
        r.policy_cost = own.cost;
        try {
            // MDGPS's step size from the last epoch's promise and what the policy realised of it
            double eps = m_step[ci];
            if (m_previous[ci] != 0) {
                const double predicted = m_policy_cost[ci] - m_controller_cost[ci];
                const double actual = m_policy_cost[ci] - own.cost;
                eps = std::clamp(eps * gps_step_multiplier(predicted, actual), kGpsStepMin * m_config.gps_step,
                                 kGpsStepMax * m_config.gps_step);
            }
            r.step = eps;
            // the C-step: the LQ model of the policy's rollout and the controller within eps of it
            const LqModel lq = lq_model(sim, ctx.cost, own.states, own.actions);
            const Eigen::MatrixXd gradient = lq_gradient(lq);
            const ActionMask held = active_set(own.actions, gradient, limit, 1e-9);
            r.gradient_norm = projected_gradient(gradient, held).norm();
            const LocalController controller =
                trust_region_controller(lq, own.actions, limit, held, eps, m_eta[ci]);
            r.eta = controller.eta;
            // its rollouts, sample 0 without noise; failed ones give no samples
            std::vector<RegressionData> parts;
            ControllerRollout cr;
            for (int s = 0; s < samples; ++s) {
                const Eigen::MatrixXd none;
                controller_rollout(sim, task, ctx.cost, own.states, own.actions, controller.law,
                                   s == 0 ? none : noise[std::size_t(c * samples + s)], cr);
                r.sim_steps += cr.steps;
                if (s == 0) {
                    r.controller_ok = cr.ok;
                    r.controller_cost = cr.cost;
                }
                if (cr.ok) parts.push_back(controller_samples(model, ctx.obs, cr));
            }
            r.data = concatenate(parts);
            r.ok = true;
        } catch (const std::exception& e) {
            r.failure = e.what();
            r.data = RegressionData{};
        }
        r.improve_s = seconds(t1, Clock::now());
    }
    // every rank gets every condition's outcome and samples
    cluster.share_batches(
        m,
        [&](int c, WireWriter& w) {
            const ConditionResult& r = res[std::size_t(c)];
            w.put(int(r.ok));
            w.put(r.failed_step);
            w.put(r.failure);
            for (double v : {r.policy_cost, r.step, r.eta, r.gradient_norm, r.controller_cost, r.rollout_s, r.improve_s})
                w.put(v);
            w.put(int(r.controller_ok));
            w.put(r.sim_steps);
            put_samples(w, r.data);
        },
        [&](int c, WireReader& in) {
            ConditionResult& r = res[std::size_t(c)];
            r.ok = in.get<int>() != 0;
            r.failed_step = in.get<int>();
            r.failure = in.get_string();
            for (double* v : {&r.policy_cost, &r.step, &r.eta, &r.gradient_norm, &r.controller_cost, &r.rollout_s,
                              &r.improve_s})
                *v = in.get<double>();
            r.controller_ok = in.get<int>() != 0;
            r.sim_steps = in.get<long long>();
            get_samples(in, r.data);
        });

    // statistics and the conditions' state in condition order; failed conditions give no samples
    EpochStats s;
    std::vector<RegressionData> parts;
    int ok = 0, promised = 0;
    for (int c = 0; c < m; ++c) {
        const auto ci = std::size_t(c);
        const ConditionResult& r = res[ci];
        s.sim_steps += r.sim_steps;
        s.rollout_cpu_s += r.rollout_s;
        s.improve_cpu_s += r.improve_s;
        if (!r.ok) {
            ++s.failed;
            s.failures.push_back({c, r.failed_step, r.failure});
            m_previous[ci] = 0;
            continue;
        }
        ++ok;
        s.train_return -= r.policy_cost;
        s.alpha_mean += r.step;
        s.gradient_norm += r.gradient_norm;
        m_step[ci] = r.step;
        m_eta[ci] = r.eta;
        m_policy_cost[ci] = r.policy_cost;
        m_controller_cost[ci] = r.controller_ok ? r.controller_cost : 0;
        m_previous[ci] = r.controller_ok ? 1 : 0;
        if (r.controller_ok) {
            ++promised;
            s.improved_return -= r.controller_cost;
        }
        parts.push_back(r.data);
    }
    if (ok > 0) {
        s.train_return /= ok;
        s.alpha_mean /= ok;
        s.gradient_norm /= ok;
    }
    if (promised > 0) s.improved_return /= promised;

    // the S-step: the policy regressed onto the controllers' actions at their samples' states
    const auto fit_start = Clock::now();
    const RegressionData data = concatenate(parts);
    if (data.size() > 0)
        s.fit_loss = fit_policy(ctx.policy, ctx.adam, data, m_config.fit_steps, m_config.minibatch,
                                derive_seed(m_config.seed, kFitStream, std::uint64_t(epoch)), ctx.fit_ws, cluster);
    s.fit_s = seconds(fit_start, Clock::now());
    return s;
}

nlohmann::json GpsLearner::state_json() const
{
    return {{"step", m_step},
            {"eta", m_eta},
            {"policy_cost", m_policy_cost},
            {"controller_cost", m_controller_cost},
            {"previous", m_previous}};
}

void GpsLearner::restore(const common::JsonNode& n)
{
    n.allow_keys({"step", "eta", "policy_cost", "controller_cost", "previous"});
    const int m = int(m_conditions.size());
    auto read = [&](const char* key, bool positive) {
        const Eigen::VectorXd v = n[key].vector(m);
        if (positive && !(v.array() > 0).all()) n[key].fail("entries must be > 0");
        return std::vector<double>(v.data(), v.data() + v.size());
    };
    std::vector<double> step = read("step", true), eta = read("eta", true), policy_cost = read("policy_cost", false),
                        controller_cost = read("controller_cost", false), previous = read("previous", false);
    for (double p : previous)
        if (p != 0 && p != 1) n["previous"].fail("entries must be 0 or 1");
    m_step = std::move(step);
    m_eta = std::move(eta);
    m_policy_cost = std::move(policy_cost);
    m_controller_cost = std::move(controller_cost);
    m_previous = std::move(previous);
}

} // namespace podsim::pods
