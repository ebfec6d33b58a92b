// Finite-difference checks of the spring, compression-weak spring, cable and gravity element
// energies.
#include "sim/gravity.hpp"
#include "sim/spring.hpp"
#include "tests/fd.hpp"

#include <Eigen/Eigenvalues>

using namespace podsim;
using namespace podsim::sim;

namespace {

enum class Kind { kSpring, kCable, kWeak };

// the compressive / tensile stiffness ratio of Kind::kWeak in the element helpers
constexpr double kWeakRatio = 0.05;

// element energy over the stacked (xi, xj) vector of length 2D
template <int D>
double element_energy(Kind kind, const Eigen::VectorXd& y, double k, double L, double ratio = kWeakRatio)
{
    const Vec<D> xi = y.head<D>(), xj = y.tail<D>();
    switch (kind) {
    case Kind::kSpring: return spring_energy<D>(xi, xj, k, L);
    case Kind::kCable: return cable_energy<D>(xi, xj, k, L);
    case Kind::kWeak: return weak_compression_spring_energy<D>(xi, xj, k, L, ratio);
    }
    return 0;
}

template <int D>
Eigen::VectorXd element_gradient(Kind kind, const Eigen::VectorXd& y, double k, double L, double ratio = kWeakRatio)
{
    const Vec<D> xi = y.head<D>(), xj = y.tail<D>();
    const Vec<D> gi = kind == Kind::kSpring ? spring_energy_gradient<D>(xi, xj, k, L)
                      : kind == Kind::kCable ? cable_energy_gradient<D>(xi, xj, k, L)
                                             : weak_compression_spring_energy_gradient<D>(xi, xj, k, L, ratio);
    Eigen::VectorXd g(2 * D);
    g << gi, -gi;
    return g;
}

template <int D>
Eigen::MatrixXd element_hessian(Kind kind, const Eigen::VectorXd& y, double k, double L, bool project,
                                double ratio = kWeakRatio)
{
    const Vec<D> xi = y.head<D>(), xj = y.tail<D>();
    const Mat<D> b = kind == Kind::kSpring ? spring_energy_hessian<D>(xi, xj, k, L, project)
                     : kind == Kind::kCable ? cable_energy_hessian<D>(xi, xj, k, L)
                                            : weak_compression_spring_energy_hessian<D>(xi, xj, k, L, ratio, project);
    Eigen::MatrixXd h(2 * D, 2 * D);
    h << b, -b, -b, b;
    return h;
}

// points with a prescribed length ratio l / L along a random direction
template <int D> Eigen::VectorXd element_state(std::mt19937_64& rng, double L, double ratio)
{
    Eigen::VectorXd y(2 * D);
    y.head<D>() = test::random_vector(rng, D);
    y.tail<D>() = y.head<D>() + ratio * L * test::random_direction(rng, D);
    return y;
}

// eps: the finite-difference step (inside the compression band of a weak spring it must be
// small against the band, kCompressionBand * L)
template <int D> int check_element(Kind kind, double ratio, std::uint64_t seed, double eps = 1e-6)
{
    std::mt19937_64 rng(seed);
    const double k = 250.0, L = 0.7;
    int checks = 0;
    for (int trial = 0; trial < 5; ++trial) {
        const Eigen::VectorXd y = element_state<D>(rng, L, ratio);
        const Eigen::VectorXd g = element_gradient<D>(kind, y, k, L);
        const Eigen::VectorXd g_fd = test::fd_gradient(
            [&](const Eigen::VectorXd& v) { return element_energy<D>(kind, v, k, L); }, y, eps);
        test::check_close(g, g_fd, 1e-6);
        const Eigen::MatrixXd h = element_hessian<D>(kind, y, k, L, false);
        const Eigen::MatrixXd h_fd = test::fd_jacobian(
            [&](const Eigen::VectorXd& v) { return element_gradient<D>(kind, v, k, L); }, y, eps);
        test::check_close(h, h_fd, 1e-6);
        if (kind != Kind::kCable || ratio > 1) CHECK(h.norm() > 1.0); // a slack cable has none
        // symmetric, and forces sum to zero / translations are in the kernel
        CHECK((h - h.transpose()).norm() == 0.0);
        Eigen::VectorXd translation(2 * D);
        const Eigen::VectorXd dir = test::random_direction(rng, D);
        translation << dir, dir;
        CHECK((h * translation).norm() <= 1e-12 * k);
        CHECK(std::abs(g.head<D>().sum() + g.tail<D>().sum()) <= 1e-12 * k);
        ++checks;
    }
    return checks;
}

} // namespace

TEST_CASE("spring: gradient and Hessian match finite differences (stretched, compressed, rest)")
{
    int checks = 0;
    for (double ratio : {1.3, 0.6, 1.0}) {
        checks += check_element<2>(Kind::kSpring, ratio, 11);
        checks += check_element<3>(Kind::kSpring, ratio, 12);
    }
    CHECK(checks == 30);
}

