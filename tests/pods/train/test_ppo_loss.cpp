// PPO's clipped surrogate, entropy bonus and value loss: gradients with respect to the policy
// parameters, the log-std and the value network against central differences (MLP and NDP heads,
// masked plan entries, decisions on both sides of the clip range), the clipped decisions without
// gradient, and results independent of the thread count.
#include "pods/task/scene.hpp"
#include "pods/train/policy_factory.hpp"
#include "pods/train/ppo_loss.hpp"
#include "policy/gaussian.hpp"
#include "tests/fd.hpp"
#include "tests/paths.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

using namespace podsim;
using podsim::test::source_path;

namespace {

struct Fixture {
    pods::Scene scene = pods::load_scene(source_path("scenes/pendulum_2d_stop.json"));
    std::unique_ptr<policy::Policy> policy;
    policy::Mlp value;
    Eigen::VectorXd log_std;
    pods::PpoSamples data;
    std::vector<int> picked;

    Fixture(pods::Head head, int samples, double clip)
    {
        pods::TrainConfig c;
        c.head = head;
        c.hidden = {6, 5};
        c.ndp_horizon = 3;
        c.ndp_basis = 3;
        c.last_layer_scale = 1; // a policy far from zero: every parameter matters
        policy = pods::make_policy(scene.model, scene.task, c);
        const int na = policy->n_act(), k = policy->horizon(), n_obs = policy->n_obs();
        std::mt19937_64 rng(21);
        log_std = test::random_vector(rng, na, -1.0, 0.0);
        data.obs.resize(n_obs, samples);
        data.hv.resize(na, samples);
        for (int i = 0; i < samples; ++i) {
            data.obs.col(i) = test::random_vector(rng, n_obs, -0.5, 0.5);
            data.hv.col(i) = test::random_vector(rng, na, -1, 1);
        }
        Eigen::MatrixXd mean;
        auto ws = policy->make_workspace();
        policy->act(data.obs, data.hv, mean, *ws);
        const Eigen::VectorXd ls = pods::plan_log_std(log_std, k);
        data.action.resize(mean.rows(), samples);
        data.weight.setOnes(mean.rows(), samples);
        data.log_prob.resize(samples);
        data.advantage = test::random_vector(rng, samples, -2, 2);
        for (int i = 0; i < samples; ++i) {
            data.action.col(i) = mean.col(i) + (ls.array().exp() * test::random_vector(rng, mean.rows()).array()).matrix();
            if (k > 1 && i % 3 == 0) data.weight.bottomRows(na).col(i).setZero(); // past the horizon
            // old log-probabilities that put ratios on both sides of the clip range, away from its kinks
            double log_ratio = std::uniform_real_distribution<double>(-0.45, 0.45)(rng);
            for (double edge : {std::log(1 - clip), std::log(1 + clip)})
                if (std::abs(log_ratio - edge) < 0.02) log_ratio = edge + 0.05;
            data.log_prob[i] = policy::gaussian_log_prob(data.action.col(i), mean.col(i), ls, data.weight.col(i)) - log_ratio;
        }
        policy::MlpConfig v;
        v.n_in = 4;
        v.n_out = 1;
        v.hidden = {5};
        v.last_layer_scale = 1;
        value = policy::Mlp(v, 3);
        data.value_in.resize(4, samples);
        for (int i = 0; i < samples; ++i) data.value_in.col(i) = test::random_vector(rng, 4);
        data.target = test::random_vector(rng, samples, -3, 3);
        picked.resize(std::size_t(samples));
        std::iota(picked.begin(), picked.end(), 0);
        std::reverse(picked.begin(), picked.end());
    }
};

} // namespace

TEST_CASE("ppo_loss: surrogate gradients with respect to parameters and log-std match central differences")
{
    const double clip = 0.2;
    for (pods::Head head : {pods::Head::kMlp, pods::Head::kNdp}) {
        INFO(pods::to_string(head));
        Fixture f(head, 40, clip);
        const pods::PpoLossSettings settings{clip, 0.03};
        auto ws = pods::ppo_loss_workspaces(*f.policy, 1);
        Eigen::VectorXd d_params, d_ls;
        const pods::PpoLoss l = pods::ppo_policy_loss(*f.policy, f.log_std, f.data, f.picked, settings, ws, d_params, d_ls);
        CHECK(l.clip_fraction > 0.1); // both branches are exercised
        CHECK(l.clip_fraction < 0.9);
        CHECK(l.approx_kl > 0);

        auto loss_at = [&](const Eigen::VectorXd& theta, const Eigen::VectorXd& ls) {
            std::unique_ptr<policy::Policy> p = f.policy->clone();
            p->set_parameters(theta);
            Eigen::VectorXd g1, g2;
            auto w = pods::ppo_loss_workspaces(*p, 1);
            return pods::ppo_policy_loss(*p, ls, f.data, f.picked, settings, w, g1, g2).loss;
        };
        test::check_close(d_params, test::fd_gradient([&](const Eigen::VectorXd& x) { return loss_at(x, f.log_std); },
                                                      f.policy->parameters()), 1e-6);
        test::check_close(d_ls, test::fd_gradient([&](const Eigen::VectorXd& x) { return loss_at(f.policy->parameters(), x); },
                                                  f.log_std), 1e-6);
    }
}

