// Tests of policy/dmp.hpp: the NDP reference loop bit for bit, analytic solutions, accuracy of
// the integrators, and every derivative (VJP, forward Jacobian) against central differences.
#include "policy/dmp.hpp"

#include "tests/fd.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace podsim::policy;
using podsim::test::check_close;

namespace {

const Kernel kAllKernels[] = {Kernel::GAUSSIAN, Kernel::LINEAR, Kernel::MULTIQUADRIC, Kernel::INVERSE_QUADRIC,
                              Kernel::INVERSE_MULTIQUADRIC};
const Scaling kAllScalings[] = {Scaling::GOAL, Scaling::NONE, Scaling::AMPLITUDE};
const Integrator kAllIntegrators[] = {Integrator::EULER, Integrator::RK4};

// an independent transcription of the NDP reference integration loop (one row, scalar code)
std::vector<double> ndp_reference_loop(const DmpConfig& c, const Eigen::VectorXd& w, double g, double y0,
                                       double dy0, double s)
{
    const int n = c.basis;
    std::vector<double> centres(n), widths(n);
    for (int i = 0; i < n; ++i) {
        centres[i] = std::exp(-c.a_x * (double(i) / double(n - 1)));
        widths[i] = std::pow(double(n), 1.5) / centres[i] / c.a_x;
    }
    const double dt = c.tau / c.steps;
    double y = y0, z = dy0 * c.tau, x = 1;
    std::vector<double> out{y};
    for (int step = 0; step < c.steps; ++step) {
        x = x + (-c.a_x * x / c.tau) * dt;
        double psi_sum = 0, weighted = 0;
        for (int i = 0; i < n; ++i) {
            const double d = x - centres[i];
            double psi = 0;
            switch (c.kernel) {
            case Kernel::GAUSSIAN: psi = std::exp(-widths[i] * (d * d)); break;
            case Kernel::LINEAR: psi = std::sqrt(widths[i] * (d * d)); break;
            case Kernel::MULTIQUADRIC: psi = std::sqrt(1 + widths[i] * (d * d)); break;
            case Kernel::INVERSE_QUADRIC: psi = 1 / (1 + widths[i] * (d * d)); break;
            case Kernel::INVERSE_MULTIQUADRIC: psi = 1 / std::sqrt(1 + widths[i] * (d * d)); break;
            }
            psi_sum += psi;
            weighted += w[i] * psi;
        }
        const double fx = weighted * x * s / psi_sum;
        const double dz = (c.alpha * (c.beta * (g - y) - z) + fx) / c.tau;
        const double dy = z / c.tau;
        y = y + dy * dt;
        z = z + dz * dt;
        out.push_back(y);
    }
    return out;
}

DmpParams random_params(const DmpConfig& c, int rows, std::mt19937_64& rng, double weight_size = 100)
{
    DmpParams p;
    p.weights.resize(rows, c.basis);
    for (int r = 0; r < rows; ++r) p.weights.row(r) = podsim::test::random_vector(rng, c.basis, -weight_size, weight_size);
    p.goal = podsim::test::random_vector(rng, rows, -1, 1);
    p.y0 = podsim::test::random_vector(rng, rows, -1, 1);
    p.yd0 = podsim::test::random_vector(rng, rows, -2, 2);
    p.amplitude = podsim::test::random_vector(rng, rows, 0.5, 2);
    return p;
}

Eigen::MatrixXd run(const DmpLayer& layer, const DmpParams& p)
{
    DmpTrajectory t;
    DmpWorkspace ws;
    layer.forward(p, t, ws);
    return t.y;
}

} // namespace

