// The PODS regression: samples per decision, Adam lowers the fit loss, padding past the horizon
// carries no weight; the proximal term's gradient against central differences, its fit moves the
// outputs less and gives the same bits for any thread count; a fit over parts equals the fit over
// their concatenation.
#include "pods/improve/improve_step.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/policy_factory.hpp"
#include "pods/train/regression.hpp"
#include "sim/rollout.hpp"
#include "tests/fd.hpp"
#include "tests/paths.hpp"

#include <cmath>

using namespace podsim;
using podsim::test::source_path;

TEST_CASE("regression: one sample per decision, targets step-major, padding weighted 0")
{
    pods::Scene scene = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    const sim::Model& m = scene.model;
    const int n = 13, k = 5;
    std::mt19937_64 rng(1);
    const Eigen::MatrixXd a = test::random_vector(rng, 2 * n, -1, 1).reshaped(2, n);
    sim::Simulator sim(m);
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(sim, sim::nominal_state(m), a, states).converged);
    const pods::ObservationMap obs = pods::observation_map(m, scene.task);
    const pods::RegressionData d = pods::regression_samples(m, obs, states, a, k);
    REQUIRE(d.size() == 3); // decisions at t = 0, 5, 10
    CHECK(d.target.block(0, 1, 2, 1) == a.col(5));
    CHECK(d.target.block(8, 1, 2, 1) == a.col(9));
    CHECK(d.hv.col(1) == a.col(4));
    CHECK(d.hv.col(0).isZero());
    CHECK(d.weight.col(2).head(6).isOnes()); // steps 10, 11, 12
    CHECK(d.weight.col(2).tail(4).isZero()); // past the horizon
    Eigen::VectorXd o(obs.size(m));
    obs.observe(m, states[10], o);
    CHECK(d.obs.col(2) == o);
}

TEST_CASE("regression: Adam on the regression loss lowers it, both heads")
{
    pods::Scene scene = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    const sim::Model& m = scene.model;
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
        pods::TrainConfig c;
        c.head = head;
        c.hidden = {16, 16};
        std::unique_ptr<policy::Policy> p = pods::make_policy(m, scene.task, c);
        // targets: a smooth feedback law of the state (realisable), at sampled states
        pods::RegressionData d;
        const int s = 200, na = m.n_p(), k = p->horizon();
        const pods::ObservationMap obs = pods::observation_map(m, scene.task);
        d.obs.resize(obs.size(m), s);
        d.hv.setZero(na, s);
        d.target.resize(k * na, s);
        d.weight.setOnes(k * na, s);
        for (int i = 0; i < s; ++i) {
            obs.observe(m, pods::sample_initial_state(m, scene.task, std::uint64_t(i)), d.obs.col(i));
            for (int j = 0; j < k; ++j) d.target.block(j * na, i, na, 1) = -0.5 * d.obs.col(i).tail(na);
        }
        std::vector<std::unique_ptr<policy::PolicyWorkspace>> ws;
        ws.push_back(p->make_workspace());
        ws.push_back(p->make_workspace());
        const double before = pods::regression_loss(*p, d, *ws[0]);
        policy::AdamConfig ac;
        ac.lr = 3e-3;
        policy::Adam adam(ac, p->n_params());
        const double during = pods::fit_policy(*p, adam, d, 300, 100, 7, ws);
        const double after = pods::regression_loss(*p, d, *ws[0]);
        INFO("head " << pods::to_string(head) << ": " << before << " -> " << after);
        CHECK(during < before);
        // 300 Adam steps fit the targets: the loss falls to 0.0014 (MLP) and 0.0011 (NDP) of its
        // start measured; 0.2 only rules out a fit that barely moves, with room for any rounding
        CHECK(after < 0.2 * before);
    }
}

