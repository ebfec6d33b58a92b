// Plane contact: the penalty, damping and friction kernels against finite differences in every
// regime (separating, inside the smoothing zone, penetrating; sticking, across the slip threshold,
// sliding) including the derivatives with respect to the start positions; PSD Hessians and the
// Coulomb bound; a block on an incline sticks or slides at g (sin - mu cos), with or without
// damping; a dropped node lands without bouncing; a dropped block and a small cloth come to rest
// on the plane without sinking more than their weight over k; the shipped cloth_table scene lays
// its cloth flat under a scripted handle motion.
#include "common/json_node.hpp"
#include "sim/contact.hpp"
#include "sim/model_json.hpp"
#include "sim/generators.hpp"
#include "sim/rollout.hpp"
#include "tests/fd.hpp"
#include "tests/paths.hpp"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <numbers>

using namespace podsim;
using namespace podsim::sim;

using test::vec;
using podsim::test::source_path;

namespace {

template <int D> PlaneParams<D> plane(double mu, double damping)
{
    PlaneParams<D> c;
    Vec<D> n = Vec<D>::Zero();
    n[0] = 0.3;
    n[1] = 1;
    if constexpr (D == 3) n[2] = -0.2;
    c.normal = n.normalized();
    c.point = Vec<D>::Constant(0.1);
    c.stiffness = 500;
    c.friction = mu;
    c.smoothing = 0.02;
    c.slip = 0.004;
    c.damping = damping;
    return c;
}

// a point at signed distance d from the plane, plus a tangential offset of length r
template <int D> Vec<D> at(const PlaneParams<D>& c, double d, const Vec<D>& tangent, double r)
{
    Vec<D> t = tangent - c.normal.dot(tangent) * c.normal;
    return c.point + d * c.normal + r * t.normalized();
}

template <int D> Vec<D> any_tangent(std::mt19937_64& rng)
{
    return test::random_vector(rng, D).template head<D>();
}

struct Regime {
    const char* name;
    double d_end, d_start, slide; // slide in units of the slip threshold
};

// every combination the kernels branch on: where x and y are relative to the zone [0, s],
// and the step's sliding displacement relative to the threshold e
const Regime kRegimes[] = {
    {"separating (both far)", 0.05, 0.03, 2.0},
    {"separating, started in the zone", 0.05, 0.01, 3.0},
    {"leaving: penetrating start, end in the zone", 0.012, -0.01, 0.5},
    {"arriving: end penetrating, start far", -0.003, 0.04, 1.5},
    {"sticking, penetrating", -0.01, -0.012, 0.3},
    {"sticking near zero slip", -0.01, -0.01, 0.01},
    {"sliding, penetrating", -0.008, -0.007, 4.0},
    {"sliding, both in the zone", 0.005, 0.015, 6.0},
    {"just below the slip threshold", -0.002, -0.002, 0.999},
    {"just above the slip threshold", -0.002, -0.002, 1.001},
    {"end at the plane, start just inside the zone's edge", 1e-9, 0.02 - 1e-5, 0.7},
};

template <int D> void check_kernels(double mu, double damping, int& checks)
{
    const PlaneParams<D> c = plane<D>(mu, damping);
    std::mt19937_64 rng(D * 100 + int(mu * 10) + int(damping));
    for (const Regime& r : kRegimes) {
        INFO(std::string(r.name) << ", D " << D << ", mu " << mu << ", damping " << damping);
        const Vec<D> tangent = any_tangent<D>(rng);
        const Vec<D> y = at<D>(c, r.d_start, any_tangent<D>(rng), 0.05);
        // end point: the start moved along the normal to d_end, and tangentially by slide * e
        Vec<D> x = y + (r.d_end - r.d_start) * c.normal;
        x += r.slide * c.slip * (tangent - c.normal.dot(tangent) * c.normal).normalized();
        const Eigen::VectorXd xv = x, yv = y;
        auto energy = [&](const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
            return contact_energy<D>(c, a.head<D>(), b.head<D>());
        };
        auto gradient = [&](const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
            return Eigen::VectorXd(contact_energy_gradient<D>(c, a.head<D>(), b.head<D>()));
        };
        const double eps = 1e-7;
        const Eigen::VectorXd g = gradient(xv, yv);
        test::check_close(g, test::fd_gradient([&](const Eigen::VectorXd& a) { return energy(a, yv); }, xv, eps), 1e-6);
        const Eigen::MatrixXd h = contact_energy_hessian<D>(c, x, y);
        test::check_close(h, test::fd_jacobian([&](const Eigen::VectorXd& a) { return gradient(a, yv); }, xv, eps), 1e-5);
        const Eigen::MatrixXd hy = contact_energy_start_hessian<D>(c, x, y);
        test::check_close(hy, test::fd_jacobian([&](const Eigen::VectorXd& b) { return gradient(xv, b); }, yv, eps), 1e-5);

        // what must be non-zero in each regime
        const bool touching = r.d_end < c.smoothing;
        const bool dissipating = (mu > 0 || damping > 0) && r.d_start < c.smoothing;
        CHECK((g.norm() > 0) == (touching || dissipating));
        CHECK((hy.norm() > 0) == dissipating);
        // the damping force is -b w(d(y)) times the normal displacement, on top of the penalty
        const double penalty = penalty_energy_gradient(r.d_end, c.stiffness, c.smoothing);
        CHECK(c.normal.dot(g.head<D>()) - penalty ==
              doctest::Approx(damping * damping_weight(r.d_start, c.smoothing) * (r.d_end - r.d_start)).epsilon(1e-9));
        // PSD Hessian; the tangential force never exceeds mu f_n(start)
        CHECK(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(h).eigenvalues().minCoeff() >= -1e-9 * std::max(1.0, h.norm()));
        const double fn = -penalty_energy_gradient(r.d_start, c.stiffness, c.smoothing);
        const Vec<D> gt = g.head<D>() - c.normal.dot(g.head<D>()) * c.normal;
        CHECK(gt.norm() <= mu * fn * (1 + 1e-12) + 1e-12 * g.norm());
        if (mu > 0 && r.d_start < c.smoothing && r.slide > 1) CHECK(gt.norm() == doctest::Approx(mu * fn).epsilon(1e-12));
        ++checks;
    }
}

} // namespace