TEST_CASE("policy: dmp euler is bit-identical to an independent NDP reference loop")
{
    std::mt19937_64 rng(42);
    int compared = 0;
    for (Kernel k : kAllKernels)
        for (Scaling sc : kAllScalings) {
            DmpConfig c;
            c.basis = 12;
            c.steps = 150;
            c.kernel = k;
            c.scaling = sc;
            c.tau = 1.3;
            c.a_x = 1.5;
            const DmpLayer layer(c);
            // 11 rows: the vectorised kernel's 8-row blocks plus a remainder
            const DmpParams p = random_params(c, 11, rng);
            const Eigen::MatrixXd y = run(layer, p);
            for (int r = 0; r < 11; ++r) {
                const double s = sc == Scaling::GOAL ? p.goal[r] - p.y0[r] : sc == Scaling::NONE ? 1.0 : p.amplitude[r];
                const std::vector<double> ref = ndp_reference_loop(c, p.weights.row(r).transpose(), p.goal[r], p.y0[r],
                                                                   p.yd0[r], s);
                REQUIRE(int(ref.size()) == c.steps + 1);
                for (int n = 0; n <= c.steps; ++n) {
                    if (y(r, n) != ref[n]) FAIL_CHECK("row " << r << " step " << n << ": " << y(r, n) << " vs " << ref[n]);
                    ++compared;
                }
            }
        }
    CHECK(compared == 5 * 3 * 11 * 151);
}

TEST_CASE("policy: dmp without forcing matches the critically damped analytic solution")
{
    for (Integrator integ : kAllIntegrators) {
        DmpConfig c;
        c.integrator = integ;
        c.tau = 2.0;
        c.steps = 400;
        const DmpLayer layer(c);
        DmpParams p;
        p.weights = Eigen::MatrixXd::Zero(2, c.basis);
        p.goal = Eigen::Vector2d(1.0, -0.5);
        p.y0 = Eigen::Vector2d(-0.3, 0.2);
        p.yd0 = Eigen::Vector2d(0.7, -1.0);
        DmpTrajectory t;
        DmpWorkspace ws;
        layer.forward(p, t, ws, true);
        // e = y - g solves e'' + (alpha / tau) e' + (alpha beta / tau^2) e = 0, double root lambda
        const double lambda = c.alpha / (2 * c.tau);
        double worst = 0;
        for (int r = 0; r < 2; ++r)
            for (int n = 0; n <= c.steps; ++n) {
                const double time = n * layer.dt();
                const double e0 = p.y0[r] - p.goal[r];
                const double e = (e0 + (p.yd0[r] + lambda * e0) * time) * std::exp(-lambda * time);
                worst = std::max(worst, std::abs(t.y(r, n) - (p.goal[r] + e)));
            }
        CAPTURE(to_string(integ));
        CHECK(worst < (integ == Integrator::RK4 ? 1e-7 : 2e-2));
        CHECK(worst > 0); // the check compares two different computations
        // converged to the goal at t = tau (e ~ 26 e^-12.5 ~ 1e-4)
        CHECK(std::abs(t.y(0, c.steps) - p.goal[0]) < 1e-3);
        CHECK(std::abs(t.yd(1, c.steps)) < 1e-2);
    }
}

TEST_CASE("policy: dmp with forcing converges to the goal once the phase has decayed")
{
    DmpConfig c;
    c.a_x = 12; // x(tau) = e^-12
    c.tau = 1.5;
    c.steps = 600;
    c.integrator = Integrator::RK4;
    const DmpLayer layer(c);
    std::mt19937_64 rng(9);
    const DmpParams p = random_params(c, 3, rng, 300);
    const Eigen::MatrixXd y = run(layer, p);
    const Eigen::MatrixXd y_free = [&] {
        DmpParams q = p;
        q.weights.setZero();
        return run(layer, q);
    }();
    CHECK((y - y_free).cwiseAbs().maxCoeff() > 0.05); // forcing did shape the path
    for (int r = 0; r < 3; ++r) CHECK(std::abs(y(r, c.steps) - p.goal[r]) < 1e-3);
}

TEST_CASE("policy: dmp rk4 is more accurate than euler against a fine reference")
{
    std::mt19937_64 rng(12);
    DmpConfig fine;
    fine.integrator = Integrator::RK4;
    fine.steps = 24000;
    const DmpParams p = random_params(fine, 3, rng);
    const Eigen::MatrixXd ref = run(DmpLayer(fine), p);
    for (int steps : {60, 120}) {
        DmpConfig c = fine;
        c.steps = steps;
        const int stride = fine.steps / steps;
        double err[2] = {0, 0};
        for (Integrator integ : kAllIntegrators) {
            c.integrator = integ;
            const Eigen::MatrixXd y = run(DmpLayer(c), p);
            for (int n = 0; n <= steps; ++n)
                err[int(integ)] = std::max(err[int(integ)], (y.col(n) - ref.col(n * stride)).cwiseAbs().maxCoeff());
        }
        CAPTURE(steps);
        CHECK(err[1] < 0.01 * err[0]);
        CHECK(err[0] > 0);
    }
}

