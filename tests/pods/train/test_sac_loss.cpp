// SAC's losses: the squashed Gaussian's log-density (the tanh correction against the change of
// variables, stable far out), the critic, actor and temperature gradients against central
// differences (the actor's through both critics of the minimum, the log-std and the tanh
// correction), the targets' formula, Polyak averaging, and results independent of the threads.
#include "pods/task/random.hpp"
#include "pods/train/sac_loss.hpp"
#include "tests/fd.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

using namespace podsim;

namespace {

constexpr int kObs = 4, kAct = 2, kState = kObs + kAct + 1;
constexpr double kLimit = 1.5;

policy::Mlp network(int n_in, int n_out, std::uint64_t seed)
{
    policy::MlpConfig c;
    c.n_in = n_in;
    c.n_out = n_out;
    c.hidden = {6, 5};
    c.last_layer_scale = 1; // far from zero: every parameter matters
    return policy::Mlp(c, seed);
}

// random Gaussian-like numbers (sum of uniforms), explicitly seeded
Eigen::MatrixXd noise(std::mt19937_64& rng, int rows, int cols)
{
    Eigen::MatrixXd e(rows, cols);
    for (Eigen::Index i = 0; i < e.size(); ++i) e.data()[i] = pods::uniform(rng, -1, 1) + pods::uniform(rng, -1, 1);
    return e;
}

struct Fixture {
    policy::Mlp actor = network(kObs, kAct, 11);
    policy::Mlp q1 = network(kState + kAct, 1, 12), q2 = network(kState + kAct, 1, 13);
    policy::Mlp t1 = network(kState + kAct, 1, 14), t2 = network(kState + kAct, 1, 15);
    Eigen::VectorXd log_std;
    pods::SacBatch batch;

    // 70 transitions: a full chunk of 64 and a partial one
    explicit Fixture(int m = 70)
    {
        std::mt19937_64 rng(5);
        log_std = test::random_vector(rng, kAct, -1.0, 0.3);
        batch.obs = noise(rng, kObs, m);
        batch.state.resize(kState, m);
        batch.state.topRows(kObs) = batch.obs;
        batch.state.middleRows(kObs, kAct) = noise(rng, kAct, m);
        batch.state.bottomRows(1) = noise(rng, 1, m) * 0.5;
        batch.action = noise(rng, kAct, m).cwiseMax(-kLimit).cwiseMin(kLimit);
        batch.reward = test::random_vector(rng, m, -2, 0);
        batch.not_done.setOnes(m);
        for (int j = 0; j < m; j += 7) batch.not_done[j] = 0;
        batch.next_obs = noise(rng, kObs, m);
        batch.next_state = noise(rng, kState, m);
        batch.eps = noise(rng, kAct, m);
        batch.next_eps = noise(rng, kAct, m);
    }

    pods::SacActor sac_actor() const { return {actor, log_std, kLimit}; }
};

} // namespace

TEST_CASE("sac_loss: log(1 - tanh^2) matches the direct formula and stays finite far out")
{
    for (double u : {-3.0, -0.7, 0.0, 0.2, 1.9, 4.0}) {
        INFO(u);
        CHECK(pods::log1m_tanh_squared(u) == doctest::Approx(std::log(1 - std::tanh(u) * std::tanh(u))).epsilon(1e-12));
    }
    // where 1 - tanh^2 rounds to 0: the asymptote 2 (log 2 - |u|)
    for (double u : {-60.0, 40.0, 400.0}) {
        INFO(u);
        CHECK(std::isfinite(pods::log1m_tanh_squared(u)));
        CHECK(pods::log1m_tanh_squared(u) == doctest::Approx(2 * (std::numbers::ln2 - std::abs(u))).epsilon(1e-14));
    }
}