TEST_CASE("regression: concatenate keeps every sample in order when the first trajectory has none (it failed)")
{
    pods::RegressionData a, b;
    b.obs = Eigen::MatrixXd::Random(3, 2);
    b.hv = Eigen::MatrixXd::Random(1, 2);
    b.target = Eigen::MatrixXd::Random(2, 2);
    b.weight = Eigen::MatrixXd::Ones(2, 2);
    const pods::RegressionData all = pods::concatenate({a, b, a, b});
    REQUIRE(all.size() == 4);
    CHECK(all.obs.leftCols(2) == b.obs);
    CHECK(all.obs.rightCols(2) == b.obs);
    CHECK(all.target.rightCols(2) == b.target);
    CHECK(pods::concatenate({a, a}).size() == 0);
}

TEST_CASE("regression: an extra loss term sees each minibatch and its gradient joins the Adam step")
{
    pods::Scene scene = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    const sim::Model& m = scene.model;
    pods::TrainConfig c;
    c.hidden = {8};
    std::unique_ptr<policy::Policy> p = pods::make_policy(m, scene.task, c), q = p->clone();
    // zero weights: the regression's gradient is exactly zero, the extra term alone moves theta
    const int s = 40, na = m.n_p();
    const pods::ObservationMap obs = pods::observation_map(m, scene.task);
    pods::RegressionData d;
    d.obs.resize(obs.size(m), s);
    d.hv.resize(na, s);
    d.target.setZero(na, s);
    d.weight.setZero(na, s);
    for (int i = 0; i < s; ++i) {
        obs.observe(m, pods::sample_initial_state(m, scene.task, std::uint64_t(i)), d.obs.col(i));
        d.hv.col(i).setConstant(i); // identifies the sample
    }
    std::vector<std::unique_ptr<policy::PolicyWorkspace>> ws;
    ws.push_back(p->make_workspace());
    // the extra term 1/2 |theta - theta*|^2, gradient theta - theta*
    const Eigen::VectorXd target = Eigen::VectorXd::Constant(p->n_params(), 0.25);
    int calls = 0, columns = 0;
    const pods::FitExtraLoss extra = [&](std::span<const int> picked, const Eigen::MatrixXd& o, const Eigen::MatrixXd& hv,
                                         Eigen::VectorXd& grad) {
        REQUIRE(int(picked.size()) == 16);
        REQUIRE(o.cols() == 16);
        for (int j = 0; j < 16; ++j) {
            CHECK(o.col(j) == d.obs.col(picked[std::size_t(j)]));
            CHECK(hv(0, j) == double(picked[std::size_t(j)]));
            ++columns;
        }
        CHECK(grad.isZero());
        grad += p->parameters() - target;
        ++calls;
        return 0.5 * (p->parameters() - target).squaredNorm();
    };
    policy::Adam adam(policy::AdamConfig{}, p->n_params()), manual(policy::AdamConfig{}, p->n_params());
    const double loss = pods::fit_policy(*p, adam, d, 3, 16, 9, ws, pods::Cluster(), extra);
    CHECK(loss == 0); // the regression's own loss, without the extra term
    CHECK(calls == 3);
    CHECK(columns == 48);
    // the same as three Adam steps on the extra gradient alone
    Eigen::VectorXd theta = q->parameters();
    for (int i = 0; i < 3; ++i) {
        const Eigen::VectorXd g = theta - target;
        manual.step(theta, g);
    }
    CHECK(p->parameters() == theta);
    CHECK(p->parameters() != q->parameters());
}

namespace {

// the weighted root-mean-square change between two output matrices of the same samples,
// sqrt(sum w |a - b|^2 / sum w) (0 without weight)
double output_change_rms(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, const Eigen::MatrixXd& weight)
{
    const double total = weight.sum();
    return total > 0 ? std::sqrt((a - b).cwiseProduct(weight).squaredNorm() / total) : 0.0;
}

} // namespace