TEST_CASE("policy: dmp euler warns when the step is unstable and goal == start keeps forcing for none/amplitude")
{
    DmpConfig c;
    c.steps = 10; // dt = tau / 10 > 2 tau / 25
    CHECK(euler_unstable(c, c.alpha));
    c.steps = 13;
    CHECK(!euler_unstable(c, c.alpha));
    c.steps = 5;
    c.integrator = Integrator::RK4;
    CHECK(!euler_unstable(c, c.alpha));

    std::mt19937_64 rng(2);
    for (Scaling sc : kAllScalings) {
        DmpConfig d;
        d.scaling = sc;
        const DmpLayer layer(d);
        DmpParams p = random_params(d, 2, rng);
        p.goal = p.y0; // goal == start
        DmpParams q = p;
        q.weights.setZero();
        const double moved = (run(layer, p) - run(layer, q)).cwiseAbs().maxCoeff();
        CAPTURE(to_string(sc));
        if (sc == Scaling::GOAL) CHECK(moved == 0);
        else CHECK(moved > 1e-2);
    }
}

TEST_CASE("policy: dmp vjp and forward jacobian match central differences (all kernels, integrators, scalings)")
{
    std::mt19937_64 rng(77);
    int checks = 0;
    for (Kernel k : kAllKernels)
        for (Integrator integ : kAllIntegrators)
            for (Scaling sc : kAllScalings) {
                CAPTURE(to_string(k));
                CAPTURE(to_string(integ));
                CAPTURE(to_string(sc));
                DmpConfig c;
                c.basis = 5;
                c.steps = 30;
                c.kernel = k;
                c.integrator = integ;
                c.scaling = sc;
                const DmpLayer layer(c);
                const int rows = 3;
                DmpParams p = random_params(c, rows, rng, 50);
                p.goal[2] = p.y0[2]; // one row with goal == start
                const Eigen::MatrixXd cot = [&] {
                    Eigen::MatrixXd m(rows, c.steps + 1);
                    // scaled so that the weight gradients are O(1) and the absolute tolerance bites
                    for (int n = 0; n <= c.steps; ++n) m.col(n) = podsim::test::random_vector(rng, rows, -100, 100);
                    return m;
                }();

                // analytic: VJP after a forward pass
                const DmpParams before = p;
                DmpTrajectory t;
                DmpWorkspace ws;
                DmpGradient grad;
                // marker values: every output slot must be written
                const double nan = std::numeric_limits<double>::quiet_NaN();
                grad.weights.setConstant(rows, c.basis, nan);
                grad.goal.setConstant(rows, nan);
                grad.y0.setConstant(rows, nan);
                grad.yd0.setConstant(rows, nan);
                layer.forward(p, t, ws);
                layer.vjp(p, ws, cot, grad);
                REQUIRE(grad.weights.allFinite());
                REQUIRE((grad.goal.allFinite() && grad.y0.allFinite() && grad.yd0.allFinite()));
                CHECK(p.weights == before.weights); // derivative calls leave the parameters alone
                CHECK(p.goal == before.goal);

                // pack [w (row-major per row), g, y0, yd0] for finite differences of L = <cot, y>
                const int nb = c.basis;
                auto pack = [&](const DmpParams& q) {
                    Eigen::VectorXd v(rows * (nb + 3));
                    for (int r = 0; r < rows; ++r) {
                        v.segment(r * (nb + 3), nb) = q.weights.row(r).transpose();
                        v[r * (nb + 3) + nb] = q.goal[r];
                        v[r * (nb + 3) + nb + 1] = q.y0[r];
                        v[r * (nb + 3) + nb + 2] = q.yd0[r];
                    }
                    return v;
                };
                auto unpack = [&](const Eigen::VectorXd& v) {
                    DmpParams q = p;
                    for (int r = 0; r < rows; ++r) {
                        q.weights.row(r) = v.segment(r * (nb + 3), nb).transpose();
                        q.goal[r] = v[r * (nb + 3) + nb];
                        q.y0[r] = v[r * (nb + 3) + nb + 1];
                        q.yd0[r] = v[r * (nb + 3) + nb + 2];
                    }
                    return q;
                };
                DmpParams gq = p;
                gq.weights = grad.weights;
                gq.goal = grad.goal;
                gq.y0 = grad.y0;
                gq.yd0 = grad.yd0;
                const Eigen::VectorXd analytic = pack(gq);
                REQUIRE(grad.weights.row(0).norm() > 1e-2);
                REQUIRE(grad.goal.cwiseAbs().minCoeff() > 1e-6);
                REQUIRE(grad.yd0.cwiseAbs().minCoeff() > 1e-6);
                auto loss = [&](const Eigen::VectorXd& v) { return (run(layer, unpack(v)).array() * cot.array()).sum(); };
                check_close(analytic, podsim::test::fd_gradient(loss, pack(p), 1e-6), 1e-6);
                ++checks;

                // forward Jacobian: against finite differences and transposed against the VJP
                std::vector<Eigen::MatrixXd> jac(rows, Eigen::MatrixXd::Constant(c.steps + 1, nb + 3, nan));
                layer.jacobian(p, jac);
                REQUIRE(int(jac.size()) == rows);
                for (const Eigen::MatrixXd& J : jac) REQUIRE(J.allFinite());
                for (int r = 0; r < rows; ++r) {
                    auto traj = [&](const Eigen::VectorXd& v) -> Eigen::VectorXd {
                        Eigen::VectorXd all = pack(p);
                        all.segment(r * (nb + 3), nb + 3) = v;
                        return run(layer, unpack(all)).row(r).transpose();
                    };
                    check_close(jac[r], podsim::test::fd_jacobian(traj, pack(p).segment(r * (nb + 3), nb + 3), 1e-6), 1e-6);
                    check_close(Eigen::VectorXd(jac[r].transpose() * cot.row(r).transpose()),
                                analytic.segment(r * (nb + 3), nb + 3), 1e-10);
                    checks += 2;
                }
            }
    CHECK(checks == 5 * 2 * 3 * 7);
}