TEST_CASE("spring: gradient is non-zero off rest length and zero at rest")
{
    std::mt19937_64 rng(5);
    const Eigen::VectorXd stretched = element_state<3>(rng, 0.7, 1.2);
    CHECK(element_gradient<3>(Kind::kSpring, stretched, 250, 0.7).norm() > 1.0);
    const Eigen::VectorXd rest = element_state<3>(rng, 0.7, 1.0);
    CHECK(element_gradient<3>(Kind::kSpring, rest, 250, 0.7).norm() <= 1e-12);
}

TEST_CASE("spring: projected Hessian of a compressed spring is PSD, exact one is not")
{
    std::mt19937_64 rng(6);
    const Eigen::VectorXd y = element_state<3>(rng, 1.0, 0.5);
    const Eigen::VectorXd exact_eig =
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(element_hessian<3>(Kind::kSpring, y, 100, 1.0, false)).eigenvalues();
    const Eigen::VectorXd projected_eig =
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(element_hessian<3>(Kind::kSpring, y, 100, 1.0, true)).eigenvalues();
    CHECK(exact_eig.minCoeff() < -1.0);
    CHECK(projected_eig.minCoeff() >= -1e-12);
    // a stretched spring is unaffected by projection
    const Eigen::VectorXd z = element_state<3>(rng, 1.0, 1.5);
    CHECK((element_hessian<3>(Kind::kSpring, z, 100, 1.0, true) -
           element_hessian<3>(Kind::kSpring, z, 100, 1.0, false)).norm() == 0.0);
}

TEST_CASE("spring: compression-weak gradient and Hessian match finite differences in tension, "
          "compression and inside and across the transition band")
{
    const double w = kCompressionBand;
    int checks = 0;
    // tension and deep compression (eps 1e-6 is far from the band there)
    for (double ratio : {1.3, 0.6, 1 - 3 * w}) {
        checks += check_element<2>(Kind::kWeak, ratio, 31);
        checks += check_element<3>(Kind::kWeak, ratio, 32);
    }
    // inside the band, at its two ends (the finite differences straddle them) and at rest
    for (double ratio : {1 - 0.5 * w, 1 - 0.2 * w, 1 - 0.9 * w, 1 - w, 1.0}) {
        checks += check_element<2>(Kind::kWeak, ratio, 33, 1e-8);
        checks += check_element<3>(Kind::kWeak, ratio, 34, 1e-8);
    }
    CHECK(checks == 80);
}

TEST_CASE("spring: the compression-weak profile's force and stiffness are the derivatives of its energy")
{
    // the scalar profile psi(s), s = l - L, with a stiffness large enough that every value is far
    // above the tolerance's floor of 1
    const double k = 2e6, L = 0.7, delta = kCompressionBand * L;
    int checks = 0;
    for (double ratio : {0.01, 0.05, 0.5}) {
        for (double s : {0.01, 1e-5, -0.05, -3 * delta, -1.2 * delta, -delta, -0.99 * delta, -0.5 * delta,
                         -0.1 * delta, -1e-3 * delta}) {
            INFO("ratio " << ratio << ", s " << s);
            const double e = 1e-4 * delta;
            const auto p = detail::weak_compression_profile(s, k, L, ratio);
            const auto pp = detail::weak_compression_profile(s + e, k, L, ratio);
            const auto pm = detail::weak_compression_profile(s - e, k, L, ratio);
            CHECK(test::close(p.force, (pp.energy - pm.energy) / (2 * e), 1e-6));
            CHECK(test::close(p.stiffness, (pp.force - pm.force) / (2 * e), 1e-6));
            CHECK(p.stiffness >= ratio * k * (1 - 1e-12));
            CHECK(p.stiffness <= k * (1 + 1e-12));
            CHECK(p.energy > 0);
            CHECK(p.force * s > 0);
            ++checks;
        }
        // the stiffness is k at the rest length, ratio k below the band, and in between at its middle
        CHECK(detail::weak_compression_profile(0.0, k, L, ratio).stiffness == k);
        CHECK(detail::weak_compression_profile(-delta, k, L, ratio).stiffness == ratio * k);
        CHECK(test::close(detail::weak_compression_profile(-0.5 * delta, k, L, ratio).stiffness,
                          0.5 * (1 + ratio) * k, 1e-12));
        // and continuous (C1 even) at both ends of the band: values and slopes from either side agree
        for (double edge : {0.0, -delta}) {
            const double e = 1e-9 * delta;
            const auto above = detail::weak_compression_profile(edge + e, k, L, ratio);
            const auto below = detail::weak_compression_profile(edge - e, k, L, ratio);
            CHECK(std::abs(above.energy - below.energy) <= 1e-8 * k * delta * delta);
            CHECK(std::abs(above.force - below.force) <= 1e-8 * k * delta);
            CHECK(std::abs(above.stiffness - below.stiffness) <= 1e-6 * k);
        }
    }
    CHECK(checks == 30);
}

