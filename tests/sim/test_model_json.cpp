// Scene JSON -> Model for the contact block: keys, defaults, normalisation, and one located
// message per violated rule.
#include "common/input_error.hpp"
#include "common/json_node.hpp"
#include "sim/model_json.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace podsim;

namespace {

sim::Model parse(const std::string& contact, int dim = 2)
{
    const std::string point = dim == 2 ? "[0, 0]" : "[0, 0, 0]";
    const std::string text = R"({"dim": )" + std::to_string(dim) + R"(, "dt": 0.01,
        "nodes": [{"name": "a", "mass": 1, "position": )" + point + R"(}], "contact": )" + contact + "}";
    const nlohmann::json doc = common::parse_json_text(text, "s.json");
    return sim::parse_model(common::JsonNode(doc, "s.json"));
}

// the InputError message of a contact block
std::string error(const std::string& contact, int dim = 2)
{
    try {
        parse(contact, dim);
    } catch (const common::InputError& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("model_json: contact planes are read with defaults and unit normals")
{
    const sim::Model m = parse(R"([{"kind": "plane", "point": [0, 1], "normal": [0, 2], "stiffness": 1e4, "friction": 0.4},
        {"kind": "plane", "point": [0, 0], "normal": [3, 4], "stiffness": 5, "friction": 0, "smoothing": 0.01,
         "friction_smoothing": 0.02, "damping_ratio": 0}])");
    REQUIRE(m.contacts.size() == 2);
    CHECK(m.contacts[0].normal == Eigen::Vector3d(0, 1, 0));
    CHECK(m.contacts[0].point == Eigen::Vector3d(0, 1, 0));
    CHECK(m.contacts[0].stiffness == 1e4);
    CHECK(m.contacts[0].friction == 0.4);
    CHECK(m.contacts[0].smoothing == 1e-3);
    CHECK(m.contacts[0].friction_smoothing == 1e-3);
    CHECK(m.contacts[0].damping_ratio == 1);
    CHECK(m.contacts[1].normal.isApprox(Eigen::Vector3d(0.6, 0.8, 0)));
    CHECK(m.contacts[1].smoothing == 0.01);
    CHECK(m.contacts[1].friction_smoothing == 0.02);
    CHECK(m.contacts[1].damping_ratio == 0);
    CHECK(parse(R"([{"kind": "plane", "point": [0, 0, 0], "normal": [0, 0, -1], "stiffness": 1, "friction": 1}])", 3)
              .contacts[0].normal == Eigen::Vector3d(0, 0, -1));
    CHECK(parse("[]").contacts.empty());
}

TEST_CASE("model_json: bad contact keys are one-line errors naming the file, the JSON path and the rule")
{
    const std::string ok = R"("kind": "plane", "point": [0, 0], "stiffness": 100, "friction": 0.5)";
    struct Bad {
        std::string contact, where, rule;
    };
    const Bad cases[] = {
        {"[{" + ok + R"(, "normal": [0, 0]}])", "contact[0].normal", "must be a non-zero vector"},
        {"[{" + ok + R"(, "normal": [0, 1, 0]}])", "contact[0].normal", "2"},
        {"[{" + ok + R"(, "normal": [1e308, 1e308]}])", "contact[0].normal", "finite length"},
        {R"([{"kind": "plane", "point": [0, 0], "normal": [0, 1], "stiffness": 100, "friction": -0.1}])",
         "contact[0].friction", ">= 0"},
        {R"([{"kind": "plane", "point": [0, 0], "normal": [0, 1], "stiffness": 0, "friction": 0.1}])",
         "contact[0].stiffness", "> 0"},
        {R"([{"kind": "plane", "point": [0, 0], "normal": [0, 1], "stiffness": -5, "friction": 0.1}])",
         "contact[0].stiffness", "> 0"},
        {R"([{"kind": "sphere", "point": [0, 0], "normal": [0, 1], "stiffness": 5, "friction": 0.1}])",
         "contact[0].kind", "plane"},
        {"[{" + ok + R"(, "normal": [0, 1], "stifness": 3}])", "contact[0]", "stifness"},
        {"[{" + ok + R"(, "normal": [0, 1], "smoothing": 0}])", "contact[0].smoothing", "> 0"},
        {"[{" + ok + R"(, "normal": [0, 1], "friction_smoothing": -1}])", "contact[0].friction_smoothing", "> 0"},
        {"[{" + ok + R"(, "normal": [0, 1], "damping_ratio": -0.5}])", "contact[0].damping_ratio", "got -0.5, must be in [0, 100]"},
        {"[{" + ok + R"(, "normal": [0, 1], "damping_ratio": 1e300}])", "contact[0].damping_ratio", "must be in [0, 100]"},
        {"[{" + ok + R"(, "normal": [0, 1], "damping_ratio": "high"}])", "contact[0].damping_ratio", "must be a number"},
        {"[{" + ok + R"(, "normal": [0, 1], "damping": 1}])", "contact[0].damping", "unknown key"},
        {R"([{"kind": "plane", "point": [0, 0], "normal": [0, 1], "friction": 0.1}])", "contact[0]", "stiffness"},
        {R"({"kind": "plane"})", "contact", "array"},
        {"[{" + ok + R"(, "normal": [0, 1]}, {"kind": "plane"}])", "contact[1]", "missing"},
    };
    int checked = 0;
    for (const Bad& b : cases) {
        const std::string message = error(b.contact);
        INFO(b.contact << " -> " << message);
        CHECK(message.rfind("s.json: " + b.where, 0) == 0);
        CHECK(message.find(b.rule) != std::string::npos);
        CHECK(message.find('\n') == std::string::npos);
        ++checked;
    }
    CHECK(checked == 17);
}

namespace {

// a 3x3 cloth with the given "stiffness" object, hanging from two fixed corners
sim::Model parse_cloth(const std::string& stiffness)
{
    const std::string text = R"({"dim": 3, "dt": 0.01, "nodes": [], "cloths": [{"name": "c", "origin": [0, 0, 0],
        "u": [0.2, 0, 0], "v": [0, -0.2, 0], "resolution": [3, 3], "mass": 0.1, "stiffness": )" + stiffness + R"(,
        "attach": [{"node": [0, 0], "role": "fixed"}, {"node": [2, 0], "role": "fixed"}]}]})";
    const nlohmann::json doc = common::parse_json_text(text, "s.json");
    return sim::parse_model(common::JsonNode(doc, "s.json"));
}

