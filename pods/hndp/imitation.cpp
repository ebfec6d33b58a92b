// H-NDP imitation: locals, global distillation with iterative refinement, baselines (see
// imitation.hpp and docs/hndp.md).
#include "pods/hndp/imitation.hpp"

#include "pods/hndp/trajectory_loss.hpp"
#include "pods/task/random.hpp"
#include "policy/adam.hpp"
#include "policy/mlp_policy.hpp"
#include "policy/ndp.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <omp.h>
#include <stdexcept>

namespace podsim::pods::hndp {

namespace {

using Clock = std::chrono::steady_clock;
using Workspaces = std::vector<std::unique_ptr<policy::PolicyWorkspace>>;

// seed streams (derive_seed) of every random choice
enum Stream : std::uint64_t { DEMO = 1, TEST = 2, RELABEL = 3, INIT = 4, ORDER = 5 };

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void require(bool ok, const std::string& what)
{
    if (!ok) throw std::invalid_argument(what);
}

// samples as matrices, one column each (observations of one kind)
struct SampleSet {
    Eigen::MatrixXd obs, start, target;
    std::vector<int> digit;
    int size() const { return int(digit.size()); }
};

enum class View { LOCAL, GLOBAL };

SampleSet to_set(const std::vector<DigitSample>& samples, View view)
{
    SampleSet s;
    const int n = int(samples.size());
    if (n == 0) return s;
    const Eigen::VectorXd o0 = view == View::LOCAL ? local_observation(samples[0]) : global_observation(samples[0]);
    s.obs.resize(o0.size(), n);
    s.start.resize(2, n);
    s.target.resize(samples[0].target.size(), n);
    for (int b = 0; b < n; ++b) {
        const DigitSample& x = samples[std::size_t(b)];
        s.obs.col(b) = view == View::LOCAL ? local_observation(x) : global_observation(x);
        s.start.col(b) = x.target.head(2);
        s.target.col(b) = x.target;
        s.digit.push_back(x.digit);
    }
    return s;
}

// the columns `idx` of a set, every sample with weight w
TrajectoryBatch batch_of(const SampleSet& s, const std::vector<int>& idx, double w)
{
    TrajectoryBatch b;
    const int n = int(idx.size());
    b.obs.resize(s.obs.rows(), n);
    b.start.resize(2, n);
    b.target.resize(s.target.rows(), n);
    for (int i = 0; i < n; ++i) {
        b.obs.col(i) = s.obs.col(idx[std::size_t(i)]);
        b.start.col(i) = s.start.col(idx[std::size_t(i)]);
        b.target.col(i) = s.target.col(idx[std::size_t(i)]);
    }
    b.weight.setConstant(n, w);
    return b;
}

TrajectoryBatch whole(const SampleSet& s, double w)
{
    return TrajectoryBatch{s.obs, {}, s.start, s.target, Eigen::VectorXd::Constant(s.size(), w)};
}

// minibatches without replacement from a seeded permutation, reshuffled when used up
class Minibatches {
public:
    Minibatches(int n, int size, std::uint64_t seed) : m_rng(seed), m_size(std::min(size, n))
    {
        for (int i = 0; i < n; ++i) m_order.push_back(i);
        shuffle(m_order, m_rng);
    }
    std::vector<int> next()
    {
        std::vector<int> out;
        for (int i = 0; i < m_size; ++i) {
            if (m_pos == m_order.size()) {
                shuffle(m_order, m_rng);
                m_pos = 0;
            }
            out.push_back(m_order[m_pos++]);
        }
        return out;
    }
    int size() const { return m_size; }

private:
    std::mt19937_64 m_rng;
    std::vector<int> m_order;
    std::size_t m_pos = 0;
    int m_size;
};

// the samples of digit d under `count` transforms of stream (stream, key)
std::vector<DigitSample> draw_samples(const std::vector<DigitStroke>& strokes, const ImitationConfig& c,
                                      Stream stream, std::uint64_t key, int count)
{
    std::vector<DigitSample> out(std::size_t(10 * count));
    // rendering dominates: samples in parallel, each from its own seed
#pragma omp parallel for schedule(dynamic, 4)
    for (int i = 0; i < 10 * count; ++i) {
        const int d = i / count, j = i % count;
        std::mt19937_64 rng(derive_seed(c.seed, stream, (key * 10 + std::uint64_t(d)) * 1000003ull + std::uint64_t(j)));
        out[std::size_t(i)] = make_sample(strokes[std::size_t(d)], sample_transform(rng, c.ranges), c.image_size);
    }
    return out;
}

std::unique_ptr<policy::NdpPolicy> make_ndp(const ImitationConfig& c, int n_obs, const std::vector<int>& hidden,
                                            std::uint64_t seed)
{
    policy::NdpConfig n;
    n.n_obs = n_obs;
    n.n_act = 2;
    n.horizon = c.plan_steps;
    n.substeps = c.substeps;
    n.dt = 1.0 / c.plan_steps;
    n.basis = c.basis;
    n.network.hidden = hidden;
    return std::make_unique<policy::NdpPolicy>(n, seed);
}

double plan_step(const ImitationConfig& c) { return 1.0 / c.plan_steps; }

// errors of every column of `plans` against its sample
SetScore score(const Eigen::MatrixXd& plans, const std::vector<DigitSample>& samples, double success_fraction)
{
    SetScore s;
    std::array<int, 10> count{};
    for (std::size_t b = 0; b < samples.size(); ++b) {
        const double e = normalised_error(plans.col(Eigen::Index(b)), samples[b]);
        const bool ok = e < success_fraction;
        const int d = samples[b].digit;
        s.error += e;
        s.success += ok;
        s.error_per_digit[std::size_t(d)] += e;
        s.success_per_digit[std::size_t(d)] += ok;
        ++count[std::size_t(d)];
    }
    const double n = double(std::max<std::size_t>(samples.size(), 1));
    s.error /= n;
    s.success /= n;
    for (int d = 0; d < 10; ++d)
        if (count[std::size_t(d)] > 0) {
            s.error_per_digit[std::size_t(d)] /= count[std::size_t(d)];
            s.success_per_digit[std::size_t(d)] /= count[std::size_t(d)];
        }
    return s;
}

Eigen::MatrixXd plans_of(const policy::Policy& p, Workspaces& ws, const SampleSet& s, double h)
{
    Eigen::MatrixXd y;
    trajectory_loss_chunked(p, ws, whole(s, 0.0), h, nullptr, &y);
    return y;
}

// one Adam step of a local policy on L_i (its demonstrations) plus, when given, the pull
double local_step(policy::Policy& p, policy::Adam& adam, policy::PolicyWorkspace& ws, const TrajectoryBatch& demos,
                  const TrajectoryBatch* pull, double h)
{
    Eigen::VectorXd grad, g;
    double value = trajectory_loss(p, ws, demos, h, &grad);
    if (pull != nullptr) {
        value += pull_loss(p, ws, *pull, h, &g);
        grad += g;
    }
    Eigen::VectorXd theta = p.parameters();
    adam.step(theta, grad);
    p.set_parameters(theta);
    return value;
}

policy::AdamConfig adam_config(double lr)
{
    policy::AdamConfig a;
    a.lr = lr;
    a.clip_norm = 10;
    return a;
}

// everything a method shares: the data and the derived sizes
struct Problem {
    const std::vector<DigitStroke>& strokes;
    const ImitationConfig& c;
    std::vector<DigitSample> demos, test;
    SampleSet demos_global, test_global;
    std::array<SampleSet, 10> demos_local;
    double h = 0, point_weight = 0; // per-sample weight 1 / (M (k + 1)) is point_weight / M
};

// trains the global policy `p` for `steps` steps on L_BC over `bc` (may be empty) plus L_g over the
// demonstrations; returns the mean L_BC and L_g over the last 10% of the steps
std::pair<double, double> train_global(const Problem& pr, policy::Policy& p, policy::Adam& adam, Workspaces& ws,
                                       const SampleSet& bc, int steps, std::uint64_t order_seed)
{
    const ImitationConfig& c = pr.c;
    Minibatches demo_mb(pr.demos_global.size(), c.minibatch, derive_seed(order_seed, 1));
    Minibatches bc_mb(std::max(bc.size(), 1), c.minibatch, derive_seed(order_seed, 2));
    double bc_sum = 0, demo_sum = 0;
    int tail = 0;
    for (int s = 0; s < steps; ++s) {
        Eigen::VectorXd grad, g;
        const double demo_loss = trajectory_loss_chunked(
            p, ws, batch_of(pr.demos_global, demo_mb.next(), pr.point_weight / demo_mb.size()), pr.h, &grad);
        double bc_loss = 0;
        if (bc.size() > 0) {
            bc_loss = behaviour_cloning_loss(p, ws, batch_of(bc, bc_mb.next(), pr.point_weight / bc_mb.size()), pr.h, &g);
            grad += g;
        }
        Eigen::VectorXd theta = p.parameters();
        adam.step(theta, grad);
        p.set_parameters(theta);
        if (s >= steps - std::max(1, steps / 10)) {
            bc_sum += bc_loss;
            demo_sum += demo_loss;
            ++tail;
        }
    }
    return {bc_sum / std::max(tail, 1), demo_sum / std::max(tail, 1)};
}

MethodResult finish(const Problem& pr, const std::string& name, std::unique_ptr<policy::Policy> p, Workspaces& ws,
                    double train_s)
{
    MethodResult r;
    r.method = name;
    r.train = score(plans_of(*p, ws, pr.demos_global, pr.h), pr.demos, pr.c.success_fraction);
    r.test_plans = plans_of(*p, ws, pr.test_global, pr.h);
    r.test = score(r.test_plans, pr.test, pr.c.success_fraction);
    r.policy = std::move(p);
    r.train_s = train_s;
    return r;
}

// a single policy trained on the demonstrations alone (the "ndp" and "mlp" baselines)
MethodResult run_direct(const Problem& pr, const std::string& name, std::vector<IterationLog>& log)
{
    const ImitationConfig& c = pr.c;
    const auto t0 = Clock::now();
    std::unique_ptr<policy::Policy> p;
    if (name == "ndp") {
        p = make_ndp(c, int(pr.demos_global.obs.rows()), c.global_hidden, derive_seed(c.seed, INIT, 0));
    } else {
        // twice the largest demonstrated velocity component bounds the MLP's a_max tanh output
        const int k = c.plan_steps;
        double vmax = 0;
        for (const DigitSample& s : pr.demos)
            for (int j = 0; j < k; ++j)
                vmax = std::max(vmax, (s.target.segment(2 * (j + 1), 2) - s.target.segment(2 * j, 2)).cwiseAbs().maxCoeff() / pr.h);
        policy::MlpConfig m;
        m.n_in = int(pr.demos_global.obs.rows());
        m.n_out = 2 * k;
        m.hidden = c.global_hidden;
        m.output_limit = 2 * vmax;
        p = std::make_unique<policy::MlpPolicy>(m, derive_seed(c.seed, INIT, 1));
    }
    policy::Adam adam(adam_config(c.global_lr), p->n_params());
    Workspaces ws;
    const auto [bc, demo] = train_global(pr, *p, adam, ws, SampleSet{}, c.iterations * c.global_steps,
                                         derive_seed(c.seed, ORDER, name == "ndp" ? 100 : 101));
    const double train_s = seconds_since(t0);
    MethodResult r = finish(pr, name, std::move(p), ws, train_s);
    IterationLog row;
    row.method = name;
    row.iteration = 1;
    row.wall_s = row.global_s = train_s;
    row.bc_loss = bc;
    row.demo_loss = demo;
    row.train = r.train;
    row.test = r.test;
    log.push_back(row);
    return r;
}

// H-NDP: `iterations` rounds of locals -> relabelling -> global (Algorithm 1)
MethodResult run_hndp(const Problem& pr, const std::string& name, int iterations, int relabel, int local_steps,
                      int global_steps, std::vector<IterationLog>& log)
{
    const ImitationConfig& c = pr.c;
    const double h = pr.h;
    const std::uint64_t method_key = name == "hndp" ? 0 : 1;

    // the locals (privileged input) and the global (image input); the same initial global as "ndp"
    std::vector<std::unique_ptr<policy::Policy>> locals;
    std::vector<policy::Adam> local_adam;
    for (int d = 0; d < 10; ++d) {
        locals.push_back(make_ndp(c, kLocalObservations, c.local_hidden, derive_seed(c.seed, INIT, 10 + std::uint64_t(d))));
        local_adam.emplace_back(adam_config(c.local_lr), locals.back()->n_params());
    }
    std::unique_ptr<policy::Policy> global =
        make_ndp(c, int(pr.demos_global.obs.rows()), c.global_hidden, derive_seed(c.seed, INIT, 0));
    policy::Adam global_adam(adam_config(c.global_lr), global->n_params());
    Workspaces global_ws;

    std::array<SampleSet, 10> pull;      // per digit: local observations, global plans as targets
    std::array<double, 10> alpha{};      // alpha_i, 0 until the global succeeds on digit i
    SampleSet bc;                        // the aggregated data set D: global observations, local plans
    double wall = 0;

    for (int it = 1; it <= iterations; ++it) {
        IterationLog row;
        row.method = name;
        row.iteration = it;

        // 1. locals: imitation of their demonstrations plus alpha_i times the pull, in parallel
        auto t0 = Clock::now();
        std::array<double, 10> local_loss{}, pull_value{};
        std::vector<std::string> errors(10);
#pragma omp parallel for schedule(dynamic, 1)
        for (int d = 0; d < 10; ++d) {
            try {
                policy::Policy& p = *locals[std::size_t(d)];
                const std::unique_ptr<policy::PolicyWorkspace> ws = p.make_workspace();
                Minibatches demo_mb(pr.demos_local[std::size_t(d)].size(), c.minibatch,
                                    derive_seed(c.seed, ORDER, (method_key * 100 + std::uint64_t(it)) * 10 + std::uint64_t(d)));
                Minibatches pull_mb(std::max(pull[std::size_t(d)].size(), 1), c.minibatch,
                                    derive_seed(c.seed, ORDER, (method_key * 100 + std::uint64_t(it)) * 10 + std::uint64_t(d) + 5000));
                for (int s = 0; s < local_steps; ++s) {
                    const TrajectoryBatch demo = batch_of(pr.demos_local[std::size_t(d)], demo_mb.next(), pr.point_weight / demo_mb.size());
                    if (alpha[std::size_t(d)] > 0 && pull[std::size_t(d)].size() > 0) {
                        const TrajectoryBatch toward = batch_of(pull[std::size_t(d)], pull_mb.next(),
                                                                alpha[std::size_t(d)] * pr.point_weight / pull_mb.size());
                        local_step(p, local_adam[std::size_t(d)], *ws, demo, &toward, h);
                    } else {
                        local_step(p, local_adam[std::size_t(d)], *ws, demo, nullptr, h);
                    }
                }
                local_loss[std::size_t(d)] =
                    trajectory_loss(p, *ws, whole(pr.demos_local[std::size_t(d)], pr.point_weight / pr.demos_local[std::size_t(d)].size()), h, nullptr);
                if (alpha[std::size_t(d)] > 0)
                    pull_value[std::size_t(d)] = pull_loss(p, *ws, whole(pull[std::size_t(d)], alpha[std::size_t(d)] * pr.point_weight / pull[std::size_t(d)].size()), h, nullptr);
            } catch (const std::exception& e) {
                errors[std::size_t(d)] = e.what();
            }
        }
        for (const std::string& e : errors)
            if (!e.empty()) throw std::invalid_argument(e);
        for (int d = 0; d < 10; ++d) {
            row.local_loss += local_loss[std::size_t(d)] / 10;
            row.pull_loss += pull_value[std::size_t(d)] / 10;
            row.pulled_regions += alpha[std::size_t(d)] > 0;
        }
        row.local_s = seconds_since(t0);

        // 2. relabel: new transforms of every digit, labelled with the local plans, into D
        t0 = Clock::now();
        const std::vector<DigitSample> fresh = draw_samples(pr.strokes, c, RELABEL, method_key * 1000 + std::uint64_t(it), relabel);
        SampleSet fresh_local = to_set(fresh, View::LOCAL), fresh_global = to_set(fresh, View::GLOBAL);
        for (int d = 0; d < 10; ++d) {
            Workspaces ws;
            const int b0 = d * relabel;
            SampleSet part;
            part.obs = fresh_local.obs.middleCols(b0, relabel);
            part.start = fresh_local.start.middleCols(b0, relabel);
            part.target = fresh_local.target.middleCols(b0, relabel);
            part.digit.assign(std::size_t(relabel), d);
            fresh_global.target.middleCols(b0, relabel) = plans_of(*locals[std::size_t(d)], ws, part, h);
        }
        const int old = bc.size();
        bc.obs.conservativeResize(fresh_global.obs.rows(), old + fresh_global.size());
        bc.start.conservativeResize(2, old + fresh_global.size());
        bc.target.conservativeResize(fresh_global.target.rows(), old + fresh_global.size());
        bc.obs.rightCols(fresh_global.size()) = fresh_global.obs;
        bc.start.rightCols(fresh_global.size()) = fresh_global.start;
        bc.target.rightCols(fresh_global.size()) = fresh_global.target;
        bc.digit.insert(bc.digit.end(), fresh_global.digit.begin(), fresh_global.digit.end());
        row.relabel_s = seconds_since(t0);

        // 3. global: L_BC over D plus L_g over the demonstrations
        t0 = Clock::now();
        std::tie(row.bc_loss, row.demo_loss) =
            train_global(pr, *global, global_adam, global_ws, bc, global_steps,
                         derive_seed(c.seed, ORDER, method_key * 100 + std::uint64_t(it) + 90000));
        // the pull targets of the next round: the global's plans on this round's new transforms
        const Eigen::MatrixXd gplans = plans_of(*global, global_ws, fresh_global, h);
        for (int d = 0; d < 10; ++d) {
            const int b0 = d * relabel;
            SampleSet& ps = pull[std::size_t(d)];
            ps.obs = fresh_local.obs.middleCols(b0, relabel);
            ps.start = fresh_local.start.middleCols(b0, relabel);
            ps.target = gplans.middleCols(b0, relabel);
            ps.digit.assign(std::size_t(relabel), d);
        }
        row.global_s = seconds_since(t0);
        wall += row.local_s + row.relabel_s + row.global_s;
        row.wall_s = wall;

        // 4. success of the global per region decides alpha_i (evaluation, not training time)
        t0 = Clock::now();
        row.train = score(plans_of(*global, global_ws, pr.demos_global, h), pr.demos, c.success_fraction);
        row.test = score(plans_of(*global, global_ws, pr.test_global, h), pr.test, c.success_fraction);
        Eigen::MatrixXd lplans(pr.demos_global.target.rows(), pr.demos_global.size());
        for (int d = 0; d < 10; ++d) {
            Workspaces ws;
            lplans.middleCols(d * c.demos_per_digit, c.demos_per_digit) = plans_of(*locals[std::size_t(d)], ws, pr.demos_local[std::size_t(d)], h);
        }
        row.local_train = score(lplans, pr.demos, c.success_fraction);
        for (int d = 0; d < 10; ++d)
            alpha[std::size_t(d)] = row.train.success_per_digit[std::size_t(d)] >= c.region_success ? c.pull_weight : 0.0;
        row.evaluate_s = seconds_since(t0);
        log.push_back(row);
    }
    return finish(pr, name, std::move(global), global_ws, wall);
}

} // namespace

void validate_imitation_config(const ImitationConfig& c)
{
    require(!c.methods.empty(), "methods: must name at least one method");
    for (const std::string& m : c.methods)
        require(std::find(kImitationMethods.begin(), kImitationMethods.end(), m) != kImitationMethods.end(),
                "methods: got \"" + m + "\", must be hndp, hndp-no-refine, ndp or mlp");
    require(c.plan_steps >= 2 && c.plan_steps <= 1000, "plan_steps: must be in [2, 1000]");
    require(c.substeps >= 1 && c.substeps <= 100, "substeps: must be in [1, 100]");
    require(c.basis >= 2 && c.basis <= 200, "basis: must be in [2, 200]");
    require(c.image_size >= 4 && c.image_size <= 128, "image_size: must be in [4, 128]");
    require(c.demos_per_digit >= 1 && c.demos_per_digit <= 10000, "demos_per_digit: must be in [1, 10000]");
    require(c.relabel_per_digit >= 1 && c.relabel_per_digit <= 10000, "relabel_per_digit: must be in [1, 10000]");
    require(c.test_per_digit >= 1 && c.test_per_digit <= 10000, "test_per_digit: must be in [1, 10000]");
    require(c.iterations >= 1 && c.iterations <= 100, "iterations: must be in [1, 100]");
    require(c.local_steps >= 1 && c.global_steps >= 1, "local_steps, global_steps: must be >= 1");
    require(c.minibatch >= 1, "minibatch: must be >= 1");
    require(c.threads >= 0 && c.threads <= 1024, "threads: must be in [0, 1024]");
    require(c.local_lr > 0 && c.global_lr > 0, "learning rates: must be > 0");
    require(c.pull_weight >= 0 && std::isfinite(c.pull_weight), "pull_weight: must be finite and >= 0");
    require(c.region_success >= 0 && c.region_success <= 1, "region_success: must be in [0, 1]");
    require(c.success_fraction > 0, "success_fraction: must be > 0");
    // the Euler DMP step must be stable (alpha 25): k substeps >= alpha / 2
    require(double(c.plan_steps) * c.substeps >= 12.5, "plan_steps x substeps: must be >= 13 (stable Euler DMP step)");
}

double normalised_error(const Eigen::VectorXd& plan, const DigitSample& sample)
{
    const Eigen::Index points = sample.target.size() / 2;
    double sum = 0;
    for (Eigen::Index j = 0; j < points; ++j) sum += (plan.segment(2 * j, 2) - sample.target.segment(2 * j, 2)).norm();
    return sum / double(points) / sample.transform.scale;
}

ImitationResult run_imitation(const std::vector<DigitStroke>& strokes, const ImitationConfig& c)
{
    validate_imitation_config(c);
    // the thread count for this run only
    struct ThreadGuard {
        int previous = omp_get_max_threads();
        explicit ThreadGuard(int t) { if (t > 0) omp_set_num_threads(t); }
        ~ThreadGuard() { omp_set_num_threads(previous); }
    } guard(c.threads);
    require(strokes.size() == 10, "run_imitation: need the ten digit strokes");
    for (const DigitStroke& s : strokes)
        require(s.plan.cols() == c.plan_steps + 1, "run_imitation: strokes must be resampled to plan_steps + 1 points");

    Problem pr{strokes, c, {}, {}, {}, {}, {}, 0, 0};
    pr.h = plan_step(c);
    pr.point_weight = 1.0 / (c.plan_steps + 1);
    pr.demos = draw_samples(strokes, c, DEMO, 0, c.demos_per_digit);
    pr.test = draw_samples(strokes, c, TEST, 0, c.test_per_digit);
    pr.demos_global = to_set(pr.demos, View::GLOBAL);
    pr.test_global = to_set(pr.test, View::GLOBAL);
    for (int d = 0; d < 10; ++d)
        pr.demos_local[std::size_t(d)] = to_set(std::vector<DigitSample>(pr.demos.begin() + d * c.demos_per_digit,
                                                                        pr.demos.begin() + (d + 1) * c.demos_per_digit),
                                                View::LOCAL);

    ImitationResult out;
    for (const std::string& m : c.methods) {
        if (m == "hndp")
            out.methods.push_back(run_hndp(pr, m, c.iterations, c.relabel_per_digit, c.local_steps, c.global_steps, out.log));
        else if (m == "hndp-no-refine")
            out.methods.push_back(run_hndp(pr, m, 1, c.iterations * c.relabel_per_digit, c.iterations * c.local_steps,
                                           c.iterations * c.global_steps, out.log));
        else
            out.methods.push_back(run_direct(pr, m, out.log));
    }
    out.demos = std::move(pr.demos);
    out.test = std::move(pr.test);
    return out;
}

} // namespace podsim::pods::hndp