TEST_CASE("contact: the penalty energy is C2 and its derivatives match finite differences in every zone")
{
    const double k = 300, s = 0.01;
    int checks = 0;
    for (double d : {-0.05, -0.004, -1e-6, 1e-6, 0.002, 0.007, 0.0099, 0.0101, 0.03}) {
        INFO("d = " << d);
        const double h = 1e-8;
        const double g = penalty_energy_gradient(d, k, s);
        CHECK(g == doctest::Approx((penalty_energy(d + h, k, s) - penalty_energy(d - h, k, s)) / (2 * h)).epsilon(1e-6));
        CHECK(penalty_energy_hessian(d, k, s) ==
              doctest::Approx((penalty_energy_gradient(d + h, k, s) - penalty_energy_gradient(d - h, k, s)) / (2 * h)).epsilon(1e-6));
        CHECK((g < 0) == (d < s));
        ++checks;
    }
    // continuity of value, force and stiffness at both ends of the zone
    for (double at : {0.0, s}) {
        const double below = std::nextafter(at, -1.0);
        CHECK(penalty_energy(below, k, s) == doctest::Approx(penalty_energy(at, k, s)).epsilon(1e-12));
        CHECK(penalty_energy_gradient(below, k, s) == doctest::Approx(penalty_energy_gradient(at, k, s)).epsilon(1e-12));
        CHECK(penalty_energy_hessian(below, k, s) == doctest::Approx(penalty_energy_hessian(at, k, s)).epsilon(1e-9));
    }
    CHECK(penalty_energy_hessian(-1, k, s) == k);
    CHECK(-penalty_energy_gradient(-0.1, k, s) == doctest::Approx(k * (0.1 + s / 2)));
    CHECK(checks == 9);
}

TEST_CASE("contact: the smoothed friction length is C2 with slope 0 -> 1 over the slip threshold")
{
    const double e = 0.003;
    for (double r : {0.0, 1e-5, 0.001, 0.0029, 0.0031, 0.01}) {
        INFO("r = " << r);
        const double h = 1e-9;
        const double slope = r > 0 ? (friction_length(r + h, e) - friction_length(r - h, e)) / (2 * h)
                                   : (friction_length(h, e) - friction_length(0, e)) / h;
        CHECK(friction_length_ratio(r, e) * r == doctest::Approx(slope).epsilon(1e-5));
    }
    CHECK(friction_length(0, e) == 0);
    CHECK(friction_length_ratio(e, e) * e == doctest::Approx(1.0));
    CHECK(friction_length_ratio(std::nextafter(e, 0.0), e) == doctest::Approx(friction_length_ratio(e, e)).epsilon(1e-12));
    CHECK(friction_length_ratio_slope(std::nextafter(e, 0.0), e) ==
          doctest::Approx(friction_length_ratio_slope(e, e)).epsilon(1e-12));
}