namespace {

// S samples at sampled initial states with random previous actions and targets; the last plan
// entries of every third sample carry no weight
pods::RegressionData random_samples(const pods::Scene& scene, const policy::Policy& p, int s, std::uint64_t seed)
{
    const sim::Model& m = scene.model;
    const pods::ObservationMap obs = pods::observation_map(m, scene.task);
    const int na = m.n_p(), k = p.horizon();
    std::mt19937_64 rng(seed);
    pods::RegressionData d;
    d.obs.resize(obs.size(m), s);
    d.hv.resize(na, s);
    d.target.resize(Eigen::Index(k) * na, s);
    d.weight.setOnes(Eigen::Index(k) * na, s);
    for (int i = 0; i < s; ++i) {
        obs.observe(m, pods::sample_initial_state(m, scene.task, seed + std::uint64_t(i)), d.obs.col(i));
        d.hv.col(i) = test::random_vector(rng, na, -1, 1);
        d.target.col(i) = test::random_vector(rng, Eigen::Index(k) * na, -1.5, 1.5);
        if (i % 3 == 0) d.weight.col(i).tail(na).setZero();
    }
    return d;
}

std::vector<std::unique_ptr<policy::PolicyWorkspace>> workspaces(const policy::Policy& p, int threads)
{
    std::vector<std::unique_ptr<policy::PolicyWorkspace>> ws;
    for (int t = 0; t < threads; ++t) ws.push_back(p.make_workspace());
    return ws;
}

// a small policy of the head whose outputs are of order 1, so the loss terms are not near zero
std::unique_ptr<policy::Policy> small_policy(const pods::Scene& scene, pods::Head head)
{
    pods::TrainConfig c;
    c.head = head;
    c.hidden = {8};
    c.ndp_basis = 4;
    c.last_layer_scale = 0.5;
    return pods::make_policy(scene.model, scene.task, c);
}

} // namespace

TEST_CASE("regression: the gradient of L + proximal term matches central differences, both heads")
{
    pods::Scene scene = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    int checks = 0;
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
        std::unique_ptr<policy::Policy> p = small_policy(scene, head);
        const pods::RegressionData d = random_samples(scene, *p, 20, 3);
        // pi_old: a perturbed copy, so pi - pi_old is not zero
        std::mt19937_64 rng(11);
        std::unique_ptr<policy::Policy> old = p->clone();
        old->set_parameters(p->parameters() + 0.2 * test::random_vector(rng, p->n_params()));
        const Eigen::MatrixXd anchor = pods::policy_outputs(*old, d, workspaces(*old, 1));
        const auto ws = workspaces(*p, 1);
        const int m = 32; // the whole minibatch this chunk is part of
        for (double beta : {0.0, 0.7, 5.0}) {
            INFO("head " << pods::to_string(head) << ", beta " << beta);
            const Eigen::VectorXd theta = p->parameters();
            auto total = [&](const Eigen::VectorXd& x) {
                std::unique_ptr<policy::Policy> q = p->clone();
                q->set_parameters(x);
                Eigen::VectorXd g;
                double prox = -1;
                const double loss = pods::regression_gradient(*q, d, anchor, beta, m, *ws[0], g, &prox);
                return loss + prox;
            };
            Eigen::VectorXd grad = Eigen::VectorXd::Constant(p->n_params(), 1e300); // marker: overwritten
            double prox = -1;
            const double loss = pods::regression_gradient(*p, d, anchor, beta, m, *ws[0], grad, &prox);
            CHECK(p->parameters() == theta); // the call changes nothing
            CHECK(loss == doctest::Approx(pods::regression_loss(*p, d, *ws[0]) * d.size() / m).epsilon(1e-12));
            if (beta == 0) CHECK(prox == 0);
            else CHECK(prox > 1e-4);
            REQUIRE(grad.norm() > 1e-3);
            test::check_close(grad, test::fd_gradient(total, theta, 1e-6), 1e-6);
            for (int r = 0; r < 3; ++r) {
                const Eigen::VectorXd u = test::random_direction(rng, p->n_params());
                const double e = 1e-6, fd = (total(theta + e * u) - total(theta - e * u)) / (2 * e);
                CHECK(test::close(grad.dot(u), fd, 1e-6));
                ++checks;
            }
        }
        // anchored at its own outputs the term and its gradient vanish
        const Eigen::MatrixXd own = pods::policy_outputs(*p, d, workspaces(*p, 2));
        Eigen::VectorXd g0, g1;
        double prox = -1;
        pods::regression_gradient(*p, d, own, 0.0, 20, *ws[0], g0);
        pods::regression_gradient(*p, d, own, 3.0, 20, *ws[0], g1, &prox);
        CHECK(prox == doctest::Approx(0).epsilon(1e-20));
        test::check_close(g1, g0, 1e-12);
    }
    CHECK(checks == 18);
}

