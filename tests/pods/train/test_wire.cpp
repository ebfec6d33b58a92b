// The byte encoding of exchanged values: every double arrives bit for bit (NaN payloads, -0,
// subnormals), strings with NUL bytes survive, and short or overlong messages are refused.
#include "pods/train/wire.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cstring>
#include <cmath>
#include <limits>

using namespace podsim;

TEST_CASE("wire: numbers, strings and matrices round-trip bit for bit")
{
    const double nan_payload = std::bit_cast<double>(std::uint64_t(0x7ff8000000000abcULL));
    const double values[] = {0.0, -0.0, 1.0 / 3, std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::infinity(), nan_payload, -1e308};
    Eigen::MatrixXd m(3, 2);
    m << 1, 2, 3, 4, 5, nan_payload;
    Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(5, -1, 1);
    const std::string text("a\0b\n", 4);

    pods::WireWriter w;
    for (double x : values) w.put(x);
    w.put(-7);
    w.put(std::int64_t(1) << 60);
    w.put(std::uint8_t(1));
    w.put(text);
    w.put(std::string());
    w.put_matrix(m);
    w.put_matrix(v);
    w.put_matrix(Eigen::MatrixXd(0, 4));

    pods::WireReader in(w.bytes());
    for (double x : values) CHECK(std::bit_cast<std::uint64_t>(in.get<double>()) == std::bit_cast<std::uint64_t>(x));
    CHECK(in.get<int>() == -7);
    CHECK(in.get<std::int64_t>() == std::int64_t(1) << 60);
    CHECK(in.get<std::uint8_t>() == 1);
    CHECK(in.get_string() == text);
    CHECK(in.get_string().empty());
    Eigen::MatrixXd m2;
    in.get_matrix(m2);
    REQUIRE(m2.rows() == 3);
    REQUIRE(m2.cols() == 2);
    CHECK(std::memcmp(m.data(), m2.data(), sizeof(double) * 6) == 0);
    Eigen::VectorXd v2;
    in.get_matrix(v2);
    CHECK(v2 == v);
    Eigen::MatrixXd empty;
    in.get_matrix(empty);
    CHECK(empty.rows() == 0);
    CHECK(empty.cols() == 4);
    CHECK_NOTHROW(in.expect_end());
}

TEST_CASE("wire: truncated, overlong and mis-shaped messages throw")
{
    pods::WireWriter w;
    w.put(1.5);
    w.put(std::string("abc"));
    const std::string& b = w.bytes();

    pods::WireReader cut(std::string_view(b).substr(0, b.size() - 1));
    CHECK(cut.get<double>() == 1.5);
    CHECK_THROWS_WITH_AS(cut.get_string(), doctest::Contains("truncated"), std::runtime_error);

    pods::WireReader whole(b);
    CHECK(whole.get<double>() == 1.5);
    CHECK_THROWS_WITH_AS(whole.expect_end(), doctest::Contains("trailing"), std::runtime_error);

    // a matrix read as a vector
    pods::WireWriter mw;
    mw.put_matrix(Eigen::MatrixXd(Eigen::MatrixXd::Ones(2, 2)));
    pods::WireReader mr(mw.bytes());
    Eigen::VectorXd v;
    CHECK_THROWS_WITH_AS(mr.get_matrix(v), doctest::Contains("shape"), std::runtime_error);
}