TEST_CASE("contact: the damping weight is C1 and falls from 1 to 0 across the smoothing zone")
{
    const double s = 0.01;
    int checks = 0;
    for (double d : {-0.05, -1e-6, 1e-6, 0.002, 0.005, 0.0099, 0.0101, 0.03}) {
        INFO("d = " << d);
        const double h = 1e-8;
        CHECK(damping_weight_gradient(d, s) ==
              doctest::Approx((damping_weight(d + h, s) - damping_weight(d - h, s)) / (2 * h)).epsilon(1e-6).scale(1e-3));
        CHECK(damping_weight(d, s) >= 0);
        CHECK(damping_weight(d, s) <= 1);
        ++checks;
    }
    for (double at : {0.0, s}) {
        const double below = std::nextafter(at, -1.0);
        CHECK(damping_weight(below, s) == doctest::Approx(damping_weight(at, s)).epsilon(1e-12));
        CHECK(damping_weight_gradient(below, s) == doctest::Approx(damping_weight_gradient(at, s)));
    }
    CHECK(damping_weight(0, s) == 1);
    CHECK(damping_weight(s / 2, s) == 0.5);
    CHECK(damping_weight(s, s) == 0);
    CHECK(damping_weight_gradient(s / 2, s) == doctest::Approx(-1.5 / s));
    CHECK(checks == 8);
    // c = 2 zeta sqrt(k m): critical damping of a node of mass m on the stiffness k, per step
    CHECK(damping_coefficient(0.5, 2e4, 0.5, 0.005) == doctest::Approx(100 / 0.005));
}

TEST_CASE("contact: node energy gradient, Hessian and start Hessian match finite differences in every regime")
{
    int checks = 0;
    for (double mu : {0.0, 0.6})
        for (double damping : {0.0, 3000.0}) {
            check_kernels<2>(mu, damping, checks);
            check_kernels<3>(mu, damping, checks);
        }
    CHECK(checks == 8 * int(std::size(kRegimes)));
}

namespace {

// one free node resting on a plane through the origin tilted by theta about z (3D: about a
// horizontal axis at azimuth 0.7)
struct Incline {
    Model model;
    Eigen::VectorXd downhill; // unit, in the plane
    Eigen::VectorXd normal;
};

// (a 2 kg block at its resting depth unless said otherwise)
Incline incline(int dim, double theta, double mu, double dt = 0.01, double damping_ratio = 1, double mass = 2.0,
                bool at_resting_depth = true)
{
    const double g = 9.81, k = 2e4;
    Eigen::VectorXd n = Eigen::VectorXd::Zero(dim), down = Eigen::VectorXd::Zero(dim);
    if (dim == 2) {
        n << -std::sin(theta), std::cos(theta);
        down << -std::cos(theta), -std::sin(theta);
    } else {
        const double az = 0.7;
        const Eigen::Vector3d across(std::cos(az), 0, std::sin(az));    // horizontal axis of the tilt
        const Eigen::Vector3d level(-std::sin(az), 0, std::cos(az));    // horizontal, downhill before tilting
        n = std::cos(theta) * Eigen::Vector3d(0, 1, 0) + std::sin(theta) * level;
        down = std::cos(theta) * level - std::sin(theta) * Eigen::Vector3d(0, 1, 0);
        CHECK(std::abs(n.dot(across)) < 1e-15);
    }
    // start at rest at the depth where the penalty carries the normal weight, or at the plane
    ContactPlane plane;
    plane.point.setZero();
    plane.normal.head(dim) = n;
    plane.stiffness = k;
    plane.friction = mu;
    plane.smoothing = 1e-3;
    plane.friction_smoothing = 1e-3;
    plane.damping_ratio = damping_ratio;
    const double weight_n = mass * g * std::cos(theta);
    const double depth = at_resting_depth ? weight_n / k - plane.smoothing / 2 : 0.0; // the node sits below the plane
    REQUIRE(depth >= 0);
    Eigen::VectorXd gravity = Eigen::VectorXd::Zero(dim);
    gravity[1] = -g;
    ModelBuilder b(dim, dt, gravity);
    b.add_node("block", Role::kFree, Eigen::VectorXd(-depth * n), mass);
    b.contacts.push_back(plane);
    if (at_resting_depth) b.solver.tolerance = 1e-12;
    return {b.build(), down, n};
}

} // namespace