namespace {

// a random symmetric positive definite n x n block per plan step of every sample, (k n n) x S
Eigen::MatrixXd random_metric(std::mt19937_64& rng, int k, int n, int s)
{
    Eigen::MatrixXd out(Eigen::Index(k) * n * n, s);
    for (int j = 0; j < s; ++j)
        for (int i = 0; i < k; ++i) {
            const Eigen::MatrixXd a = test::random_vector(rng, n * n, -1, 1).reshaped(n, n);
            const Eigen::MatrixXd h = a * a.transpose() + 0.1 * Eigen::MatrixXd::Identity(n, n);
            out.col(j).segment(Eigen::Index(i) * n * n, n * n) = h.reshaped();
        }
    return out;
}

} // namespace

TEST_CASE("regression: the loss in a per-step metric and its gradient match r^T H r and central differences, both heads")
{
    pods::Scene scene = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    int checks = 0;
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
        std::unique_ptr<policy::Policy> p = small_policy(scene, head);
        pods::RegressionData d = random_samples(scene, *p, 20, 3);
        const int na = p->n_act(), k = p->horizon(), m = 32;
        const auto ws = workspaces(*p, 1);
        Eigen::VectorXd g_plain, g_identity;
        // identity blocks: the Euclidean loss, bit for bit in value and gradient up to round-off
        const double plain = pods::regression_gradient(*p, d, Eigen::MatrixXd(), 0, m, *ws[0], g_plain);
        d.metric = Eigen::MatrixXd::Identity(na, na).reshaped().replicate(k, d.size());
        CHECK(pods::regression_gradient(*p, d, Eigen::MatrixXd(), 0, m, *ws[0], g_identity) == doctest::Approx(plain).epsilon(1e-14));
        test::check_close(g_identity, g_plain, 1e-14);
        // a random metric: the value by hand, the gradient against central differences
        std::mt19937_64 rng(21);
        d.metric = random_metric(rng, k, na, d.size());
        Eigen::MatrixXd pred;
        p->act(d.obs, d.hv, pred, *ws[0]);
        double by_hand = 0;
        for (int j = 0; j < d.size(); ++j)
            for (int i = 0; i < k; ++i) {
                const Eigen::VectorXd r = (pred.col(j) - d.target.col(j)).cwiseProduct(d.weight.col(j)).segment(i * na, na);
                by_hand += 0.5 * r.dot(d.metric.col(j).segment(i * na * na, na * na).reshaped(na, na) * r);
            }
        CHECK(pods::regression_loss(*p, d, *ws[0]) == doctest::Approx(by_hand / d.size()).epsilon(1e-12));
        const Eigen::MatrixXd anchor = pods::policy_outputs(*p, d, ws) + 0.3 * Eigen::MatrixXd::Ones(k * na, d.size());
        for (double beta : {0.0, 0.7}) {
            INFO("head " << pods::to_string(head) << ", beta " << beta);
            const Eigen::VectorXd theta = p->parameters();
            auto total = [&](const Eigen::VectorXd& x) {
                std::unique_ptr<policy::Policy> q = p->clone();
                q->set_parameters(x);
                Eigen::VectorXd g;
                double prox = -1;
                return pods::regression_gradient(*q, d, anchor, beta, m, *ws[0], g, &prox) + prox;
            };
            Eigen::VectorXd grad = Eigen::VectorXd::Constant(p->n_params(), 1e300);
            const double loss = pods::regression_gradient(*p, d, anchor, beta, m, *ws[0], grad);
            CHECK(loss == doctest::Approx(by_hand / m).epsilon(1e-12));
            REQUIRE(grad.norm() > 1e-3);
            test::check_close(grad, test::fd_gradient(total, theta, 1e-6), 1e-6);
            const Eigen::VectorXd u = test::random_direction(rng, p->n_params());
            const double e = 1e-6, fd = (total(theta + e * u) - total(theta - e * u)) / (2 * e);
            CHECK(test::close(grad.dot(u), fd, 1e-6));
            ++checks;
        }
    }
    CHECK(checks == 4);
}

