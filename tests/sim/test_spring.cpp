// Finite-difference checks of the spring, cable and gravity element energies.
#include "sim/gravity.hpp"
#include "sim/spring.hpp"
#include "tests/fd.hpp"

#include <Eigen/Eigenvalues>

using namespace podsim;
using namespace podsim::sim;

namespace {

enum class Kind { kSpring, kCable };

// element energy over the stacked (xi, xj) vector of length 2D
template <int D> double element_energy(Kind kind, const Eigen::VectorXd& y, double k, double L)
{
    const Vec<D> xi = y.head<D>(), xj = y.tail<D>();
    return kind == Kind::kSpring ? spring_energy<D>(xi, xj, k, L) : cable_energy<D>(xi, xj, k, L);
}

template <int D> Eigen::VectorXd element_gradient(Kind kind, const Eigen::VectorXd& y, double k, double L)
{
    const Vec<D> xi = y.head<D>(), xj = y.tail<D>();
    const Vec<D> gi = kind == Kind::kSpring ? spring_energy_gradient<D>(xi, xj, k, L)
                                            : cable_energy_gradient<D>(xi, xj, k, L);
    Eigen::VectorXd g(2 * D);
    g << gi, -gi;
    return g;
}

template <int D>
Eigen::MatrixXd element_hessian(Kind kind, const Eigen::VectorXd& y, double k, double L, bool project)
{
    const Vec<D> xi = y.head<D>(), xj = y.tail<D>();
    const Mat<D> b = kind == Kind::kSpring ? spring_energy_hessian<D>(xi, xj, k, L, project)
                                           : cable_energy_hessian<D>(xi, xj, k, L);
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

template <int D> int check_element(Kind kind, double ratio, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    const double k = 250.0, L = 0.7;
    int checks = 0;
    for (int trial = 0; trial < 5; ++trial) {
        const Eigen::VectorXd y = element_state<D>(rng, L, ratio);
        const Eigen::VectorXd g = element_gradient<D>(kind, y, k, L);
        const Eigen::VectorXd g_fd = test::fd_gradient(
            [&](const Eigen::VectorXd& v) { return element_energy<D>(kind, v, k, L); }, y);
        test::check_close(g, g_fd, 1e-6);
        const Eigen::MatrixXd h = element_hessian<D>(kind, y, k, L, false);
        const Eigen::MatrixXd h_fd = test::fd_jacobian(
            [&](const Eigen::VectorXd& v) { return element_gradient<D>(kind, v, k, L); }, y);
        test::check_close(h, h_fd, 1e-6);
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