TEST_CASE("ppo_loss: at ratio 1 the surrogate is -mean(A) minus the entropy bonus, and its clipped decisions carry no gradient")
{
    Fixture f(pods::Head::kMlp, 30, 0.2);
    // old log-probabilities equal to the current ones: every ratio is 1
    Eigen::MatrixXd mean;
    auto pws = f.policy->make_workspace();
    f.policy->act(f.data.obs, f.data.hv, mean, *pws);
    for (int i = 0; i < 30; ++i)
        f.data.log_prob[i] = policy::gaussian_log_prob(f.data.action.col(i), mean.col(i), f.log_std, f.data.weight.col(i));
    auto ws = pods::ppo_loss_workspaces(*f.policy, 1);
    Eigen::VectorXd d_params, d_ls;
    const pods::PpoLoss l = pods::ppo_policy_loss(*f.policy, f.log_std, f.data, f.picked, {0.2, 0.1}, ws, d_params, d_ls);
    const double entropy = policy::gaussian_entropy(f.log_std, Eigen::VectorXd::Ones(f.log_std.size()));
    CHECK(l.loss == doctest::Approx(-f.data.advantage.mean() - 0.1 * entropy).epsilon(1e-12));
    CHECK(l.entropy == doctest::Approx(entropy).epsilon(1e-12));
    CHECK(l.clip_fraction == 0);
    CHECK(std::abs(l.approx_kl) < 1e-15);

    // ratios far outside the clip range on the side where clipping binds: no gradient but the entropy's
    for (int i = 0; i < 30; ++i) f.data.log_prob[i] -= f.data.advantage[i] > 0 ? 1.0 : -1.0;
    pods::ppo_policy_loss(*f.policy, f.log_std, f.data, f.picked, {0.2, 0.0}, ws, d_params, d_ls);
    CHECK(d_params.norm() == 0);
    CHECK(d_ls.norm() == 0);
}

TEST_CASE("ppo_loss: value-loss gradient matches central differences")
{
    Fixture f(pods::Head::kMlp, 25, 0.2);
    auto ws = pods::ppo_loss_workspaces(*f.policy, 1);
    Eigen::VectorXd grad;
    const double loss = pods::ppo_value_loss(f.value, f.data, f.picked, ws, grad);
    Eigen::MatrixXd out;
    policy::MlpWorkspace mws;
    f.value.forward(f.data.value_in, out, mws);
    CHECK(loss == doctest::Approx(0.5 * (out.row(0).transpose() - f.data.target).squaredNorm() / 25).epsilon(1e-12));
    test::check_close(grad, test::fd_gradient([&](const Eigen::VectorXd& x) {
        policy::Mlp v = f.value;
        v.set_parameters(x);
        Eigen::VectorXd g;
        return pods::ppo_value_loss(v, f.data, f.picked, ws, g);
    }, f.value.parameters()), 1e-7);
}

TEST_CASE("ppo_loss: results are bit-identical for 1 and 2 threads over several chunks")
{
    Fixture f(pods::Head::kNdp, 150, 0.2);
    auto one = pods::ppo_loss_workspaces(*f.policy, 1), two = pods::ppo_loss_workspaces(*f.policy, 2);
    Eigen::VectorXd a1, b1, a2, b2, v1, v2;
    const pods::PpoLoss l1 = pods::ppo_policy_loss(*f.policy, f.log_std, f.data, f.picked, {0.2, 0.01}, one, a1, b1);
    const pods::PpoLoss l2 = pods::ppo_policy_loss(*f.policy, f.log_std, f.data, f.picked, {0.2, 0.01}, two, a2, b2);
    CHECK(l1.loss == l2.loss);
    CHECK(a1 == a2);
    CHECK(b1 == b2);
    CHECK(pods::ppo_value_loss(f.value, f.data, f.picked, one, v1) == pods::ppo_value_loss(f.value, f.data, f.picked, two, v2));
    CHECK(v1 == v2);
}