std::string cloth_error(const std::string& stiffness)
{
    try {
        parse_cloth(stiffness);
    } catch (const common::InputError& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("model_json: a cloth's compression ratio applies to its structural and shear springs, not to bending")
{
    const sim::Model weak = parse_cloth(R"({"structural": 1000, "shear": 200, "bending": 5, "compression": 0.05})");
    // 3x3 grid: 12 structural, 8 shear, 6 bending springs
    REQUIRE(weak.springs.size() == 26);
    int structural = 0, shear = 0, bending = 0;
    for (const sim::Spring& s : weak.springs) {
        if (s.stiffness == 1000) {
            ++structural;
            CHECK(s.compression == 0.05);
        } else if (s.stiffness == 200) {
            ++shear;
            CHECK(s.compression == 0.05);
        } else {
            ++bending;
            CHECK(s.compression == 1.0);
        }
    }
    CHECK(structural == 12);
    CHECK(shear == 8);
    CHECK(bending == 6);
    // the default is the plain spring (no compression weakening)
    for (const sim::Spring& s : parse_cloth(R"({"structural": 1000, "shear": 200, "bending": 5})").springs)
        CHECK(s.compression == 1.0);
    for (const sim::Spring& s : parse_cloth(R"({"structural": 1000, "compression": 1})").springs)
        CHECK(s.compression == 1.0);
}

TEST_CASE("model_json: a bad cloth compression ratio is a one-line error naming the file, the JSON path and the rule")
{
    int checked = 0;
    for (const char* bad : {"0", "-0.1", "1.5", "1.0000001", "\"weak\"", "[0.5]"}) {
        const std::string message = cloth_error(std::string(R"({"structural": 1000, "compression": )") + bad + "}");
        INFO(bad << " -> " << message);
        CHECK(message.rfind("s.json: cloths[0].stiffness.compression", 0) == 0);
        CHECK(message.find('\n') == std::string::npos);
        if (std::string(bad).find_first_of("\"[") == std::string::npos) CHECK(message.find("(0, 1]") != std::string::npos);
        ++checked;
    }
    CHECK(checked == 6);
    // a typo is an unknown key, not a silent default
    CHECK(cloth_error(R"({"structural": 1000, "compresion": 0.1})").find("compresion") != std::string::npos);
}

TEST_CASE("model_json: a cloth's flexural rigidity becomes bending elements along u and v, a bad one is a one-line error")
{
    // 3x3 grid of 0.1 m cells: one u-triple per row and one v-triple per column, k = D / 0.1^2
    const sim::Model m = parse_cloth(R"({"structural": 1000, "flexural": 2e-3})");
    REQUIRE(m.bends.size() == 6);
    for (const sim::Bend& e : m.bends) CHECK(e.stiffness == doctest::Approx(0.2).epsilon(1e-12));
    CHECK(parse_cloth(R"({"structural": 1000})").bends.empty());
    CHECK(parse_cloth(R"({"structural": 1000, "flexural": 0})").bends.empty());
    for (const char* bad : {"-1e-3", "\"stiff\""}) {
        const std::string message = cloth_error(std::string(R"({"structural": 1000, "flexural": )") + bad + "}");
        INFO(bad << " -> " << message);
        CHECK(message.rfind("s.json: cloths[0].stiffness.flexural", 0) == 0);
        CHECK(message.find('\n') == std::string::npos);
    }
    CHECK(cloth_error(R"({"structural": 1000, "flexural": -1})").find(">= 0") != std::string::npos);
}