TEST_CASE("contact: a block on an incline sticks when tan(theta) < mu and slides at g (sin - mu cos) otherwise")
{
    const double g = 9.81;
    int runs = 0;
    for (int dim : {2, 3}) {
        for (const auto& [theta, mu] : {std::pair{0.35, 0.5}, std::pair{0.52, 0.3}, std::pair{0.3, 0.0}}) {
            INFO("dim " << dim << ", theta " << theta << ", mu " << mu);
            const Incline inc = incline(dim, theta, mu);
            Simulator sim(inc.model);
            std::vector<State> states;
            const int n = 100; // 1 s
            REQUIRE(rollout(sim, nominal_state(inc.model), Eigen::MatrixXd::Zero(0, n), states).converged);
            auto along = [&](int t) { return inc.downhill.dot(states[std::size_t(t)].v); };
            auto across = [&](int t) {
                const Eigen::VectorXd& v = states[std::size_t(t)].v;
                return (v - inc.downhill.dot(v) * inc.downhill).norm();
            };
            // the block stays on the plane and moves only downhill
            for (int t = 1; t <= n; ++t) CHECK(across(t) < 1e-9);
            const double eps_v = inc.model.contacts[0].friction_smoothing;
            if (std::tan(theta) < mu) {
                // sticking: the smoothed friction balances the slope at the creep speed where
                // phi'(v h) = tan / mu, i.e. v = eps_v (1 - sqrt(1 - tan/mu)) < eps_v
                const double creep = eps_v * (1 - std::sqrt(1 - std::tan(theta) / mu));
                for (int t = 20; t <= n; ++t) CHECK(std::abs(along(t)) < eps_v);
                CHECK(along(n) == doctest::Approx(creep).epsilon(1e-3));
            } else {
                // sliding at constant acceleration, measured between 0.5 s and 1 s
                const double expected = g * (std::sin(theta) - mu * std::cos(theta));
                const double measured = (along(n) - along(n / 2)) / (0.5);
                CHECK(measured == doctest::Approx(expected).epsilon(1e-4));
                CHECK(along(n) > 10 * eps_v);
            }
            ++runs;
        }
    }
    CHECK(runs == 6);
}