TEST_CASE("policy: dmp jacobian structure: y0 and y1 do not depend on weights or goal (euler)")
{
    DmpConfig c;
    c.basis = 6;
    c.steps = 20;
    const DmpLayer layer(c);
    std::mt19937_64 rng(5);
    const DmpParams p = random_params(c, 2, rng);
    std::vector<Eigen::MatrixXd> jac;
    layer.jacobian(p, jac);
    for (const Eigen::MatrixXd& J : jac) {
        Eigen::VectorXd row0 = Eigen::VectorXd::Zero(c.basis + 3), row1 = row0;
        row0[c.basis + 1] = 1;
        row1[c.basis + 1] = 1;
        row1[c.basis + 2] = layer.dt(); // y1 = y0 + dt z0 / tau, z0 = tau yd0
        CHECK(J.row(0).transpose() == row0);
        check_close(J.row(1).transpose(), row1, 1e-15);
        CHECK(J.row(2).head(c.basis).norm() > 0); // the forcing acts from the second step on
    }
}

TEST_CASE("policy: dmp with per-row alpha: every vjp output and the jacobian match central differences")
{
    std::mt19937_64 rng(31);
    int checks = 0;
    for (Integrator integ : kAllIntegrators)
        for (Scaling sc : {Scaling::GOAL, Scaling::NONE}) {
            CAPTURE(to_string(integ));
            CAPTURE(to_string(sc));
            DmpConfig c;
            c.basis = 4;
            c.steps = 40;
            c.integrator = integ;
            c.scaling = sc;
            const DmpLayer layer(c);
            const int rows = 3, nb = c.basis;
            DmpParams p = random_params(c, rows, rng, 30);
            p.alpha = Eigen::Vector3d(10, 20, 30);
            Eigen::MatrixXd cot(rows, c.steps + 1);
            for (int n = 0; n <= c.steps; ++n) cot.col(n) = podsim::test::random_vector(rng, rows);
            DmpTrajectory t;
            DmpWorkspace ws;
            DmpGradient grad;
            // marker values: every output slot must be written
            const double nan = std::numeric_limits<double>::quiet_NaN();
            grad.weights.setConstant(rows, nb, nan);
            grad.goal.setConstant(rows, nan);
            grad.y0.setConstant(rows, nan);
            grad.yd0.setConstant(rows, nan);
            grad.alpha.setConstant(rows, nan);
            layer.forward(p, t, ws);
            layer.vjp(p, ws, cot, grad);
            REQUIRE(grad.alpha.size() == rows);
            REQUIRE(grad.alpha.cwiseAbs().minCoeff() > 1e-6);
            REQUIRE(grad.weights.cwiseAbs().minCoeff() > 1e-9);
            REQUIRE(grad.goal.cwiseAbs().minCoeff() > 1e-6);
            REQUIRE(grad.yd0.cwiseAbs().minCoeff() > 1e-6);

            // per row: [w, g, y0, yd0, alpha] against central differences of L = <cot, y>
            for (int r = 0; r < rows; ++r) {
                auto unpack = [&](const Eigen::VectorXd& v) {
                    DmpParams q = p;
                    q.weights.row(r) = v.head(nb).transpose();
                    q.goal[r] = v[nb];
                    q.y0[r] = v[nb + 1];
                    q.yd0[r] = v[nb + 2];
                    q.alpha[r] = v[nb + 3];
                    return q;
                };
                Eigen::VectorXd x(nb + 4), analytic(nb + 4);
                x << p.weights.row(r).transpose(), p.goal[r], p.y0[r], p.yd0[r], p.alpha[r];
                analytic << grad.weights.row(r).transpose(), grad.goal[r], grad.y0[r], grad.yd0[r], grad.alpha[r];
                auto loss = [&](const Eigen::VectorXd& v) { return (run(layer, unpack(v)).array() * cot.array()).sum(); };
                check_close(analytic, podsim::test::fd_gradient(loss, x, 1e-6), 1e-6);
                ++checks;
            }

            // the forward jacobian with per-row alpha held fixed
            std::vector<Eigen::MatrixXd> jac(rows, Eigen::MatrixXd::Constant(c.steps + 1, nb + 3, nan));
            layer.jacobian(p, jac);
            for (int r = 0; r < rows; ++r) {
                auto traj = [&](const Eigen::VectorXd& v) -> Eigen::VectorXd {
                    DmpParams q = p;
                    q.weights.row(r) = v.head(nb).transpose();
                    q.goal[r] = v[nb];
                    q.y0[r] = v[nb + 1];
                    q.yd0[r] = v[nb + 2];
                    return run(layer, q).row(r).transpose();
                };
                Eigen::VectorXd x(nb + 3);
                x << p.weights.row(r).transpose(), p.goal[r], p.y0[r], p.yd0[r];
                REQUIRE(jac[r].allFinite());
                check_close(jac[r], podsim::test::fd_jacobian(traj, x, 1e-6), 1e-6);
                ++checks;
            }
        }
    CHECK(checks == 2 * 2 * 6);
}