TEST_CASE("regression: improvement_samples adds the feedback law's targets at the own states and the control Hessians, on-policy keeps only those (a* there without a law)")
{
    int law_targets = 0, predicted_targets = 0;
    for (const char* file : {"pendulum_2d_stop.json", "cable_payload_2d_stop.json"}) {
        INFO(std::string(file));
        pods::Scene scene = pods::load_scene(source_path("scenes/") + file);
        const sim::Model& m = scene.model;
        const pods::Task& task = scene.task;
        const pods::QuadraticCost cost = pods::quadratic_cost(m, task);
        const pods::ObservationMap obs = pods::observation_map(m, task);
        const int n = task.horizon, na = m.n_p();
        std::mt19937_64 rng(4);
        const Eigen::MatrixXd own = test::random_vector(rng, na * n, -0.3, 0.3).reshaped(na, n);
        sim::Simulator sim(m);
        std::vector<sim::State> own_states;
        REQUIRE(sim::rollout(sim, pods::sample_initial_state(m, task, 3), own, own_states).converged);
        pods::ImproveOptions opt;
        opt.method = pods::GaussNewtonMethod::kRiccati;
        const pods::ImproveResult imp =
            pods::improve_actions(sim, task, cost, own_states, own, cost.total(m, own_states, own), opt);
        REQUIRE(imp.accepted);
        REQUIRE(int(imp.feedback.gain.size()) == n);
        const pods::RegressionData plain = pods::regression_samples(m, obs, imp.states, imp.actions, 1);
        auto samples = [&](pods::PodsTarget t, pods::PodsMetric metric) {
            return pods::improvement_samples(m, obs, own_states, own, imp.states, imp.actions, imp.feedback, imp.alpha, 1,
                                             task.action_limit, t, metric);
        };
        // open loop, Euclidean: the improved trajectory's samples alone, and so without a law
        const pods::RegressionData ol = samples(pods::PodsTarget::kOpenLoop, pods::PodsMetric::kEuclidean);
        CHECK(ol.obs == plain.obs);
        CHECK(ol.target == plain.target);
        CHECK(ol.metric.size() == 0);
        CHECK(pods::improvement_samples(m, obs, own_states, own, imp.states, imp.actions, pods::FeedbackLaw{}, imp.alpha, 1,
                                        task.action_limit, pods::PodsTarget::kFeedback, pods::PodsMetric::kControlHessian)
                  .target == plain.target);
        // feedback: the improved samples, then one per own decision state
        const pods::RegressionData fb = samples(pods::PodsTarget::kFeedback, pods::PodsMetric::kControlHessian);
        REQUIRE(fb.size() == 2 * n);
        CHECK(fb.target.leftCols(n) == plain.target);
        auto z = [](const sim::State& s) {
            Eigen::VectorXd v(4 * s.x.size() + s.p.size());
            v << s.x, s.v, s.x_prev, s.v_prev, s.p;
            return v;
        };
        Eigen::VectorXd o(obs.size(m));
        for (int t = 0; t < n; ++t) {
            obs.observe(m, own_states[std::size_t(t)], o);
            CHECK(fb.obs.col(n + t) == o);
            if (t > 0) CHECK(fb.hv.col(n + t) == own.col(t - 1));
            CHECK(fb.metric.col(t).reshaped(na, na) == imp.feedback.control_hessian[std::size_t(t)]);
            CHECK(fb.metric.col(n + t) == fb.metric.col(t));
            const Eigen::VectorXd law = imp.actions.col(t) + imp.feedback.gain[std::size_t(t)] * (z(own_states[std::size_t(t)]) - z(imp.states[std::size_t(t)]));
            const Eigen::VectorXd predicted = own.col(t) + imp.alpha * imp.feedback.feedforward.col(t);
            const double step = (imp.actions.col(t) - own.col(t)).cwiseAbs().maxCoeff();
            const bool holds = (law - predicted).cwiseAbs().maxCoeff() <= step;
            const Eigen::VectorXd expect = (holds ? law : predicted).cwiseMax(-task.action_limit).cwiseMin(task.action_limit);
            for (int c = 0; c < na; ++c) {
                if (std::abs(imp.actions(c, t)) >= task.action_limit * (1 - 1e-9)) CHECK(fb.target(c, n + t) == imp.actions(c, t));
                else CHECK(fb.target(c, n + t) == doctest::Approx(expect[c]).epsilon(1e-12));
            }
            ++(holds ? law_targets : predicted_targets);
        }
        // the law's targets differ from the open-loop ones at the own states
        CHECK((fb.target.rightCols(n) - plain.target).norm() > 1e-6);

        // on-policy: the own states' samples alone
        const pods::RegressionData op = samples(pods::PodsTarget::kOnPolicy, pods::PodsMetric::kControlHessian);
        REQUIRE(op.size() == n);
        CHECK(op.obs == fb.obs.rightCols(n));
        CHECK(op.hv == fb.hv.rightCols(n));
        CHECK(op.target == fb.target.rightCols(n));
        CHECK(op.weight == fb.weight.rightCols(n));
        CHECK(op.metric == fb.metric.rightCols(n));
        // on-policy without a law: the improved actions a*_t at the own states, no metric
        const pods::RegressionData free = pods::improvement_samples(m, obs, own_states, own, imp.states, imp.actions,
                                                                    pods::FeedbackLaw{}, imp.alpha, 1, task.action_limit,
                                                                    pods::PodsTarget::kOnPolicy, pods::PodsMetric::kControlHessian);
        CHECK(free.obs == op.obs);
        CHECK(free.hv == op.hv);
        CHECK(free.target == imp.actions);
        CHECK(free.weight == op.weight);
        CHECK(free.metric.size() == 0);
    }
    INFO("law " << law_targets << ", predicted " << predicted_targets);
    CHECK(law_targets > 0);
}