TEST_CASE("contact: the normal damping leaves sticking and sliding on an incline as they are")
{
    // 1 s at dt 5 ms from rest: on 20 degrees with mu 0.5 the block sticks (it creeps below
    // friction_smoothing), on 30 degrees with mu 0.2 it slides 1/2 g (sin - mu cos) t^2
    const double g = 9.81, pi = std::numbers::pi, eps_v = 1e-3;
    int runs = 0;
    for (int dim : {2, 3}) {
        for (const auto& [degrees, mu] : {std::pair{20.0, 0.5}, std::pair{30.0, 0.2}}) {
            const double theta = degrees * pi / 180;
            const double creep = eps_v * (1 - std::sqrt(1 - std::tan(theta) / mu)); // m/s, when sticking
            const double slide = 0.5 * g * (std::sin(theta) - mu * std::cos(theta)); // m in 1 s, when sliding
            // [start at the resting depth, at the plane][undamped, damped]: distance moved, last speed
            double moved[2][2] = {}, speed_half[2][2] = {}, speed_end[2][2] = {};
            for (int start = 0; start < 2; ++start)
                for (int k = 0; k < 2; ++k) {
                    INFO("dim " << dim << ", theta " << degrees << " deg, mu " << mu << (start ? ", started at the plane" : "")
                                << ", damping ratio " << k);
                    // at the resting depth a 2 kg block; at the plane a 0.5 kg node, pushed out by the penalty
                    const Incline inc = incline(dim, theta, mu, 0.005, double(k), start ? 0.5 : 2.0, start == 0);
                    Simulator sim(inc.model);
                    std::vector<State> states;
                    REQUIRE(rollout(sim, nominal_state(inc.model), Eigen::MatrixXd::Zero(0, 200), states).converged);
                    moved[start][k] = inc.downhill.dot(states.back().x - states.front().x);
                    speed_half[start][k] = inc.downhill.dot(states[100].v);
                    speed_end[start][k] = inc.downhill.dot(states.back().v);
                    // it ends on the plane at the depth its weight sets (in the zone when lighter than k s / 2)
                    const double w = (start ? 0.5 : 2.0) * g * std::cos(theta), k_s = 2e4 * 1e-3;
                    const double depth = w > k_s / 2 ? w / 2e4 - 1e-3 / 2 : std::sqrt(2 * 1e-3 * w / 2e4) - 1e-3;
                    CHECK(-inc.normal.dot(states.back().x) == doctest::Approx(depth).epsilon(1e-6));
                }
            INFO("dim " << dim << ", theta " << degrees << " deg: moved " << moved[0][0] << " / " << moved[0][1]
                        << " m from the resting depth, " << moved[1][0] << " / " << moved[1][1]
                        << " m from the plane (undamped / damped)");
            // from the resting depth the block never moves along the normal, so the damping has
            // nothing to act on: the same motion to a micrometre
            CHECK(std::abs(moved[0][1] - moved[0][0]) < 1e-6);
            if (std::tan(theta) < mu) {
                CHECK(moved[0][1] == doctest::Approx(creep).epsilon(0.02));
                // from the plane the undamped node bounces in the smoothing zone and slips while
                // its normal force is low (0.74 mm at 0.5 kg); damped it settles and creeps
                CHECK(moved[1][0] > 1.3 * creep);
                CHECK(moved[1][1] == doctest::Approx(creep).epsilon(0.03));
            } else {
                CHECK(moved[0][1] == doctest::Approx(slide).epsilon(1e-3));
                // from the plane the node starts with the penalty pushing it out harder than its
                // weight presses it in (the lagged friction sees the larger force) until it reaches
                // its resting height: faster undamped (overshooting), over about 40 ms damped; then
                // it slides at g (sin - mu cos) with or without damping
                for (int k = 0; k < 2; ++k) {
                    CHECK(moved[1][k] == doctest::Approx(slide).epsilon(0.03));
                    CHECK((speed_end[1][k] - speed_half[1][k]) / 0.5 == doctest::Approx(2 * slide).epsilon(1e-3));
                }
            }
            ++runs;
        }
    }
    CHECK(runs == 4);
}

namespace {

// height above the plane y = 0 of the single node of a rollout, per state
std::vector<double> heights(const std::vector<State>& states)
{
    std::vector<double> y;
    for (const State& z : states) y.push_back(z.x[1]);
    return y;
}

// a 0.5 kg node dropped from rest 0.3 m above a frictional plane (k 2e4 N/m, mu 0.5), dt 5 ms
Model dropped_node(int dim, double damping_ratio)
{
    Eigen::VectorXd gravity = Eigen::VectorXd::Zero(dim), start = Eigen::VectorXd::Zero(dim);
    gravity[1] = -9.81;
    start[1] = 0.3;
    ModelBuilder b(dim, 0.005, gravity);
    b.add_node("node", Role::kFree, start, 0.5);
    ContactPlane plane;
    plane.normal = Eigen::Vector3d(0, 1, 0);
    plane.stiffness = 2e4;
    plane.friction = 0.5;
    plane.damping_ratio = damping_ratio;
    b.contacts.push_back(plane);
    return b.build();
}

} // namespace