TEST_CASE("sac_loss: the squashed Gaussian's log-density is the density of a / a_max by the change of variables")
{
    std::mt19937_64 rng(8);
    const Eigen::MatrixXd z = noise(rng, kAct, 9), eps = noise(rng, kAct, 9);
    const Eigen::VectorXd log_std = test::vec({-0.4, 0.2});
    Eigen::MatrixXd a;
    Eigen::VectorXd log_prob;
    pods::squashed_gaussian_sample(z, log_std, eps, kLimit, a, log_prob);
    for (int j = 0; j < 9; ++j) {
        double expected = 0;
        for (int c = 0; c < kAct; ++c) {
            // y = a / a_max in (-1, 1); u = atanh(y); p_y(y) = N(u; z, sigma) / (1 - y^2)
            const double y = a(c, j) / kLimit, u = std::atanh(y), sigma = std::exp(log_std[c]);
            CHECK(std::abs(y) < 1);
            const double normal = -0.5 * std::pow((u - z(c, j)) / sigma, 2) - std::log(sigma) - 0.5 * std::log(2 * std::numbers::pi);
            expected += normal - std::log(1 - y * y);
        }
        CHECK(log_prob[j] == doctest::Approx(expected).epsilon(1e-9));
    }
}

TEST_CASE("sac_loss: the targets are r + gamma (1 - done) (min Qbar - alpha log pi) at the actor's samples of s'")
{
    Fixture f;
    std::vector<pods::SacLossWorkspace> ws(1);
    Eigen::VectorXd y = Eigen::VectorXd::Constant(70, 1e300); // every entry must be written
    const double alpha = 0.3, gamma = 0.97;
    pods::sac_targets(f.sac_actor(), f.t1, f.t2, f.batch, alpha, gamma, ws, y);
    Eigen::MatrixXd z, a, q1, q2;
    Eigen::VectorXd log_prob;
    policy::MlpWorkspace w;
    f.actor.forward(f.batch.next_obs, z, w);
    pods::squashed_gaussian_sample(z, f.log_std, f.batch.next_eps, kLimit, a, log_prob);
    Eigen::MatrixXd in(kState + kAct, 70);
    in << f.batch.next_state, a;
    f.t1.forward(in, q1, w);
    f.t2.forward(in, q2, w);
    int bootstrapped = 0;
    for (int j = 0; j < 70; ++j) {
        const double soft = std::min(q1(0, j), q2(0, j)) - alpha * log_prob[j];
        CHECK(y[j] == doctest::Approx(f.batch.reward[j] + gamma * f.batch.not_done[j] * soft).epsilon(1e-12));
        if (f.batch.not_done[j] == 0) CHECK(y[j] == f.batch.reward[j]);
        bootstrapped += int(f.batch.not_done[j]);
    }
    CHECK(bootstrapped == 60);
}

TEST_CASE("sac_loss: the critic loss's gradients with respect to both critics match central differences")
{
    Fixture f;
    std::vector<pods::SacLossWorkspace> ws(1);
    std::mt19937_64 rng(3);
    const Eigen::VectorXd y = test::random_vector(rng, 70, -3, 1);
    Eigen::VectorXd g1, g2;
    const double loss = pods::sac_critic_loss(f.q1, f.q2, f.batch, y, ws, g1, g2);
    // the value: half the mean squared residual of each critic
    Eigen::MatrixXd in(kState + kAct, 70), out1, out2;
    in << f.batch.state, f.batch.action;
    policy::MlpWorkspace w;
    f.q1.forward(in, out1, w);
    f.q2.forward(in, out2, w);
    const double expected = 0.5 * ((out1.row(0).transpose() - y).squaredNorm() + (out2.row(0).transpose() - y).squaredNorm()) / 70;
    CHECK(loss == doctest::Approx(expected).epsilon(1e-12));
    CHECK(g1.norm() > 0);
    CHECK(g2.norm() > 0);
    auto loss_with = [&](int which, const Eigen::VectorXd& p) {
        policy::Mlp a = f.q1, b = f.q2;
        (which == 0 ? a : b).set_parameters(p);
        Eigen::VectorXd d1, d2;
        return pods::sac_critic_loss(a, b, f.batch, y, ws, d1, d2);
    };
    test::check_close(g1, test::fd_gradient([&](const Eigen::VectorXd& p) { return loss_with(0, p); }, f.q1.parameters()), 1e-7);
    test::check_close(g2, test::fd_gradient([&](const Eigen::VectorXd& p) { return loss_with(1, p); }, f.q2.parameters()), 1e-7);
}