TEST_CASE("regression: normalize_metric scales the weighted blocks to a mean tr(H) / n_a of 1, and concatenate fills identity blocks")
{
    pods::RegressionData a;
    a.obs = Eigen::MatrixXd::Zero(3, 2);
    a.hv = Eigen::MatrixXd::Zero(2, 2);
    a.target = Eigen::MatrixXd::Zero(4, 2); // k = 2
    a.weight = Eigen::MatrixXd::Ones(4, 2);
    a.weight.col(1).tail(2).setZero(); // the second sample's second step carries no weight
    std::mt19937_64 rng(5);
    a.metric = random_metric(rng, 2, 2, 2);
    pods::RegressionData b = a;
    b.metric.resize(0, 0);
    pods::RegressionData all = pods::concatenate({a, b});
    REQUIRE(all.metric.rows() == 8);
    REQUIRE(all.metric.cols() == 4);
    CHECK(all.metric.leftCols(2) == a.metric);
    CHECK(all.metric.col(3).head(4) == Eigen::Vector4d(1, 0, 0, 1));
    pods::normalize_metric(all);
    double sum = 0;
    int count = 0;
    for (int j = 0; j < 4; ++j)
        for (int i = 0; i < 2; ++i) {
            if (all.weight(2 * i, j) == 0) continue;
            sum += all.metric.col(j).segment(4 * i, 4).reshaped(2, 2).trace() / 2;
            ++count;
        }
    REQUIRE(count == 6);
    CHECK(sum / count == doctest::Approx(1).epsilon(1e-12));
    // the ratio between blocks is kept
    CHECK(all.metric(0, 0) / all.metric(0, 2) == doctest::Approx(a.metric(0, 0)).epsilon(1e-12));
}

