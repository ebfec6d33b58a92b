// Tests of policy/mlp.hpp: shapes, seeded initialisation, exact VJPs against finite differences.
#include "policy/mlp.hpp"

#include "policy/limits.hpp"
#include "tests/fd.hpp"

#include <doctest/doctest.h>

using namespace podsim::policy;
using podsim::test::check_close;

namespace {

MlpConfig small_config(Activation act, double limit)
{
    MlpConfig c;
    c.n_in = 4;
    c.n_out = 3;
    c.hidden = {6, 5};
    c.activations = {act};
    c.input_scale = Eigen::Vector4d(0.5, 2.0, 1.0, 3.0);
    c.output_limit = limit;
    c.last_layer_scale = 1.0; // a full-size last layer, so every gradient entry is sizeable
    return c;
}

} // namespace

TEST_CASE("policy: mlp initialisation is seeded, Glorot-sized and starts near zero")
{
    MlpConfig c;
    c.n_in = 10;
    c.n_out = 2;
    c.output_limit = 2.0;
    const Mlp a(c, 7), b(c, 7), other(c, 8);
    CHECK(a.n_params() == 64 * 10 + 64 + 64 * 64 + 64 + 2 * 64 + 2);
    CHECK(a.parameters() == b.parameters());
    CHECK(a.parameters() != other.parameters());
    // first layer inside the Glorot bound and not degenerate
    const double bound = std::sqrt(6.0 / (10 + 64));
    const Eigen::VectorXd w0 = a.parameters().head(640);
    CHECK(w0.cwiseAbs().maxCoeff() <= bound);
    CHECK(w0.cwiseAbs().maxCoeff() > 0.5 * bound);
    // small last layer: initial actions are close to zero
    std::mt19937_64 rng(3);
    Eigen::MatrixXd x(10, 32);
    for (int j = 0; j < 32; ++j) x.col(j) = podsim::test::random_vector(rng, 10);
    Eigen::MatrixXd y;
    MlpWorkspace ws;
    a.forward(x, y, ws);
    CHECK(y.rows() == 2);
    CHECK(y.cols() == 32);
    CHECK(y.cwiseAbs().maxCoeff() < 0.1);
    CHECK(y.cwiseAbs().maxCoeff() > 0);
}

TEST_CASE("policy: mlp batched forward equals per-sample forward and respects the action limit")
{
    MlpConfig c = small_config(Activation::TANH, 1.5);
    c.last_layer_scale = 20; // saturate some outputs
    const Mlp net(c, 11);
    std::mt19937_64 rng(5);
    Eigen::MatrixXd x(4, 9);
    for (int j = 0; j < 9; ++j) x.col(j) = podsim::test::random_vector(rng, 4, -3, 3);
    Eigen::MatrixXd y, yj;
    MlpWorkspace ws;
    net.forward(x, y, ws);
    for (int j = 0; j < 9; ++j) {
        net.forward(x.col(j), yj, ws);
        check_close(yj, y.col(j), 1e-14);
    }
    CHECK(y.cwiseAbs().maxCoeff() <= 1.5);
    CHECK(y.cwiseAbs().maxCoeff() > 1.0);
}

TEST_CASE("policy: mlp vector-Jacobian products match central differences")
{
    int checks = 0;
    for (Activation act : {Activation::TANH, Activation::RELU, Activation::ELU, Activation::LINEAR}) {
        for (double limit : {0.0, 2.0}) {
            for (std::uint64_t seed : {1u, 2u, 3u}) {
                CAPTURE(to_string(act));
                CAPTURE(limit);
                CAPTURE(seed);
                const Mlp net(small_config(act, limit), seed);
                std::mt19937_64 rng(100 + seed);
                const int batch = 5;
                Eigen::MatrixXd x(4, batch), cot(3, batch);
                for (int j = 0; j < batch; ++j) {
                    x.col(j) = podsim::test::random_vector(rng, 4);
                    cot.col(j) = podsim::test::random_vector(rng, 3);
                }
                const Eigen::VectorXd params0 = net.parameters();
                MlpWorkspace ws;
                Eigen::MatrixXd y, dx;
                Eigen::VectorXd dp;
                net.forward(x, y, ws);
                net.backward(ws, cot, dp, &dx);
                CHECK(net.parameters() == params0); // no mutation by the derivative call
                REQUIRE(dp.norm() > 1e-3);
                REQUIRE(dx.norm() > 1e-3);

                // loss L = sum(cot .* net(x)) as a function of the parameters, then of the inputs
                auto loss_p = [&](const Eigen::VectorXd& p) {
                    Mlp copy = net;
                    copy.set_parameters(p);
                    MlpWorkspace w2;
                    Eigen::MatrixXd out;
                    copy.forward(x, out, w2);
                    return (out.array() * cot.array()).sum();
                };
                check_close(dp, podsim::test::fd_gradient(loss_p, params0, 1e-6), 1e-6);
                ++checks;
                auto loss_x = [&](const Eigen::VectorXd& xv) {
                    MlpWorkspace w2;
                    Eigen::MatrixXd out;
                    net.forward(Eigen::Map<const Eigen::MatrixXd>(xv.data(), 4, batch), out, w2);
                    return (out.array() * cot.array()).sum();
                };
                const Eigen::VectorXd xv = Eigen::Map<const Eigen::VectorXd>(x.data(), x.size());
                const Eigen::VectorXd dxv = Eigen::Map<const Eigen::VectorXd>(dx.data(), dx.size());
                check_close(dxv, podsim::test::fd_gradient(loss_x, xv, 1e-6), 1e-6);
                ++checks;
            }
        }
    }
    CHECK(checks == 4 * 2 * 3 * 2);
}

