// The energy weights of state perturbations: R^T R is the projected stiffness plus c M (free
// block and with the handles; plus the contact penalty's stiffness), a rigid shift stretches
// nothing, and weighted_map equals the dense
// D_to X D_from^-1.
#include "pods/diagnose/energy_norm.hpp"
#include "pods/task/initial_state.hpp"
#include "pods/task/observation.hpp"
#include "pods/task/scene.hpp"
#include "sim/potential.hpp"
#include "sim/rollout.hpp"
#include "tests/fd.hpp"
#include "tests/pods/diagnose/diagnose_fixture.hpp"

using namespace podsim;

TEST_CASE("diagnose energy_norm: R^T R = K+ + c M at every state, with and without the handles")
{
    const pods::Scene s = test::shipped_scene("double_pendulum_3d_stop.json", 5);
    const sim::Model& m = s.model;
    std::mt19937_64 rng(1);
    const Eigen::MatrixXd actions = test::random_vector(rng, m.n_p() * 5, -2, 2).reshaped(m.n_p(), 5);
    sim::Simulator sim(m);
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(sim, pods::sample_initial_state(m, s.task, 3), actions, states).converged);
    const std::vector<pods::StateWeights> w = pods::trajectory_weights(m, s.task, states);
    REQUIRE(w.size() == 6);
    const Eigen::VectorXd scale = pods::observation_scale(m, s.task);
    const double c = std::pow(scale[0] / scale[scale.size() - 1], 2); // (V / L)^2
    CHECK(c == doctest::Approx(9.81 / (1 / scale[0])));                 // g / L with gravity
    const int nx = m.n_x(), np = m.n_p();
    for (std::size_t t = 0; t < w.size(); ++t) {
        Eigen::VectorXd q = m.nominal_positions();
        q.head(nx) = states[t].x;
        q.segment(nx, np) = states[t].p;
        Eigen::MatrixXd expected = Eigen::MatrixXd(sim::potential_energy_hessian(m, q, true)).topLeftCorner(nx + np, nx + np);
        expected.diagonal().head(nx) += c * m.mass;
        expected.diagonal().tail(np).array() += c * m.mass.mean();
        const Eigen::MatrixXd r = w[t].r.triangularView<Eigen::Upper>();
        const Eigen::MatrixXd rf = w[t].r_full.triangularView<Eigen::Upper>();
        test::check_close(Eigen::MatrixXd(r.transpose() * r), Eigen::MatrixXd(expected.topLeftCorner(nx, nx)), 1e-10);
        test::check_close(Eigen::MatrixXd(rf.transpose() * rf), expected, 1e-10);
        CHECK(w[t].dt == m.dt);
        CHECK(w[t].sqrt_mass == m.mass.cwiseSqrt());
        // moving the handle and both bobs together stretches nothing: only the c-terms remain
        Eigen::VectorXd shift(nx + np);
        for (int i = 0; i < (nx + np) / 3; ++i) shift.segment(3 * i, 3) = Eigen::Vector3d(0.3, -0.2, 0.1);
        CHECK((rf * shift).squaredNorm() ==
              doctest::Approx(c * (m.mass.sum() + np * m.mass.mean()) / 3 * 0.14).epsilon(1e-8));
    }
    // the stiff springs dominate the position weight: |R dx| along a spring >> across it
    CHECK(w[0].r.norm() > 10 * std::sqrt(c * m.mass.maxCoeff()));
}

TEST_CASE("diagnose energy_norm: a node pressed into a contact plane weighs the plane's stiffness along its normal")
{
    // node a is 0.5 mm inside the table (e'' = k), node b 2 mm above it (outside the 1 mm
    // smoothing zone: no contact stiffness)
    const pods::Scene s = pods::parse_scene(nlohmann::json::parse(R"({
      "dim": 2, "dt": 0.01,
      "nodes": [{"name": "h", "role": "handle", "position": [0, 1]},
                {"name": "a", "mass": 1, "position": [0, -0.0005]},
                {"name": "b", "mass": 2, "position": [1, 0.002]}],
      "springs": [{"nodes": ["h", "a"], "stiffness": 100}, {"nodes": ["h", "b"], "stiffness": 100}],
      "contact": [{"kind": "plane", "point": [0, 0], "normal": [0, 1], "stiffness": 1000, "friction": 0.5, "smoothing": 0.001}],
      "task": {"horizon": 1, "payload": ["a"], "target": [0, 0],
               "weights": {"p": 0, "x": 1, "v": 1, "a": 0}, "action_limit": 1}})"),
                                            "table.json");
    const sim::Model& m = s.model;
    const std::vector<sim::State> states = {sim::nominal_state(m)};
    const std::vector<pods::StateWeights> w = pods::trajectory_weights(m, s.task, states);
    const Eigen::VectorXd scale = pods::observation_scale(m, s.task);
    const double c = std::pow(scale[0] / scale[scale.size() - 1], 2);
    Eigen::MatrixXd expected = Eigen::MatrixXd(sim::potential_energy_hessian(m, m.nominal_positions(), true)).topLeftCorner(4, 4);
    expected.diagonal() += c * m.mass;
    expected(1, 1) += 1000; // a's y: the table's stiffness
    const Eigen::MatrixXd r = w[0].r.triangularView<Eigen::Upper>();
    test::check_close(Eigen::MatrixXd(r.transpose() * r), expected, 1e-10);
}

TEST_CASE("diagnose energy_norm: weighted_map equals D_to X D_from^-1 for the free state and the full state")
{
    const pods::Scene s = test::shipped_scene("pendulum_2d_stop.json", 3);
    const sim::Model& m = s.model;
    sim::Simulator sim(m);
    std::vector<sim::State> states;
    REQUIRE(sim::rollout(sim, pods::sample_initial_state(m, s.task, 2), Eigen::MatrixXd::Constant(m.n_p(), 3, 0.5), states).converged);
    const std::vector<pods::StateWeights> w = pods::trajectory_weights(m, s.task, states);
    std::mt19937_64 rng(9);
    int checks = 0;
    for (int n : {4 * m.n_x(), 4 * m.n_x() + m.n_p()}) {
        const Eigen::MatrixXd x = test::random_vector(rng, n * n).reshaped(n, n);
        test::check_close(pods::weighted_map(x, w[2], w[1]), test::dense_weighted(x, w[2], w[1]), 1e-12);
        ++checks;
    }
    CHECK(checks == 2);
}
