// Scene JSON -> Model, validating every value (see model_json.hpp, docs/scene-format.md).
#include "sim/model_json.hpp"

#include "sim/generators.hpp"
#include "common/limits.hpp"

#include <Eigen/Geometry>

#include <cmath>

namespace podsim::sim {

namespace {

// more planes than any scene needs: each one is a loop over every free node
constexpr std::int64_t kMaxContactObstacles = 1000;

// names end up in CSV files: no separators, quotes or control characters
std::string node_name(const common::JsonNode& n)
{
    const std::string name = n.string();
    if (name.empty() || name.size() > 128) n.fail_value("must be 1 to 128 characters");
    for (const char c : name)
        if (c == ',' || c == '"' || static_cast<unsigned char>(c) < 0x20)
            n.fail_value("must not contain commas, quotes or control characters");
    return name;
}

Role parse_role(const common::JsonNode& n)
{
    const std::string r = n.choice({"free", "handle", "fixed"});
    return r == "free" ? Role::kFree : r == "handle" ? Role::kHandle : Role::kFixed;
}

SpringKind parse_kind(const common::JsonNode& n)
{
    return n.choice({"bilateral", "unilateral"}) == "bilateral" ? SpringKind::kBilateral
                                                                 : SpringKind::kUnilateral;
}

void check_count(const common::JsonNode& n, std::int64_t count, std::int64_t limit, const char* what)
{
    if (count > limit)
        n.fail(std::string("too many ") + what + " (" + std::to_string(count) + " > limit " +
               std::to_string(limit) + ")");
}

int existing_node(const ModelBuilder& b, const common::JsonNode& n)
{
    const std::string name = n.string();
    const int i = b.find_node(name);
    if (i < 0) n.fail_value("no node has this name");
    return i;
}

void parse_nodes(const common::JsonNode& nodes, ModelBuilder& b)
{
    check_count(nodes, std::int64_t(nodes.size()), common::kMaxNodes, "nodes");
    const int d = b.dim();
    for (std::size_t k = 0; k < nodes.size(); ++k) {
        const common::JsonNode n = nodes[k];
        n.allow_keys({"name", "role", "position", "mass", "velocity"});
        const std::string name = node_name(n["name"]);
        if (b.find_node(name) >= 0) n["name"].fail_value("duplicate node name");
        const Role role = n.has("role") ? parse_role(n["role"]) : Role::kFree;
        const Eigen::VectorXd position = n["position"].vector(d);
        double mass = 0;
        Eigen::VectorXd velocity = Eigen::VectorXd::Zero(d);
        if (role == Role::kFree) {
            mass = n["mass"].positive();
            if (n.has("velocity")) velocity = n["velocity"].vector(d);
        } else {
            if (n.has("mass")) n["mass"].fail("only free nodes take a mass");
            if (n.has("velocity"))
                n["velocity"].fail("only free nodes take a velocity (handles move with the actions)");
        }
        b.add_node(name, role, position, mass, velocity);
    }
}

void parse_springs(const common::JsonNode& springs, ModelBuilder& b)
{
    check_count(springs, std::int64_t(springs.size()), common::kMaxSprings, "springs");
    for (std::size_t k = 0; k < springs.size(); ++k) {
        const common::JsonNode s = springs[k];
        s.allow_keys({"nodes", "stiffness", "rest_length", "kind"});
        const common::JsonNode ends = s["nodes"];
        if (!ends.is_array() || ends.size() != 2) ends.fail_value("must be an array of two node names");
        const int i = existing_node(b, ends[0]);
        const int j = existing_node(b, ends[1]);
        if (i == j) ends.fail_value("a spring needs two different nodes");
        const double distance = (b.node(i).position - b.node(j).position).norm();
        if (!(distance > 0))
            ends.fail_value("the two nodes coincide, so the spring direction is undefined");
        const double stiffness = s["stiffness"].positive();
        const double rest = s.has("rest_length") ? s["rest_length"].non_negative() : -1.0;
        const SpringKind kind = s.has("kind") ? parse_kind(s["kind"]) : SpringKind::kBilateral;
        b.add_spring(i, j, stiffness, rest, kind);
    }
}

void check_generated_names(const common::JsonNode& at, const ModelBuilder& b, const std::string& name)
{
    if (b.find_node(name) >= 0) at.fail("generated node name \"" + name + "\" is already taken");
}

void parse_ropes(const common::JsonNode& ropes, ModelBuilder& b)
{
    const int d = b.dim();
    for (std::size_t k = 0; k < ropes.size(); ++k) {
        const common::JsonNode r = ropes[k];
        r.allow_keys({"name", "from", "to", "segments", "mass", "stiffness", "bending_stiffness",
                      "kind", "end_role"});
        RopeSpec spec;
        spec.name = node_name(r["name"]);
        spec.from = existing_node(b, r["from"]);
        spec.to = r["to"].vector(d);
        spec.segments = int(r["segments"].integer_in(1, common::kMaxRopeSegments));
        check_count(r["segments"], std::int64_t(b.n_nodes()) + spec.segments, common::kMaxNodes, "nodes");
        spec.node_mass = r["mass"].positive();
        spec.stiffness = r["stiffness"].positive();
        if (r.has("bending_stiffness")) spec.bending_stiffness = r["bending_stiffness"].non_negative();
        if (r.has("kind")) spec.kind = parse_kind(r["kind"]);
        if (r.has("end_role")) spec.end_role = parse_role(r["end_role"]);
        if (!((spec.to - b.node(spec.from).position.head(d)).norm() > 0))
            r["to"].fail_value("must differ from the position of the \"from\" node");
        for (int s = 1; s <= spec.segments; ++s) check_generated_names(r, b, spec.name + "_" + std::to_string(s));
        add_rope(b, spec);
    }
}

void parse_cloths(const common::JsonNode& cloths, ModelBuilder& b)
{
    const int d = b.dim();
    for (std::size_t k = 0; k < cloths.size(); ++k) {
        const common::JsonNode c = cloths[k];
        c.allow_keys({"name", "origin", "u", "v", "resolution", "mass", "stiffness", "attach"});
        ClothSpec spec;
        spec.name = node_name(c["name"]);
        spec.origin = c["origin"].vector(d);
        spec.u = c["u"].vector(d);
        spec.v = c["v"].vector(d);
        const common::JsonNode res = c["resolution"];
        if (!res.is_array() || res.size() != 2) res.fail_value("must be [nodes along u, nodes along v]");
        spec.nu = int(res[0].integer_in(2, common::kMaxClothSide));
        spec.nv = int(res[1].integer_in(2, common::kMaxClothSide));
        check_count(res, std::int64_t(b.n_nodes()) + std::int64_t(spec.nu) * spec.nv, common::kMaxNodes, "nodes");
        const double cell_u = spec.u.norm() / (spec.nu - 1), cell_v = spec.v.norm() / (spec.nv - 1);
        if (!(cell_u > 0)) c["u"].fail_value("must be a non-zero edge vector");
        if (!(cell_v > 0)) c["v"].fail_value("must be a non-zero edge vector");
        if (d == 3 && !(spec.u.head<3>().cross(spec.v.head<3>()).norm() > 1e-12 * spec.u.norm() * spec.v.norm()))
            c["v"].fail_value("must not be parallel to u");
        if (d == 2 && !(std::abs(spec.u[0] * spec.v[1] - spec.u[1] * spec.v[0]) > 1e-12 * spec.u.norm() * spec.v.norm()))
            c["v"].fail_value("must not be parallel to u");
        spec.total_mass = c["mass"].positive();
        const common::JsonNode st = c["stiffness"];
        st.allow_keys({"structural", "shear", "bending", "flexural", "compression"});
        spec.structural = st["structural"].positive();
        if (st.has("shear")) spec.shear = st["shear"].non_negative();
        if (st.has("bending")) spec.bending = st["bending"].non_negative();
        if (st.has("flexural")) spec.flexural = st["flexural"].non_negative();
        if (st.has("compression")) {
            const double r = st["compression"].number();
            if (!(r > 0 && r <= 1)) st["compression"].fail_value("must be in (0, 1] (compressive / tensile stiffness)");
            spec.compression = r;
        }
        if (c.has("attach")) {
            const common::JsonNode at = c["attach"];
            for (std::size_t a = 0; a < at.size(); ++a) {
                const common::JsonNode item = at[a];
                item.allow_keys({"node", "role"});
                const common::JsonNode ij = item["node"];
                if (!ij.is_array() || ij.size() != 2) ij.fail_value("must be a grid index [i, j]");
                ClothSpec::Attachment att;
                att.i = int(ij[0].integer_in(0, spec.nu - 1));
                att.j = int(ij[1].integer_in(0, spec.nv - 1));
                att.role = parse_role(item["role"]);
                if (att.role == Role::kFree) item["role"].fail_value("must be \"handle\" or \"fixed\"");
                spec.attachments.push_back(att);
            }
        }
        for (int i = 0; i < spec.nu; ++i)
            for (int j = 0; j < spec.nv; ++j) check_generated_names(c, b, cloth_node_name(spec.name, i, j));
        add_cloth(b, spec);
    }
}

// contact[i]: {"kind": "plane", "point", "normal", "stiffness", "friction"} plus the smoothing
// keys and the damping ratio
void parse_contact(const common::JsonNode& list, ModelBuilder& b)
{
    if (!list.is_array()) list.fail_value("must be an array of obstacles");
    check_count(list, std::int64_t(list.size()), kMaxContactObstacles, "contact obstacles");
    const int d = b.dim();
    for (std::size_t k = 0; k < list.size(); ++k) {
        const common::JsonNode c = list[k];
        c.allow_keys({"kind", "point", "normal", "stiffness", "friction", "smoothing", "friction_smoothing", "damping_ratio"});
        c["kind"].choice({"plane"});
        ContactPlane plane;
        plane.point.head(d) = c["point"].vector(d);
        const Eigen::VectorXd normal = c["normal"].vector(d);
        const double length = normal.norm();
        if (!(length > 0) || !std::isfinite(length)) c["normal"].fail_value("must be a non-zero vector of finite length");
        plane.normal.head(d) = normal / length;
        plane.stiffness = c["stiffness"].positive();
        plane.friction = c["friction"].non_negative();
        if (c.has("smoothing")) plane.smoothing = c["smoothing"].positive();
        if (c.has("friction_smoothing")) plane.friction_smoothing = c["friction_smoothing"].positive();
        if (c.has("damping_ratio")) plane.damping_ratio = c["damping_ratio"].number_in(0, 100);
        b.contacts.push_back(plane);
    }
}

void parse_solver(const common::JsonNode& s, SolverSettings& settings)
{
    s.allow_keys({"tolerance", "max_iterations", "linear_solver", "reuse_factorization"});
    if (s.has("reuse_factorization")) settings.reuse_factorization = s["reuse_factorization"].boolean();
    if (s.has("tolerance")) settings.tolerance = s["tolerance"].number_in(1e-15, 1e-2);
    if (s.has("max_iterations")) settings.max_iterations = int(s["max_iterations"].integer_in(1, 10000));
    if (s.has("linear_solver")) {
        const std::string c = s["linear_solver"].choice({"auto", "dense", "sparse"});
        settings.linear_solver = c == "auto" ? LinearSolverChoice::kAuto
                                 : c == "dense" ? LinearSolverChoice::kDense
                                                : LinearSolverChoice::kSparse;
    }
}

} // namespace

Model parse_model(const common::JsonNode& root)
{
    root.require_object();
    const int d = int(root["dim"].integer_in(2, 3));
    const double dt = root["dt"].number_in(common::kMinDt, common::kMaxDt);
    Eigen::VectorXd gravity = Eigen::VectorXd::Zero(d);
    gravity[1] = -9.81;
    if (root.has("gravity")) gravity = root["gravity"].vector(d);

    ModelBuilder b(d, dt, gravity);
    parse_nodes(root["nodes"], b);
    if (root.has("ropes")) parse_ropes(root["ropes"], b);
    if (root.has("cloths")) parse_cloths(root["cloths"], b);
    if (root.has("springs")) parse_springs(root["springs"], b);
    if (root.has("contact")) parse_contact(root["contact"], b);
    check_count(root, b.n_springs(), common::kMaxSprings, "springs");
    if (root.has("solver")) parse_solver(root["solver"], b.solver);

    Model m = b.build();
    if (m.n_free == 0) root["nodes"].fail("the scene needs at least one free node");
    if (m.solver.linear_solver == LinearSolverChoice::kDense && m.n_x() > 20000)
        root["solver"]["linear_solver"].fail_value("dense solver limited to 20000 free DOFs");
    return m;
}

} // namespace podsim::sim
