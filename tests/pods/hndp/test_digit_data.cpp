// Tests of pods/hndp/digit_data.hpp: the shipped folder reads, bad demonstration files are
// rejected with one-line messages naming the file and the rule, samples and observations.
#include "pods/hndp/digit_data.hpp"

#include "common/input_error.hpp"
#include "pods/hndp/digit_strokes.hpp"
#include "tests/paths.hpp"
#include "tests/scratch.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace podsim::pods::hndp;
using podsim::test::source_path;

namespace {

// the shipped digit demonstrations
std::string digits_dir() { return source_path("scenes/demos/digits"); }

// a copy of the shipped folder with digit_3.csv replaced by `text` (empty: removed)
std::filesystem::path broken_folder(const std::string& text)
{
    const auto dir = podsim::test::scratch_dir("digits");
    for (int d = 0; d <= 9; ++d) {
        const std::string name = "digit_" + std::to_string(d) + ".csv";
        if (d != 3) std::filesystem::copy_file(digits_dir() + "/" + name, dir / name);
        else if (!text.empty()) podsim::test::write_text(dir / name, text);
    }
    return dir;
}

std::string error_of(const std::filesystem::path& dir)
{
    try {
        read_digit_strokes(dir.string(), 10);
    } catch (const podsim::common::InputError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("hndp: the shipped digit folder reads and resamples onto the plan grid")
{
    const auto strokes = read_digit_strokes(digits_dir(), 50);
    REQUIRE(strokes.size() == 10);
    for (int d = 0; d <= 9; ++d) {
        CHECK(strokes[std::size_t(d)].digit == d);
        CHECK(strokes[std::size_t(d)].plan.cols() == 51);
        CHECK(strokes[std::size_t(d)].dense.cols() == 201);
        CHECK((strokes[std::size_t(d)].plan.col(0) - strokes[std::size_t(d)].dense.col(0)).norm() < 1e-12);
        CHECK((strokes[std::size_t(d)].plan.col(50) - strokes[std::size_t(d)].dense.col(200)).norm() < 1e-12);
    }
}

TEST_CASE("hndp: bad digit files are rejected naming the file and the rule")
{
    struct Case {
        std::string text, needle;
    };
    const std::vector<Case> cases = {
        {"", "digit_3.csv: no such file"},
        {"time,x\n0,1\n1,2\n2,3\n", "digit_3.csv: header: got \"time,x\", must be \"time,x,y\""},
        {"time,x,z\n0,1,0\n1,2,1\n2,3,0\n", "must be \"time,x,y\""},
        {"time,x,y\n0,1,0\n1,1,0\n2,1,0\n", "digit_3.csv: the stroke spans"},
        {"time,x,y\n0,1,0\n1,abc,0\n2,1,0\n", "digit_3.csv: line 3"},
    };
    for (const Case& c : cases) {
        const auto dir = broken_folder(c.text);
        const std::string e = error_of(dir);
        INFO(e);
        CHECK(e.find(c.needle) != std::string::npos);
        CHECK(e.find('\n') == std::string::npos);
        std::filesystem::remove_all(dir);
    }
}

TEST_CASE("hndp: a sample's target, image and observations")
{
    const auto strokes = read_digit_strokes(digits_dir(), 20);
    DigitTransform t;
    t.shift_x = 0.1;
    t.scale = 1.2;
    t.rotation = 0.1;
    t.width = 0.12;
    const DigitSample s = make_sample(strokes[7], t, 28);
    CHECK(s.digit == 7);
    REQUIRE(s.target.size() == 2 * 21);
    const Eigen::Matrix2Xd plan = transform_stroke(strokes[7].plan, t);
    for (int j = 0; j <= 20; ++j) {
        CHECK(s.target[2 * j] == plan(0, j));
        CHECK(s.target[2 * j + 1] == plan(1, j));
    }
    CHECK(s.image == render_stroke(transform_stroke(strokes[7].dense, t), 0.12, 28));
    const Eigen::VectorXd local = local_observation(s), global = global_observation(s);
    REQUIRE(local.size() == kLocalObservations);
    CHECK(local[0] == s.target[0]);
    CHECK(local[4] == 1.2);
    CHECK(local[6] == 0.12);
    REQUIRE(global.size() == 2 + 28 * 28);
    CHECK(global[1] == s.target[1]);
    CHECK(global.tail(28 * 28) == Eigen::VectorXd::Ones(28 * 28) - s.image);
}