TEST_CASE("policy: mlp backward accumulates the bits of writing and adding, with its own or a shared scratch")
{
    int checks = 0;
    for (Activation act : {Activation::TANH, Activation::ELU}) {
        for (double limit : {0.0, 2.0}) {
            CAPTURE(to_string(act));
            CAPTURE(limit);
            const Mlp net(small_config(act, limit), 4);
            std::mt19937_64 rng(40);
            const int batch = 9;
            Eigen::MatrixXd x(4, batch), cot(3, batch);
            for (int j = 0; j < batch; ++j) {
                x.col(j) = podsim::test::random_vector(rng, 4);
                cot.col(j) = podsim::test::random_vector(rng, 3);
            }
            const Eigen::VectorXd start = podsim::test::random_vector(rng, net.n_params());
            MlpWorkspace ws;
            Eigen::MatrixXd y, dx;
            Eigen::VectorXd written;
            net.forward(x, y, ws);
            net.backward(ws, cot, written, &dx);
            REQUIRE(written.norm() > 1e-3);

            // accumulated into a start vector: start + written, entry by entry
            Eigen::VectorXd added = start;
            Eigen::MatrixXd dx_added;
            net.backward(ws, cot, added, &dx_added, true);
            const Eigen::VectorXd expected = start + written;
            CHECK(added == expected);
            CHECK(dx_added == dx);
            ++checks;

            // a workspace whose scratch is shared with another gives the same bits
            std::vector<Eigen::MatrixXd> scratch(7, Eigen::MatrixXd::Constant(2, 2, 1e300));
            MlpWorkspace shared;
            shared.shared_deltas = &scratch;
            Eigen::MatrixXd y_shared, dx_shared;
            Eigen::VectorXd dp_shared = Eigen::VectorXd::Constant(net.n_params(), 1e300);
            net.forward(x, y_shared, shared);
            net.backward(shared, cot, dp_shared, &dx_shared);
            CHECK(y_shared == y);
            CHECK(dp_shared == written);
            CHECK(dx_shared == dx);
            CHECK(shared.deltas.empty());
            CHECK(scratch.size() == std::size_t(net.n_layers() + 1));
            ++checks;
        }
    }
    CHECK(checks == 2 * 2 * 2);
}

TEST_CASE("policy: mlp rejects bad configurations and parameter vectors")
{
    MlpConfig c = small_config(Activation::TANH, 1);
    c.hidden = {0};
    CHECK_THROWS_AS(Mlp(c, 1), std::invalid_argument);
    c = small_config(Activation::TANH, 1);
    c.input_scale = Eigen::VectorXd::Ones(3);
    CHECK_THROWS_AS(Mlp(c, 1), std::invalid_argument);
    // within every per-layer limit but far too many parameters: refused before allocating them
    c = small_config(Activation::TANH, 1);
    c.n_in = kMaxPolicyInputs;
    c.hidden = {kMaxLayerWidth, kMaxLayerWidth};
    c.input_scale.resize(0);
    CHECK_THROWS_WITH_AS(Mlp(c, 1), doctest::Contains("parameters = 426397699: must be <= 10000000"),
                         std::invalid_argument);
    Mlp net(small_config(Activation::TANH, 1), 1);
    CHECK_THROWS_AS(net.set_parameters(Eigen::VectorXd::Zero(3)), std::invalid_argument);
    CHECK_THROWS_AS(activation_from_string("sigmoid"), std::invalid_argument);
}

TEST_CASE("policy: mlp tanh matches std::tanh to rounding and saturates cleanly")
{
    MlpConfig c;
    c.n_in = 1;
    c.n_out = 1;
    c.hidden = {};
    c.output_limit = 1.0;
    Mlp net(c, 1);
    net.set_parameters(Eigen::Vector2d(1.0, 0.0)); // output = tanh(x)
    const std::vector<double> xs = {-1e300, -400, -20, -3, -0.7, -1e-5, -1e-300, 0, 1e-300, 1e-9, 0.2, 1, 5, 19, 400, 1e300};
    Eigen::MatrixXd x(1, Eigen::Index(xs.size())), y;
    for (std::size_t i = 0; i < xs.size(); ++i) x(0, Eigen::Index(i)) = xs[i];
    MlpWorkspace ws;
    net.forward(x, y, ws);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        CAPTURE(xs[i]);
        CHECK(std::abs(y(0, Eigen::Index(i)) - std::tanh(xs[i])) <= 4e-16);
        CHECK(std::abs(y(0, Eigen::Index(i))) <= 1.0);
    }
}
