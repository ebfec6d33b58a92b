// Tests of pods/hndp/digit_strokes.hpp: the ten strokes have height 1, are centred, start and end
// at rest, and the shipped scenes/demos/digits/ files are exactly what the generator writes.
#include "pods/hndp/digit_strokes.hpp"

#include "policy/dmp_io.hpp"
#include "tests/paths.hpp"
#include "tests/scratch.hpp"

#include <doctest/doctest.h>

using namespace podsim::pods::hndp;
using podsim::test::source_path;

TEST_CASE("hndp: the ten digit strokes are normalised and start and end at rest")
{
    for (int d = 0; d <= 9; ++d) {
        const podsim::policy::Demonstration demo = draw_digit(d);
        REQUIRE(demo.y.rows() == 2);
        REQUIRE(demo.time.size() == 201);
        CHECK(demo.time[200] == doctest::Approx(1.0));
        const Eigen::Vector2d lo = demo.y.rowwise().minCoeff(), hi = demo.y.rowwise().maxCoeff();
        // normalised on the dense curve: the 201 samples miss its extremes by less than 1%
        CHECK(hi.y() - lo.y() == doctest::Approx(1.0).epsilon(1e-2));
        CHECK(hi.y() - lo.y() <= 1.0 + 1e-12);
        CHECK(std::abs(hi.y() + lo.y()) < 1e-2);
        CHECK(std::abs(hi.x() + lo.x()) < 1e-2);
        CHECK(hi.x() - lo.x() > 0.1); // even the "1" has a lead-in
        // minimum-jerk timing: the first and last steps are tiny compared with the middle ones
        const double first = (demo.y.col(1) - demo.y.col(0)).norm(), last = (demo.y.col(200) - demo.y.col(199)).norm();
        const double middle = (demo.y.col(101) - demo.y.col(100)).norm();
        CHECK(first < 1e-3 * middle);
        CHECK(last < 1e-3 * middle);
    }
    CHECK_THROWS_AS(draw_digit(10), std::invalid_argument);
}

TEST_CASE("hndp: the shipped digit demonstrations are the generator's output")
{
    for (int d = 0; d <= 9; ++d) {
        const std::string file = source_path("scenes/demos/digits/digit_") + std::to_string(d) + ".csv";
        const std::string text = podsim::test::read_text(file);
        CHECK(text == demo_csv_text(draw_digit(d)));
        const podsim::policy::Demonstration back = podsim::policy::parse_demo_csv(text, file);
        CHECK(back.y == draw_digit(d).y); // round-trip numbers
    }
}
