// The PODS regression: samples per decision, Adam lowers the fit loss, padding past the horizon
// carries no weight.
#include "pods/task/initial_state.hpp"
#include "pods/task/scene.hpp"
#include "pods/train/policy_factory.hpp"
#include "pods/train/regression.hpp"
#include "sim/rollout.hpp"
#include "tests/fd.hpp"

using namespace podsim;

TEST_CASE("regression: one sample per decision, targets step-major, padding weighted 0")
{
    pods::Scene scene = pods::load_scene(PODSIM_SOURCE_DIR "/scenes/pendulum_2d_stop.json");
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
    pods::Scene scene = pods::load_scene(PODSIM_SOURCE_DIR "/scenes/pendulum_2d_stop.json");
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
    pods::Scene scene = pods::load_scene(PODSIM_SOURCE_DIR "/scenes/pendulum_2d_stop.json");
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
