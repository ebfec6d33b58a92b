// Model construction: reorders nodes (free, handles, fixed) and lumps masses.
#include "sim/model.hpp"

#include <cassert>

namespace podsim::sim {

const char* role_name(Role role)
{
    switch (role) {
    case Role::kFree: return "free";
    case Role::kHandle: return "handle";
    case Role::kFixed: return "fixed";
    }
    return "?";
}

int Model::find_node(const std::string& name) const
{
    const auto it = index_by_name.find(name);
    return it == index_by_name.end() ? -1 : it->second;
}

Eigen::VectorXd Model::nominal_positions() const
{
    Eigen::VectorXd q(n_nodes() * dim);
    for (int i = 0; i < n_nodes(); ++i) q.segment(i * dim, dim) = nodes[std::size_t(i)].position.head(dim);
    return q;
}

ModelBuilder::ModelBuilder(int dim, double dt, const Eigen::VectorXd& gravity)
    : m_dim(dim), m_dt(dt), m_gravity(gravity)
{
    assert(dim == 2 || dim == 3);
    assert(gravity.size() == dim);
}

int ModelBuilder::add_node(const std::string& name, Role role, const Eigen::VectorXd& position,
                           double mass, const Eigen::VectorXd& velocity)
{
    assert(position.size() == m_dim);
    assert(!m_index.count(name));
    assert(role != Role::kFree || mass > 0);
    Node n;
    n.name = name;
    n.role = role;
    n.mass = mass;
    n.position.setZero();
    n.position.head(m_dim) = position;
    n.velocity.setZero();
    if (velocity.size() == m_dim) n.velocity.head(m_dim) = velocity;
    m_index[name] = int(m_nodes.size());
    m_nodes.push_back(std::move(n));
    return int(m_nodes.size()) - 1;
}

void ModelBuilder::add_spring(int i, int j, double stiffness, double rest_length, SpringKind kind,
                              double compression)
{
    assert(i != j && i >= 0 && j >= 0 && i < n_nodes() && j < n_nodes());
    assert(compression > 0 && compression <= 1);
    if (rest_length < 0) rest_length = (m_nodes[std::size_t(i)].position - m_nodes[std::size_t(j)].position).norm();
    m_springs.push_back({i, j, stiffness, rest_length, kind, compression});
}

void ModelBuilder::add_bend(int a, int b, int c, double stiffness)
{
    assert(a != b && b != c && a != c && a >= 0 && b >= 0 && c >= 0);
    assert(a < n_nodes() && b < n_nodes() && c < n_nodes() && stiffness > 0);
    m_bends.push_back({a, b, c, stiffness});
}

int ModelBuilder::find_node(const std::string& name) const
{
    const auto it = m_index.find(name);
    return it == m_index.end() ? -1 : it->second;
}

Model ModelBuilder::build() const
{
    Model m;
    m.dim = m_dim;
    m.dt = m_dt;
    m.gravity = m_gravity;
    m.solver = solver;
    m.contacts = contacts;

    // internal order: free, handles, fixed (stable)
    std::vector<int> internal(m_nodes.size());
    for (Role role : {Role::kFree, Role::kHandle, Role::kFixed}) {
        for (std::size_t k = 0; k < m_nodes.size(); ++k) {
            if (m_nodes[k].role != role) continue;
            internal[k] = int(m.nodes.size());
            m.nodes.push_back(m_nodes[k]);
        }
    }
    m.file_order = internal;
    for (const Node& n : m.nodes) {
        m.n_free += n.role == Role::kFree;
        m.n_handles += n.role == Role::kHandle;
        m.n_fixed += n.role == Role::kFixed;
    }
    for (int i = 0; i < m.n_nodes(); ++i) m.index_by_name[m.nodes[std::size_t(i)].name] = i;

    for (Spring s : m_springs) {
        s.i = internal[std::size_t(s.i)];
        s.j = internal[std::size_t(s.j)];
        m.springs.push_back(s);
    }

    for (Bend e : m_bends) {
        e.a = internal[std::size_t(e.a)];
        e.b = internal[std::size_t(e.b)];
        e.c = internal[std::size_t(e.c)];
        m.bends.push_back(e);
    }

    m.mass.resize(m.n_x());
    for (int i = 0; i < m.n_free; ++i) m.mass.segment(i * m_dim, m_dim).setConstant(m.nodes[std::size_t(i)].mass);

    // length scale: diagonal of the nominal bounding box
    Eigen::Vector3d lo = Eigen::Vector3d::Constant(1e300), hi = Eigen::Vector3d::Constant(-1e300);
    for (const Node& n : m.nodes) {
        lo = lo.cwiseMin(n.position);
        hi = hi.cwiseMax(n.position);
    }
    m.length_scale = m.nodes.empty() ? 1.0 : std::max(1e-3, (hi - lo).norm());
    return m;
}

} // namespace podsim::sim