TEST_CASE("regression: followed_targets moves each target by the share of the policy's change, inside the box")
{
    pods::RegressionData a;
    a.obs = Eigen::MatrixXd::Random(3, 2);
    a.hv = Eigen::MatrixXd::Random(2, 2);
    a.target = (Eigen::MatrixXd(2, 2) << 0.5, -1.0, 1.5, 0.0).finished();
    a.weight = Eigen::MatrixXd::Ones(2, 2);
    const Eigen::MatrixXd then = (Eigen::MatrixXd(2, 2) << 0.0, 0.0, 1.0, -1.0).finished();
    const Eigen::MatrixXd now = (Eigen::MatrixXd(2, 2) << 0.4, -1.0, 2.0, -0.5).finished();
    const pods::RegressionData half = pods::followed_targets(a, now, then, 0.5, 2.0);
    CHECK(half.target == (Eigen::MatrixXd(2, 2) << 0.7, -1.5, 2.0, 0.25).finished()); // 1.5 + 0.5 clamped to 2
    CHECK(half.obs == a.obs);
    CHECK(half.hv == a.hv);
    CHECK(half.weight == a.weight);
    CHECK(pods::followed_targets(a, now, then, 0.0, 2.0).target == a.target);
    CHECK(pods::followed_targets(a, now, then, 1.0, 10.0).target == a.target + now - then);
    CHECK_THROWS_AS(pods::followed_targets(a, now.leftCols(1), then, 0.5, 2.0), std::invalid_argument);
}

TEST_CASE("regression: policy_outputs equals one batched forward pass and has the same bits for 1 and 3 threads")
{
    pods::Scene scene = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
        pods::TrainConfig c;
        c.head = head;
        c.hidden = {16, 16};
        c.ndp_basis = 4;
        std::unique_ptr<policy::Policy> p = pods::make_policy(scene.model, scene.task, c);
        const pods::RegressionData d = random_samples(scene, *p, 3 * pods::kFitChunk + 5, 5);
        const Eigen::MatrixXd one = pods::policy_outputs(*p, d, workspaces(*p, 1));
        CHECK(pods::policy_outputs(*p, d, workspaces(*p, 3)) == one);
        Eigen::MatrixXd batched;
        auto ws = workspaces(*p, 1);
        p->act(d.obs, d.hv, batched, *ws[0]);
        test::check_close(one, batched, 1e-12);
        CHECK(output_change_rms(one, one, d.weight) == 0);
    }
}