TEST_CASE("spring: a compression-weak spring equals the plain one in tension, ratio times as stiff in compression")
{
    std::mt19937_64 rng(8);
    const double k = 300, L = 0.5;
    for (double r : {0.02, 0.3, 1.0}) {
        INFO("ratio " << r);
        // in tension (and at ratio 1 everywhere) energy, gradient and Hessian are the plain spring's
        for (double stretch : {1.001, 1.4}) {
            const Eigen::VectorXd y = element_state<3>(rng, L, stretch);
            CHECK(element_energy<3>(Kind::kWeak, y, k, L, r) == element_energy<3>(Kind::kSpring, y, k, L));
            test::check_close(element_gradient<3>(Kind::kWeak, y, k, L, r), element_gradient<3>(Kind::kSpring, y, k, L), 1e-14);
            test::check_close(element_hessian<3>(Kind::kWeak, y, k, L, false, r),
                              element_hessian<3>(Kind::kSpring, y, k, L, false), 1e-13);
        }
        const Eigen::VectorXd c = element_state<3>(rng, L, 0.7);
        if (r == 1.0) {
            CHECK(element_energy<3>(Kind::kWeak, c, k, L, r) == element_energy<3>(Kind::kSpring, c, k, L));
            test::check_close(element_hessian<3>(Kind::kWeak, c, k, L, false, r),
                              element_hessian<3>(Kind::kSpring, c, k, L, false), 1e-13);
        } else {
            // the axial force below the band: ratio k s minus the constant (1 - ratio) k delta / 2
            const double s = -0.3 * L, delta = kCompressionBand * L;
            const Eigen::VectorXd g = element_gradient<3>(Kind::kWeak, c, k, L, r);
            const Eigen::VectorXd u = (c.head<3>() - c.tail<3>()) / (c.head<3>() - c.tail<3>()).norm();
            CHECK(test::close(g.head<3>().dot(u), r * k * s - 0.5 * (1 - r) * k * delta, 1e-12));
            CHECK(element_energy<3>(Kind::kWeak, c, k, L, r) < element_energy<3>(Kind::kSpring, c, k, L));
        }
    }
}

TEST_CASE("spring: the projected Hessian of a compressed compression-weak spring is PSD, the exact one is not")
{
    std::mt19937_64 rng(9);
    int checks = 0;
    for (double stretch : {0.5, 1 - 0.5 * kCompressionBand, 1.2}) {
        const Eigen::VectorXd y = element_state<3>(rng, 1.0, stretch);
        const Eigen::MatrixXd exact = element_hessian<3>(Kind::kWeak, y, 100, 1.0, false, 0.1);
        const Eigen::MatrixXd projected = element_hessian<3>(Kind::kWeak, y, 100, 1.0, true, 0.1);
        const double exact_min = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(exact).eigenvalues().minCoeff();
        const double projected_min = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(projected).eigenvalues().minCoeff();
        CHECK(projected_min >= -1e-12);
        if (stretch < 1) {
            CHECK(exact_min < -1e-3);
            // the axial stiffness is untouched by the projection
            CHECK((exact - projected).norm() > 1e-3);
        } else {
            CHECK((exact - projected).norm() == 0.0);
        }
        ++checks;
    }
    CHECK(checks == 3);
}

TEST_CASE("cable: derivatives match finite differences when taut, vanish when slack")
{
    int checks = 0;
    checks += check_element<2>(Kind::kCable, 1.25, 21);
    checks += check_element<3>(Kind::kCable, 1.25, 22);
    checks += check_element<2>(Kind::kCable, 0.8, 23);
    checks += check_element<3>(Kind::kCable, 0.8, 24);
    CHECK(checks == 20);

    std::mt19937_64 rng(7);
    const Eigen::VectorXd slack = element_state<2>(rng, 1.0, 0.9);
    CHECK(cable_energy<2>(slack.head<2>(), slack.tail<2>(), 100, 1.0) == 0.0);
    CHECK(element_gradient<2>(Kind::kCable, slack, 100, 1.0).norm() == 0.0);
    CHECK(element_hessian<2>(Kind::kCable, slack, 100, 1.0, false).norm() == 0.0);
    const Eigen::VectorXd taut = element_state<2>(rng, 1.0, 1.1);
    CHECK(element_gradient<2>(Kind::kCable, taut, 100, 1.0).norm() > 1.0);
    // taut cable equals the bilateral spring
    CHECK(cable_energy<2>(taut.head<2>(), taut.tail<2>(), 100, 1.0) ==
          spring_energy<2>(taut.head<2>(), taut.tail<2>(), 100, 1.0));
}

TEST_CASE("gravity: gradient matches finite differences")
{
    const Vec<3> g(0, -9.81, 0);
    const Eigen::VectorXd x = Eigen::Vector3d(0.3, -1.2, 2.0);
    const Eigen::VectorXd fd = test::fd_gradient(
        [&](const Eigen::VectorXd& y) { return gravity_energy<3>(0.5, g, Vec<3>(y)); }, x);
    test::check_close(Eigen::VectorXd(gravity_energy_gradient<3>(0.5, g)), fd, 1e-8);
    CHECK(gravity_energy_gradient<3>(0.5, g).norm() > 1.0);
}
