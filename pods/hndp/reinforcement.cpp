// H-NDP's local/global iteration for reinforcement learning (see reinforcement.hpp).
#include "pods/hndp/reinforcement.hpp"

#include "common/json_node.hpp"
#include "pods/hndp/trajectory_loss.hpp"
#include "pods/task/random.hpp"
#include "pods/train/policy_factory.hpp"
#include "pods/train/regression.hpp"
#include "pods/train/timing.hpp"
#include "policy/policy_io.hpp"

#include <chrono>
#include <cmath>
#include <exception>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

namespace podsim::pods::hndp {

namespace {

policy::AdamConfig local_adam_config(const TrainConfig& c)
{
    policy::AdamConfig a;
    a.lr = c.hndp_local_method == Method::kPpo ? c.ppo_lr : c.fit_lr;
    return a;
}

// a batch of plans' starting points, the handle positions the NDP head reads (obs rows [0, n_a))
TrajectoryBatch plan_batch(const Eigen::MatrixXd& obs, const Eigen::MatrixXd& hv, int n_a)
{
    TrajectoryBatch b;
    b.obs = obs;
    b.handle_velocity = hv;
    b.start = obs.topRows(n_a);
    return b;
}

} // namespace

double trajectory_weight(double weight, int m, int k, double h) { return weight / (2.0 * m * (k + 1) * h * h); }

HndpLearner::HndpLearner(const sim::Model& model, const Task& task, const TrainConfig& config, int threads)
    : m_model(&model), m_task(&task), m_config(config), m_improve_config(config),
      m_regions(model, task, config.hndp_regions, config.hndp_region_samples, config.seed)
{
    m_improve_config.method = config.hndp_local_method == Method::kPods1 ? Method::kPods1 : Method::kPods2;
    // the fits regress on the improved actions in the Euclidean metric (the PODS paper's targets)
    m_improve_config.pods_target = PodsTarget::kOpenLoop;
    m_improve_config.pods_metric = PodsMetric::kEuclidean;
    for (int i = 0; i < config.hndp_regions; ++i) {
        TrainConfig lc = config;
        lc.seed = derive_seed(config.seed, kLocalStream, std::uint64_t(i));
        m_locals.push_back(make_policy(model, task, lc));
        const policy::Policy& p = *m_locals.back();
        m_local_adams.emplace_back(local_adam_config(config), p.n_params());
        if (config.hndp_local_method == Method::kPpo) {
            lc.method = Method::kPpo;
            m_local_ppo.push_back(std::make_unique<PpoLearner>(model, task, lc, p, threads));
        }
        m_local_ws.emplace_back();
        m_local_ws.back().push_back(p.make_workspace());
        m_pull_local_ws.push_back(p.make_workspace());
        m_target_ws.push_back(p.make_workspace());
    }
}

EpochStats HndpLearner::epoch(int epoch, const EpochContext& ctx)
{
    policy::Policy& global = ctx.policy;
    policy::Adam& global_adam = ctx.adam;
    Workers& workers = ctx.workers;
    const ObservationMap& obs_map = ctx.obs;
    const QuadraticCost& cost = ctx.cost;
    const std::vector<std::unique_ptr<policy::PolicyWorkspace>>& fit_ws = ctx.fit_ws;
    const int regions = size(), b = m_config.batch, n_a = m_model->n_p(), k = global.horizon();
    const double h = m_model->dt;
    while (int(m_pull_global_ws.size()) < regions) m_pull_global_ws.push_back(global.make_workspace());
    EpochStats s;

    // 1. batch states per region; the global from all of them, every local from its region's,
    // rolled out in one parallel loop (and improved, unless the locals learn by PPO)
    const auto t0 = Clock::now();
    const std::vector<std::vector<sim::State>> states =
        m_regions.sample(b, derive_seed(m_config.seed, kTrainStream, std::uint64_t(epoch)));
    std::vector<sim::State> all;
    for (const auto& r : states) all.insert(all.end(), r.begin(), r.end());
    const bool pods_locals = m_config.hndp_local_method != Method::kPpo;
    std::vector<PodsGroup> groups{{&global, all, true}};
    for (int i = 0; i < regions; ++i)
        groups.push_back({m_locals[std::size_t(i)].get(), states[std::size_t(i)], pods_locals, true});
    pods_rollouts(workers, obs_map, *m_task, cost, m_improve_config, groups, m_groups);
    s.simulate_s = seconds(t0, Clock::now());

    // the global's statistics; every group's steps, times and failures
    const EpochStats& g = m_groups[0].stats;
    s.train_return = s.global_return = g.train_return;
    s.improved_return = g.improved_return;
    s.alpha_mean = g.alpha_mean;
    s.gradient_norm = g.gradient_norm;
    for (std::size_t q = 0; q < m_groups.size(); ++q) {
        const EpochStats& gs = m_groups[q].stats;
        s.sim_steps += gs.sim_steps;
        s.rollout_cpu_s += gs.rollout_cpu_s;
        s.improve_cpu_s += gs.improve_cpu_s;
        s.failed += gs.failed;
        for (TrajectoryFailure f : gs.failures) {
            if (q > 0) f.message = "local " + std::to_string(q - 1) + ": " + f.message;
            s.failures.push_back(f);
        }
    }

    // 2. alpha_i: the pull weight where the global's mean return on region i is within the
    // success fraction of the local's
    std::vector<double> alpha(static_cast<std::size_t>(regions), 0.0);
    for (int i = 0; i < regions; ++i) {
        double global_sum = 0;
        int global_ok = 0;
        for (int j = i * b; j < (i + 1) * b; ++j) {
            const ClosedLoopRollout& r = m_groups[0].rollouts[std::size_t(j)];
            if (!r.ok) continue;
            global_sum -= r.cost;
            ++global_ok;
        }
        const EpochStats& ls = m_groups[std::size_t(i) + 1].stats;
        const bool local_ok = ls.failed < b;
        s.local_return += ls.train_return / regions;
        if (global_ok == 0 || !local_ok) continue;
        const double global_return = global_sum / global_ok, local_return = ls.train_return;
        if (global_return >= local_return - m_config.hndp_success_fraction * std::abs(local_return))
            alpha[std::size_t(i)] = m_config.hndp_pull_weight;
        s.pulled_regions += alpha[std::size_t(i)] > 0;
    }

    // 3. the locals, with their pull toward the global's plans
    const auto t1 = Clock::now();
    fit_locals(epoch, global, workers, obs_map, cost, states, alpha, fit_ws, s);
    s.local_fit_s = seconds(t1, Clock::now());

    // 4. the global: L_BC toward the (updated) locals' plans at the states of the locals' own
    // rollouts, region after region, plus its PODS regression
    const auto t2 = Clock::now();
    TrajectoryBatch bc;
    {
        std::vector<Eigen::MatrixXd> obs, hv, target;
        Eigen::Index total = 0;
        for (int i = 0; i < regions; ++i) {
            Eigen::Index cols = 0;
            for (const ClosedLoopRollout& r : m_groups[std::size_t(i) + 1].rollouts)
                if (r.ok) cols += r.obs.cols();
            Eigen::MatrixXd o(obs_map.size(*m_model), cols), v(n_a, cols);
            cols = 0;
            for (const ClosedLoopRollout& r : m_groups[std::size_t(i) + 1].rollouts) {
                if (!r.ok) continue;
                o.middleCols(cols, r.obs.cols()) = r.obs;
                v.middleCols(cols, r.obs.cols()) = r.handle_velocity;
                cols += r.obs.cols();
            }
            Eigen::MatrixXd plan(Eigen::Index(k) * n_a, 0);
            if (cols > 0) m_locals[std::size_t(i)]->act(o, v, plan, *m_target_ws[std::size_t(i)]);
            target.push_back(plan_positions(plan, o.topRows(n_a), h));
            obs.push_back(std::move(o));
            hv.push_back(std::move(v));
            total += cols;
        }
        bc.obs.resize(obs_map.size(*m_model), total);
        bc.handle_velocity.resize(n_a, total);
        bc.target.resize(Eigen::Index(k + 1) * n_a, total);
        Eigen::Index c = 0;
        for (int i = 0; i < regions; ++i) {
            const Eigen::Index cols = obs[std::size_t(i)].cols();
            bc.obs.middleCols(c, cols) = obs[std::size_t(i)];
            bc.handle_velocity.middleCols(c, cols) = hv[std::size_t(i)];
            bc.target.middleCols(c, cols) = target[std::size_t(i)];
            c += cols;
        }
        bc.start = bc.obs.topRows(n_a);
    }
    const int bc_size = int(bc.obs.cols()), bc_m = std::min(m_config.minibatch, bc_size);
    std::mt19937_64 bc_rng(derive_seed(m_config.seed, kBcStream, std::uint64_t(epoch)));
    std::vector<int> bc_order(static_cast<std::size_t>(bc_size));
    std::iota(bc_order.begin(), bc_order.end(), 0);
    shuffle(bc_order, bc_rng);
    std::size_t bc_cursor = 0;
    double bc_sum = 0;
    int bc_steps = 0;
    // each Adam step: a minibatch of the behaviour-cloning samples of its own permutation
    const FitExtraLoss behaviour_cloning = [&](std::span<const int>, const Eigen::MatrixXd&, const Eigen::MatrixXd&,
                                               Eigen::VectorXd& grad) {
        TrajectoryBatch mb;
        mb.obs.resize(bc.obs.rows(), bc_m);
        mb.handle_velocity.resize(n_a, bc_m);
        mb.start.resize(n_a, bc_m);
        mb.target.resize(bc.target.rows(), bc_m);
        mb.weight = Eigen::VectorXd::Constant(bc_m, trajectory_weight(m_config.hndp_bc_weight, bc_m, k, h));
        for (int c = 0; c < bc_m; ++c) {
            if (bc_cursor == bc_order.size()) {
                shuffle(bc_order, bc_rng);
                bc_cursor = 0;
            }
            const int j = bc_order[bc_cursor++];
            mb.obs.col(c) = bc.obs.col(j);
            mb.handle_velocity.col(c) = bc.handle_velocity.col(j);
            mb.start.col(c) = bc.start.col(j);
            mb.target.col(c) = bc.target.col(j);
        }
        Eigen::VectorXd d;
        const double v = behaviour_cloning_loss(global, m_bc_ws, mb, h, &d, workers.threads());
        grad += d;
        bc_sum += v;
        ++bc_steps;
        return v;
    };
    const RegressionData data = concatenate(m_groups[0].samples);
    const bool with_bc = bc_size > 0 && m_config.hndp_bc_weight > 0;
    s.fit_loss = fit_policy(global, global_adam, data, m_config.fit_steps, m_config.minibatch,
                            derive_seed(m_config.seed, kFitStream, std::uint64_t(epoch)), fit_ws, workers.cluster(),
                            with_bc ? behaviour_cloning : FitExtraLoss());
    s.bc_loss = bc_steps > 0 ? bc_sum / bc_steps : 0;
    s.global_fit_s = seconds(t2, Clock::now());
    s.fit_s = s.local_fit_s + s.global_fit_s;
    return s;
}

void HndpLearner::fit_locals(int epoch, const policy::Policy& global, Workers& workers, const ObservationMap& obs_map,
                             const QuadraticCost& cost, const std::vector<std::vector<sim::State>>& states,
                             const std::vector<double>& alpha,
                             const std::vector<std::unique_ptr<policy::PolicyWorkspace>>& fit_ws, EpochStats& s)
{
    const int regions = size(), n_a = m_model->n_p(), k = global.horizon();
    const double h = m_model->dt;
    std::vector<double> pull_sum(static_cast<std::size_t>(regions), 0.0);
    std::vector<int> pull_steps(static_cast<std::size_t>(regions), 0);
    // the pull of local i at a minibatch's states: alpha_i |F(phi_l(s)) - F(phi_g(s))|^2
    auto pull = [&](int i) -> FitExtraLoss {
        if (alpha[std::size_t(i)] <= 0) return {};
        return [&, i](std::span<const int>, const Eigen::MatrixXd& obs, const Eigen::MatrixXd& hv, Eigen::VectorXd& grad) {
            const int m = int(obs.cols());
            TrajectoryBatch batch = plan_batch(obs, hv, n_a);
            Eigen::MatrixXd plan;
            global.act(obs, hv, plan, *m_pull_global_ws[std::size_t(i)]);
            batch.target = plan_positions(plan, batch.start, h);
            batch.weight = Eigen::VectorXd::Constant(m, trajectory_weight(alpha[std::size_t(i)], m, k, h));
            Eigen::VectorXd d;
            const double v = pull_loss(*m_locals[std::size_t(i)], *m_pull_local_ws[std::size_t(i)], batch, h, &d);
            grad += d;
            pull_sum[std::size_t(i)] += v;
            ++pull_steps[std::size_t(i)];
            return v;
        };
    };
    auto fit_seed = [&](int i) {
        return derive_seed(derive_seed(m_config.seed, kLocalFitStream, std::uint64_t(epoch)), kLocalFitStream, std::uint64_t(i));
    };
    const Cluster& cluster = workers.cluster();

    if (m_config.hndp_local_method == Method::kPpo) {
        // PPO: every local's epoch in turn, each parallel over its trajectories
        for (int i = 0; i < regions; ++i) {
            const EpochStats ls = m_local_ppo[std::size_t(i)]->epoch(epoch, states[std::size_t(i)], *m_locals[std::size_t(i)],
                                                                     m_local_adams[std::size_t(i)], workers, obs_map, cost,
                                                                     pull(i));
            s.sim_steps += ls.sim_steps;
            s.failed += ls.failed;
            for (TrajectoryFailure f : ls.failures) {
                f.message = "local " + std::to_string(i) + " (PPO): " + f.message;
                s.failures.push_back(f);
            }
        }
    } else if (m_config.hndp_local_parallel == "trajectories") {
        // one local after another, each fit's chunks in parallel (and over the ranks)
        for (int i = 0; i < regions; ++i)
            fit_policy(*m_locals[std::size_t(i)], m_local_adams[std::size_t(i)], concatenate(m_groups[std::size_t(i) + 1].samples),
                       m_config.fit_steps, m_config.minibatch, fit_seed(i), fit_ws, cluster, pull(i));
    } else {
        // the locals in parallel, one thread each, the regions spread over the ranks; fit_policy's
        // result does not depend on its thread or rank count, so both ways give the same bits
        const std::vector<int> mine = cluster.owned_batches(regions);
        std::vector<std::string> errors(static_cast<std::size_t>(regions));
#pragma omp parallel for num_threads(workers.threads()) schedule(dynamic, 1)
        for (int q = 0; q < int(mine.size()); ++q) {
            const int i = mine[std::size_t(q)];
            try {
                fit_policy(*m_locals[std::size_t(i)], m_local_adams[std::size_t(i)],
                           concatenate(m_groups[std::size_t(i) + 1].samples), m_config.fit_steps, m_config.minibatch,
                           fit_seed(i), m_local_ws[std::size_t(i)], Cluster(), pull(i));
            } catch (const std::exception& e) {
                errors[std::size_t(i)] = e.what();
            }
        }
        for (const std::string& e : errors)
            if (!e.empty()) throw std::runtime_error(e);
        // every rank gets every local's parameters, optimiser state and pull statistics
        cluster.share_batches(
            regions,
            [&](int i, WireWriter& w) {
                const policy::Adam& a = m_local_adams[std::size_t(i)];
                w.put_matrix(m_locals[std::size_t(i)]->parameters());
                w.put(a.steps());
                w.put_matrix(a.first_moment());
                w.put_matrix(a.second_moment());
                w.put(pull_sum[std::size_t(i)]);
                w.put(pull_steps[std::size_t(i)]);
            },
            [&](int i, WireReader& in) {
                Eigen::VectorXd p, mo, v;
                in.get_matrix(p);
                const auto steps = in.get<long long>();
                in.get_matrix(mo);
                in.get_matrix(v);
                m_locals[std::size_t(i)]->set_parameters(p);
                m_local_adams[std::size_t(i)].set_state(steps, mo, v);
                pull_sum[std::size_t(i)] = in.get<double>();
                pull_steps[std::size_t(i)] = in.get<int>();
            });
    }

    // the mean pull of the pulled locals
    int pulled = 0;
    for (int i = 0; i < regions; ++i) {
        if (pull_steps[std::size_t(i)] == 0) continue;
        s.pull_loss += pull_sum[std::size_t(i)] / pull_steps[std::size_t(i)];
        ++pulled;
    }
    if (pulled > 0) s.pull_loss /= pulled;
}

nlohmann::json HndpLearner::state_json() const
{
    nlohmann::json locals = nlohmann::json::array();
    for (int i = 0; i < size(); ++i) {
        nlohmann::json l = {{"policy", policy::policy_to_json(*m_locals[std::size_t(i)])},
                            {"adam", policy::adam_to_json(m_local_adams[std::size_t(i)])}};
        if (!m_local_ppo.empty()) l["ppo"] = m_local_ppo[std::size_t(i)]->state_json();
        locals.push_back(std::move(l));
    }
    return {{"locals", std::move(locals)}};
}

void HndpLearner::restore(const common::JsonNode& n)
{
    n.allow_keys({"locals"});
    const common::JsonNode locals = n["locals"];
    if (int(locals.size()) != size())
        locals.fail("has " + std::to_string(locals.size()) + " local policies, the run's configuration has " +
                    std::to_string(size()) + " regions");
    std::vector<std::unique_ptr<policy::Policy>> policies;
    std::vector<policy::Adam> adams;
    for (int i = 0; i < size(); ++i) {
        const common::JsonNode l = locals[std::size_t(i)];
        if (m_local_ppo.empty()) l.allow_keys({"policy", "adam"});
        else l.allow_keys({"policy", "adam", "ppo"});
        std::unique_ptr<policy::Policy> p = policy::policy_from_json(l["policy"]);
        const policy::Policy& want = *m_locals[std::size_t(i)];
        if (p->type() != want.type() || p->n_params() != want.n_params() || p->n_obs() != want.n_obs() ||
            p->n_act() != want.n_act() || p->horizon() != want.horizon())
            l["policy"].fail("does not match the run's configuration");
        adams.push_back(policy::adam_from_json(l["adam"], p->n_params()));
        policies.push_back(std::move(p));
    }
    for (int i = 0; i < size(); ++i) {
        if (!m_local_ppo.empty()) m_local_ppo[std::size_t(i)]->restore(locals[std::size_t(i)]["ppo"]);
        m_locals[std::size_t(i)] = std::move(policies[std::size_t(i)]);
        m_local_adams[std::size_t(i)] = std::move(adams[std::size_t(i)]);
        const policy::Policy& p = *m_locals[std::size_t(i)];
        m_local_ws[std::size_t(i)].clear();
        m_local_ws[std::size_t(i)].push_back(p.make_workspace());
        m_pull_local_ws[std::size_t(i)] = p.make_workspace();
        m_target_ws[std::size_t(i)] = p.make_workspace();
    }
}

} // namespace podsim::pods::hndp