TEST_CASE("sac_loss: the actor loss's gradients (network, log-std, tanh correction) match central differences")
{
    Fixture f;
    std::vector<pods::SacLossWorkspace> ws(1);
    // the second critic shifted so that each critic is the minimum for half the samples, with no
    // tie within a finite-difference step
    Eigen::MatrixXd z, a, in(kState + kAct, 70), out1, out2;
    Eigen::VectorXd log_prob;
    policy::MlpWorkspace w;
    f.actor.forward(f.batch.obs, z, w);
    pods::squashed_gaussian_sample(z, f.log_std, f.batch.eps, kLimit, a, log_prob);
    in << f.batch.state, a;
    f.q1.forward(in, out1, w);
    f.q2.forward(in, out2, w);
    std::vector<double> diff(70);
    for (int j = 0; j < 70; ++j) diff[std::size_t(j)] = out1(0, j) - out2(0, j);
    std::sort(diff.begin(), diff.end());
    Eigen::VectorXd p2 = f.q2.parameters();
    p2[p2.size() - 1] += 0.5 * (diff[34] + diff[35]);
    policy::Mlp q2 = f.q2;
    q2.set_parameters(p2);
    q2.forward(in, out2, w);
    CHECK((out1.array() <= out2.array()).count() == 35);
    CHECK((out1 - out2).cwiseAbs().minCoeff() > 1e-5);

    for (double alpha : {0.0, 0.4}) {
        INFO("alpha " << alpha);
        Eigen::VectorXd d_theta, d_ls;
        const pods::SacActorLoss l = pods::sac_actor_loss(f.sac_actor(), f.q1, q2, f.batch, alpha, ws, d_theta, d_ls);
        CHECK(l.loss == doctest::Approx(alpha * l.log_prob - l.q).epsilon(1e-12));
        CHECK(l.log_prob == doctest::Approx(log_prob.mean()).epsilon(1e-12));
        CHECK(d_theta.norm() > 0);
        CHECK(d_ls.norm() > 0);
        auto loss_at = [&](const Eigen::VectorXd& theta, const Eigen::VectorXd& ls) {
            policy::Mlp net = f.actor;
            net.set_parameters(theta);
            Eigen::VectorXd g1, g2;
            return pods::sac_actor_loss({net, ls, kLimit}, f.q1, q2, f.batch, alpha, ws, g1, g2).loss;
        };
        test::check_close(d_theta, test::fd_gradient([&](const Eigen::VectorXd& x) { return loss_at(x, f.log_std); },
                                                     f.actor.parameters()), 1e-6);
        test::check_close(d_ls, test::fd_gradient([&](const Eigen::VectorXd& x) { return loss_at(f.actor.parameters(), x); },
                                                  f.log_std), 1e-6);
    }
}

TEST_CASE("sac_loss: with critics that ignore their input the actor loss is alpha log pi, its gradients right where the tanh saturates")
{
    Fixture f(8);
    policy::Mlp flat1 = f.q1, flat2 = f.q2;
    flat1.set_parameters(Eigen::VectorXd::Zero(f.q1.n_params()));
    flat2.set_parameters(Eigen::VectorXd::Zero(f.q2.n_params()));
    policy::Mlp actor = f.actor;
    Eigen::VectorXd p = actor.parameters();
    p.tail(kAct).setConstant(4.0); // the output bias: u around 4, 1 - tanh(u)^2 ~ 1e-3
    actor.set_parameters(p);
    std::vector<pods::SacLossWorkspace> ws(1);
    Eigen::VectorXd d_theta, d_ls;
    const pods::SacActorLoss l = pods::sac_actor_loss({actor, f.log_std, kLimit}, flat1, flat2, f.batch, 1.0, ws, d_theta, d_ls);
    CHECK(l.q == 0);
    CHECK(l.loss == doctest::Approx(l.log_prob).epsilon(1e-14));
    CHECK(l.log_prob > 0); // a density near the bound of (-1, 1) is large
    CHECK(d_theta.norm() > 0);
    auto loss_at = [&](const Eigen::VectorXd& theta, const Eigen::VectorXd& ls) {
        policy::Mlp net = actor;
        net.set_parameters(theta);
        Eigen::VectorXd g1, g2;
        return pods::sac_actor_loss({net, ls, kLimit}, flat1, flat2, f.batch, 1.0, ws, g1, g2).loss;
    };
    test::check_close(d_theta, test::fd_gradient([&](const Eigen::VectorXd& x) { return loss_at(x, f.log_std); }, p), 1e-6);
    test::check_close(d_ls, test::fd_gradient([&](const Eigen::VectorXd& x) { return loss_at(p, x); }, f.log_std), 1e-6);
}

