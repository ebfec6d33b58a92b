// Rope and cloth generators (see generators.hpp).
#include "sim/generators.hpp"

#include <cassert>

namespace podsim::sim {

void add_rope(ModelBuilder& builder, const RopeSpec& spec)
{
    assert(spec.segments >= 1);
    const Eigen::VectorXd start = builder.node(spec.from).position.head(builder.dim());
    std::vector<int> chain{spec.from};
    for (int k = 1; k <= spec.segments; ++k) {
        const Eigen::VectorXd pos = start + (spec.to - start) * (double(k) / spec.segments);
        const Role role = k == spec.segments ? spec.end_role : Role::kFree;
        chain.push_back(builder.add_node(spec.name + "_" + std::to_string(k), role, pos,
                                         role == Role::kFree ? spec.node_mass : 0.0));
        builder.add_spring(chain[std::size_t(k) - 1], chain[std::size_t(k)], spec.stiffness, -1, spec.kind);
    }
    if (spec.bending_stiffness > 0)
        for (std::size_t k = 2; k < chain.size(); ++k)
            builder.add_spring(chain[k - 2], chain[k], spec.bending_stiffness, -1, spec.kind);
}

std::string cloth_node_name(const std::string& cloth, int i, int j)
{
    return cloth + "_" + std::to_string(i) + "_" + std::to_string(j);
}

void add_cloth(ModelBuilder& builder, const ClothSpec& spec)
{
    assert(spec.nu >= 2 && spec.nv >= 2);
    std::vector<Role> roles(std::size_t(spec.nu * spec.nv), Role::kFree);
    for (const auto& a : spec.attachments) roles[std::size_t(a.i * spec.nv + a.j)] = a.role;
    int n_free = 0;
    for (Role r : roles) n_free += r == Role::kFree;
    const double node_mass = n_free > 0 ? spec.total_mass / n_free : 0.0;

    std::vector<int> id(roles.size());
    for (int i = 0; i < spec.nu; ++i)
        for (int j = 0; j < spec.nv; ++j) {
            const Eigen::VectorXd pos = spec.origin + spec.u * (double(i) / (spec.nu - 1)) +
                                        spec.v * (double(j) / (spec.nv - 1));
            const Role role = roles[std::size_t(i * spec.nv + j)];
            id[std::size_t(i * spec.nv + j)] = builder.add_node(
                cloth_node_name(spec.name, i, j), role, pos, role == Role::kFree ? node_mass : 0.0);
        }
    auto connect = [&](int i0, int j0, int i1, int j1, double k, double compression) {
        if (k <= 0 || i1 < 0 || j1 < 0 || i1 >= spec.nu || j1 >= spec.nv) return;
        builder.add_spring(id[std::size_t(i0 * spec.nv + j0)], id[std::size_t(i1 * spec.nv + j1)], k, -1,
                           SpringKind::kBilateral, compression);
    };
    // bending springs resist folding by resisting compression, so they keep their full stiffness
    for (int i = 0; i < spec.nu; ++i)
        for (int j = 0; j < spec.nv; ++j) {
            connect(i, j, i + 1, j, spec.structural, spec.compression);
            connect(i, j, i, j + 1, spec.structural, spec.compression);
            connect(i, j, i + 1, j + 1, spec.shear, spec.compression);
            connect(i, j, i + 1, j - 1, spec.shear, spec.compression);
            connect(i, j, i + 2, j, spec.bending, 1.0);
            connect(i, j, i, j + 2, spec.bending, 1.0);
        }
    if (spec.flexural > 0) {
        const double lu = spec.u.norm() / (spec.nu - 1);
        const double lv = spec.v.norm() / (spec.nv - 1);
        const auto node = [&](int i, int j) { return id[std::size_t(i * spec.nv + j)]; };
        for (int i = 0; i < spec.nu; ++i)
            for (int j = 0; j < spec.nv; ++j) {
                if (i + 2 < spec.nu) builder.add_bend(node(i, j), node(i + 1, j), node(i + 2, j), spec.flexural * lv / (lu * lu * lu));
                if (j + 2 < spec.nv) builder.add_bend(node(i, j), node(i, j + 1), node(i, j + 2), spec.flexural * lu / (lv * lv * lv));
            }
    }
}

} // namespace podsim::sim