TEST_CASE("regression: the proximal fit keeps the outputs nearer the old ones and has the same bits for 1 and 2 threads")
{
    pods::Scene scene = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    pods::TrainConfig c;
    c.hidden = {16, 16};
    std::unique_ptr<policy::Policy> p = pods::make_policy(scene.model, scene.task, c);
    const pods::RegressionData d = random_samples(scene, *p, 300, 8);
    const Eigen::MatrixXd before = pods::policy_outputs(*p, d, workspaces(*p, 1));
    auto fit = [&](double beta, int threads, Eigen::MatrixXd& outputs) {
        std::unique_ptr<policy::Policy> q = p->clone();
        policy::AdamConfig ac;
        ac.lr = 3e-3;
        policy::Adam adam(ac, q->n_params());
        const double loss = pods::fit_policy(*q, adam, d, 200, 200, 4, workspaces(*q, threads), pods::Cluster(), {}, beta);
        outputs = pods::policy_outputs(*q, d, workspaces(*q, 1));
        return std::pair(loss, q->parameters());
    };
    Eigen::MatrixXd free_out, prox_out, prox_out2;
    const auto free_fit = fit(0, 1, free_out), prox_fit = fit(4, 1, prox_out), prox_fit2 = fit(4, 2, prox_out2);
    CHECK(prox_fit.first == prox_fit2.first);
    CHECK(prox_fit.second == prox_fit2.second);
    CHECK(prox_fit.second != free_fit.second);
    const double moved_free = output_change_rms(free_out, before, d.weight);
    const double moved_prox = output_change_rms(prox_out, before, d.weight);
    INFO("rms change: free " << moved_free << ", proximal " << moved_prox);
    // measured: the free fit moves the outputs by 0.143 rms, the proximal one by 0.032 (0.22 of
    // it); 0.1 keeps the free fit a real move, half of it makes the proximal pull visible
    CHECK(moved_free > 0.1);
    CHECK(moved_prox < 0.5 * moved_free);
    // and it moved toward the mixed target (a* + beta pi_old) / (1 + beta)
    const Eigen::MatrixXd mixed = (d.target + 4 * before) / 5;
    CHECK(output_change_rms(prox_out, mixed, d.weight) < output_change_rms(before, mixed, d.weight));
}

TEST_CASE("regression: a fit over parts equals the fit over their concatenation, with the proximal term and mixed metrics")
{
    pods::Scene scene = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    pods::TrainConfig c;
    c.hidden = {16, 16};
    std::unique_ptr<policy::Policy> p = pods::make_policy(scene.model, scene.task, c);
    const int na = p->n_act(), k = p->horizon();
    // four epochs' samples of different sizes: one empty (every trajectory failed), one without a
    // metric (identity blocks), two with per-step metrics that differ per sample
    std::vector<pods::RegressionData> parts = {random_samples(scene, *p, 70, 2), pods::RegressionData(),
                                               random_samples(scene, *p, 150, 3), random_samples(scene, *p, 40, 4)};
    std::mt19937_64 rng(6);
    parts[0].metric = random_metric(rng, k, na, parts[0].size());
    parts[3].metric = random_metric(rng, k, na, parts[3].size());
    const pods::RegressionData all = pods::concatenate(parts);
    REQUIRE(all.size() == 260);
    const std::vector<const pods::RegressionData*> view = {&parts[0], &parts[1], &parts[2], &parts[3]};
    for (double beta : {0.0, 2.0}) {
        INFO("proximal " << beta);
        auto fit = [&](auto&& data) {
            std::unique_ptr<policy::Policy> q = p->clone();
            policy::AdamConfig ac;
            ac.lr = 3e-3;
            policy::Adam adam(ac, q->n_params());
            const double loss = pods::fit_policy(*q, adam, data, 20, 100, 4, workspaces(*q, 2), pods::Cluster(), {}, beta);
            return std::pair(loss, Eigen::VectorXd(q->parameters()));
        };
        const auto joined = fit(all);
        const auto split = fit(std::span<const pods::RegressionData* const>(view));
        CHECK(joined.second != p->parameters());
        CHECK(split.first == joined.first);
        CHECK(split.second == joined.second);
    }
    // parts of different sizes are refused
    parts[2].obs.conservativeResize(parts[2].obs.rows() + 1, Eigen::NoChange);
    std::unique_ptr<policy::Policy> q = p->clone();
    policy::Adam adam(policy::AdamConfig(), q->n_params());
    CHECK_THROWS_AS(pods::fit_policy(*q, adam, std::span<const pods::RegressionData* const>(view), 1, 10, 1,
                                     workspaces(*q, 1)),
                    std::invalid_argument);
}