TEST_CASE("contact: a dropped node lands without bouncing with the default damping and bounces without it")
{
    const double drop = 0.3, dt = 0.005;
    CHECK(ContactPlane().damping_ratio == 1.0); // the default
    int runs = 0;
    for (int dim : {2, 3})
        for (double zeta : {0.0, 0.5, 1.0}) {
            INFO("dim " << dim << ", damping ratio " << zeta);
            const Model m = dropped_node(dim, zeta);
            Simulator sim(m);
            std::vector<State> states;
            REQUIRE(rollout(sim, nominal_state(m), Eigen::MatrixXd::Zero(0, 400), states).converged); // 2 s
            const std::vector<double> y = heights(states);
            // impact: the first state inside the smoothing zone, after the free fall of 0.25 s
            const std::size_t impact = std::size_t(std::find_if(y.begin(), y.end(), [](double h) { return h < 1e-3; }) - y.begin());
            REQUIRE(impact < y.size());
            CHECK(double(impact) * dt == doctest::Approx(std::sqrt(2 * drop / 9.81)).epsilon(0.03));
            const double rebound = *std::max_element(y.begin() + long(impact), y.end());
            // the last state more than 5 mm away from the plane
            std::size_t last_away = impact;
            for (std::size_t t = impact; t < y.size(); ++t)
                if (std::abs(y[t]) >= 5e-3) last_away = t;
            const double settle = double(last_away - impact) * dt;
            INFO("rebound " << rebound << " m, more than 5 mm from the plane until " << settle << " s after impact");
            if (zeta == 0) {
                // elastic penalty: only BDF2's numerical damping, the node bounces for seconds
                CHECK(rebound > 0.5 * drop);
                CHECK(settle > 1.0);
            } else if (zeta == 1) {
                CHECK(rebound < 0.05 * drop);
                CHECK(settle < 0.5);
                CHECK(states.back().v.norm() < 1e-5); // at rest
            } else {
                CHECK(rebound < 0.05 * drop);
                CHECK(settle < 0.5);
            }
            ++runs;
        }
    CHECK(runs == 6);
}

namespace {

// the largest depth below the plane y = 0 over the free nodes of a state
double max_sinking(const Model& m, const State& z)
{
    double depth = 0;
    for (int i = 0; i < m.n_free; ++i) depth = std::max(depth, -z.x[i * m.dim + 1]);
    return depth;
}

ContactPlane floor_plane(double k, double mu)
{
    ContactPlane plane;
    plane.point.setZero();
    plane.normal = Eigen::Vector3d(0, 1, 0);
    plane.stiffness = k;
    plane.friction = mu;
    plane.smoothing = 1e-3;
    plane.friction_smoothing = 1e-3;
    return plane;
}

} // namespace

TEST_CASE("contact: a dropped block comes to rest on the plane at the depth its weight sets")
{
    // a 10 cm cube of 8 nodes (edges, face and body diagonals), thrown sideways with a spin and
    // dropped from 5 cm
    for (double mu : {0.0, 0.5}) {
        INFO("mu " << mu);
        const double k = 2000, mass = 0.1, g = 9.81;
        ModelBuilder b(3, 0.01, vec({0, -g, 0}));
        std::vector<int> corner;
        for (int i = 0; i < 8; ++i) {
            const Eigen::VectorXd p = vec({0.1 * (i & 1), 0.05 + 0.1 * ((i >> 1) & 1), 0.1 * ((i >> 2) & 1)});
            corner.push_back(b.add_node("c" + std::to_string(i), Role::kFree, p, mass / 8, vec({0.3, 0, 0.2 * (i & 1)})));
        }
        for (int i = 0; i < 8; ++i)
            for (int j = i + 1; j < 8; ++j) b.add_spring(corner[std::size_t(i)], corner[std::size_t(j)], 2e4);
        b.contacts.push_back(floor_plane(k, mu));
        const Model m = b.build();
        Simulator sim(m);
        std::vector<State> states;
        const int n = 300;
        REQUIRE(rollout(sim, nominal_state(m), Eigen::MatrixXd::Zero(0, n), states).converged);
        // the four bottom corners carry a quarter of the weight each: below k s / 2 that holds
        // them inside the smoothing zone at d = s - sqrt(2 s W / k) (above the plane), else they
        // sink W / k - s / 2; the bound for any resting body is W / k
        const State& last = states.back();
        const double s = m.contacts[0].smoothing, quarter = mass * g / 4;
        REQUIRE(quarter < k * s / 2);
        double lowest = 1;
        for (int i = 0; i < 8; ++i) lowest = std::min(lowest, last.x[i * 3 + 1]);
        CHECK(lowest == doctest::Approx(s - std::sqrt(2 * s * quarter / k)).epsilon(1e-3));
        CHECK(max_sinking(m, last) <= mass * g / k);
        // with friction at rest; without, it keeps the horizontal momentum of the throw (contact
        // forces are normal) and comes to rest only vertically
        Eigen::Vector3d momentum = Eigen::Vector3d::Zero();
        for (int i = 0; i < 8; ++i) momentum += (mass / 8) * last.v.segment<3>(i * 3);
        if (mu > 0) {
            CHECK(last.v.lpNorm<Eigen::Infinity>() < 1e-5);
        } else {
            CHECK(momentum[0] == doctest::Approx(mass * 0.3).epsilon(1e-8));
            CHECK(momentum[2] == doctest::Approx(mass * 0.1).epsilon(1e-8));
        }
        CHECK(std::abs(momentum[1]) < 1e-8);
    }
}