TEST_CASE("sac_loss: the temperature loss's gradient matches central differences and lowers alpha when the entropy is above target")
{
    for (double mean_log_prob : {-2.5, 0.7}) {
        double grad = 0;
        const double loss = pods::sac_temperature_loss(0.3, mean_log_prob, -2.0, grad);
        CHECK(loss == doctest::Approx(-0.3 * (mean_log_prob - 2.0)).epsilon(1e-14));
        const Eigen::VectorXd fd = test::fd_gradient(
            [&](const Eigen::VectorXd& x) {
                double g = 0;
                return pods::sac_temperature_loss(x[0], mean_log_prob, -2.0, g);
            },
            test::vec({0.3}));
        CHECK(grad == doctest::Approx(fd[0]).epsilon(1e-8));
        // entropy -log pi above the target -2 (mean log pi below 2): a positive gradient, Adam lowers log alpha
        CHECK((grad > 0) == (mean_log_prob < 2.0));
    }
}

TEST_CASE("sac_loss: Polyak averaging moves the target by tau toward the source")
{
    const policy::Mlp source = network(5, 1, 1), start = network(5, 1, 2);
    policy::Mlp target = start;
    pods::polyak_update(source, 0.25, target);
    test::check_close(target.parameters(), 0.25 * source.parameters() + 0.75 * start.parameters(), 1e-15);
    target = start;
    pods::polyak_update(source, 1.0, target);
    CHECK(target.parameters() == source.parameters());
    target = start;
    for (int i = 0; i < 200; ++i) pods::polyak_update(source, 0.1, target);
    CHECK((target.parameters() - source.parameters()).norm() < 1e-8 * (start.parameters() - source.parameters()).norm());
}

TEST_CASE("sac_loss: the losses and gradients are the same bits with 1 and 3 threads")
{
    Fixture f(200);
    std::vector<pods::SacLossWorkspace> one(1), three(3);
    Eigen::VectorXd y1, y3, a1, a3, b1, b3;
    pods::sac_targets(f.sac_actor(), f.t1, f.t2, f.batch, 0.2, 0.99, one, y1);
    pods::sac_targets(f.sac_actor(), f.t1, f.t2, f.batch, 0.2, 0.99, three, y3);
    CHECK(y1 == y3);
    CHECK(pods::sac_critic_loss(f.q1, f.q2, f.batch, y1, one, a1, b1) ==
          pods::sac_critic_loss(f.q1, f.q2, f.batch, y1, three, a3, b3));
    CHECK(a1 == a3);
    CHECK(b1 == b3);
    const pods::SacActorLoss l1 = pods::sac_actor_loss(f.sac_actor(), f.q1, f.q2, f.batch, 0.2, one, a1, b1);
    const pods::SacActorLoss l3 = pods::sac_actor_loss(f.sac_actor(), f.q1, f.q2, f.batch, 0.2, three, a3, b3);
    CHECK(l1.loss == l3.loss);
    CHECK(l1.log_prob == l3.log_prob);
    CHECK(a1 == a3);
    CHECK(b1 == b3);
}