TEST_CASE("policy: dmp rejects bad configurations and shapes")
{
    DmpConfig c;
    c.basis = 1;
    CHECK_THROWS_AS(DmpLayer{c}, std::invalid_argument);
    c = DmpConfig{};
    c.tau = 0;
    CHECK_THROWS_AS(DmpLayer{c}, std::invalid_argument);
    c.tau = 2e6;
    CHECK_THROWS_AS(DmpLayer{c}, std::invalid_argument);
    c = DmpConfig{};
    c.alpha = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(DmpLayer{c}, std::invalid_argument);
    // the discrete phase x_{n+1} = x_n (1 - a_x / steps) must not turn negative
    c = DmpConfig{};
    c.a_x = 10;
    c.steps = 10;
    CHECK_NOTHROW(DmpLayer{c});
    c.steps = 9;
    try {
        validate_dmp_config(c);
        FAIL("a_x > steps accepted");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()) == "a_x / steps = 1.1111111111111112: must be <= 1 (the discrete phase must stay >= 0 and decrease)");
    }
    c = DmpConfig{};
    const DmpLayer layer(c);
    DmpParams p;
    p.weights = Eigen::MatrixXd::Zero(2, 3);
    p.goal = p.y0 = p.yd0 = Eigen::VectorXd::Zero(2);
    DmpTrajectory t;
    DmpWorkspace ws;
    CHECK_THROWS_AS(layer.forward(p, t, ws), std::invalid_argument);
    CHECK_THROWS_AS(kernel_from_string("cubic"), std::invalid_argument);
}