TEST_CASE("contact: a small cloth dropped on a frictional plane comes to rest on it")
{
    const double k = 10, mu = 0.5, total = 0.1, g = 9.81; // soft, so that nodes sink below the plane
    ModelBuilder b(3, 0.01, vec({0, -g, 0}));
    ClothSpec c;
    c.name = "cloth";
    c.origin = vec({0, 0.02, 0});
    c.u = vec({0.3, 0, 0});
    c.v = vec({0, 0.003, 0.3}); // slightly tilted: one edge lands first
    c.nu = 8;
    c.nv = 8;
    c.total_mass = total;
    c.structural = 500;
    c.shear = 100;
    c.bending = 5;
    add_cloth(b, c);
    b.contacts.push_back(floor_plane(k, mu));
    const Model m = b.build();
    Simulator sim(m);
    std::vector<State> states;
    const int n = 300; // undamped the soft contact rings for 2 s; with the default damping it is still after 0.2 s
    REQUIRE(rollout(sim, nominal_state(m), Eigen::MatrixXd::Zero(0, n), states).converged);
    // each node carries its own weight: it sinks weight / k - s / 2 (1 mm here), at most weight / k
    const double node_weight = total / 64 * g;
    CHECK(max_sinking(m, states.back()) <= node_weight / k);
    CHECK(max_sinking(m, states.back()) ==
          doctest::Approx(node_weight / k - m.contacts[0].smoothing / 2).epsilon(0.02));
    double highest = -1;
    for (int i = 0; i < m.n_free; ++i) highest = std::max(highest, states.back().x[i * 3 + 1]);
    CHECK(highest < m.contacts[0].smoothing); // all of it lies on the plane
    CHECK(states.back().v.lpNorm<Eigen::Infinity>() < 1e-3);
}

TEST_CASE("contact: the cloth_table scene hangs still and lays its cloth flat when the handles move down and back")
{
    const std::string file = source_path("scenes/cloth_table.json");
    const nlohmann::json doc = common::read_json_file(file);
    const Model m = parse_model(common::JsonNode(doc, file));
    REQUIRE(m.contacts.size() == 1);
    REQUIRE(m.n_handles == 2);
    Simulator sim(m);
    const int n = 120; // the task's horizon
    // untouched, it hangs above the table
    std::vector<State> states;
    REQUIRE(rollout(sim, nominal_state(m), Eigen::MatrixXd::Zero(6, n), states).converged);
    CHECK(max_sinking(m, states.back()) == 0.0);
    // straight down and back by (0.325, 0.3) m over 1 s, then held: the lower edge lands and
    // stays, the rest folds onto the table behind it
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(6, n);
    for (int t = 0; t < 100; ++t) a.col(t) << 0, -0.325, -0.3, 0, -0.325, -0.3;
    REQUIRE(rollout(sim, nominal_state(m), a, states).converged);
    const State& last = states.back();
    double highest = -1;
    for (int i = 0; i < m.n_free; ++i) highest = std::max(highest, last.x[i * 3 + 1]);
    // every node within 1 cm of the table: 9.1 mm measured, the fold next to the handles is still
    // dropping (below), so the bound is tight and moves with the scene's dynamics
    CHECK(highest < 0.01);
    const double node_weight = 0.1 / 142 * 9.81;
    CHECK(max_sinking(m, last) <= node_weight / m.contacts[0].stiffness);
    auto z_of = [&](const char* name) { return last.x[m.find_node(name) * 3 + 2]; };
    CHECK(std::abs(z_of("cloth_0_11")) < 0.01);
    CHECK(std::abs(z_of("cloth_11_11")) < 0.01);
    // where the fold's edge comes to lie: -0.1366 m measured, 1 cm either way
    CHECK(std::abs(z_of("cloth_0_6") + 0.136) < 0.01);
    // the payload is at rest (the fold next to the handles is still dropping onto the table)
    for (const char* name : {"cloth_0_6", "cloth_11_6", "cloth_0_11", "cloth_11_11"})
        CHECK(last.v.segment<3>(m.find_node(name) * 3).norm() < 0.02);
}
