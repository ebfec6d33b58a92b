#pragma once
// Generators that keep big scenes short: ropes (chains of springs) and cloth grids with
// structural, shear and bending springs.

#include "sim/model.hpp"

#include <string>
#include <vector>

namespace podsim::sim {

/// A chain of `segments` springs from an existing node to `to`; creates nodes
/// `<name>_1 .. <name>_<segments>` (the last one at `to`).
struct RopeSpec {
    std::string name;
    int from = 0;                 ///< file index of the start node (exists already)
    Eigen::VectorXd to;           ///< end point, length dim
    int segments = 1;
    double node_mass = 0;         ///< mass of each created free node, kg
    double stiffness = 0;         ///< N/m
    double bending_stiffness = 0; ///< N/m of springs between nodes two apart; 0 = none
    SpringKind kind = SpringKind::kBilateral;
    Role end_role = Role::kFree;  ///< role of the last node
};

/// Adds the rope's nodes and springs (rest lengths = initial distances).
void add_rope(ModelBuilder& builder, const RopeSpec& spec);

/// A rectangular grid of nodes `<name>_<i>_<j>` at origin + i/(nu-1) u + j/(nv-1) v.
struct ClothSpec {
    std::string name;
    Eigen::VectorXd origin, u, v; ///< length dim
    int nu = 2, nv = 2;           ///< nodes along u and v (>= 2)
    double total_mass = 0;        ///< kg, shared equally by the free nodes
    double structural = 0;        ///< stiffness of springs to the 4-neighbours
    double shear = 0;             ///< stiffness of diagonal springs (0 = none)
    double bending = 0;           ///< stiffness of springs two apart along u and v (0 = none)
    /// flexural rigidity D, N m (0 = none): a quadratic bending element (sim/model.hpp, Bend) on
    /// every three consecutive nodes along u and along v, with k = D L_across / L_along^3 (the
    /// plate energy D/2 kappa^2 over the element's share L_along L_across of the sheet)
    double flexural = 0;
    /// compressive / tensile stiffness ratio of the structural and shear springs, in (0, 1]
    /// (1 = plain springs; below 1 compression-weak, sim/spring.hpp); bending springs keep 1
    double compression = 1;
    struct Attachment {
        int i = 0, j = 0;
        Role role = Role::kFixed;
    };
    std::vector<Attachment> attachments; ///< grid nodes that become handles or fixed
};

/// Adds the cloth's nodes and springs (rest lengths = initial distances).
void add_cloth(ModelBuilder& builder, const ClothSpec& spec);

/// Name of cloth grid node (i, j).
std::string cloth_node_name(const std::string& cloth, int i, int j);

} // namespace podsim::sim
