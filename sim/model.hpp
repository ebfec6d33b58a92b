#pragma once
// The immutable description of a mass-spring system: nodes (free / handle / fixed), springs and
// cables, masses, gravity, time step and Newton settings. Shared read-only by all threads.

#include <Eigen/Core>

#include <string>
#include <unordered_map>
#include <vector>

namespace podsim::sim {

enum class Role { kFree, kHandle, kFixed };
enum class SpringKind { kBilateral, kUnilateral };
enum class LinearSolverChoice { kAuto, kDense, kSparse };

const char* role_name(Role role);

struct Node {
    std::string name;
    Role role = Role::kFree;
    double mass = 0;            ///< kg; used for free nodes only
    Eigen::Vector3d position{}; ///< m; z = 0 in 2D
    Eigen::Vector3d velocity{}; ///< m/s; nominal initial velocity (free nodes)
};

/// A spring between nodes i and j (internal indices, see Model::nodes).
struct Spring {
    int i = 0;
    int j = 0;
    double stiffness = 0;   ///< N/m
    double rest_length = 0; ///< m
    SpringKind kind = SpringKind::kBilateral;
    /// Bilateral springs: compressive / tensile stiffness ratio in (0, 1] (1 = the plain spring;
    /// below 1 a compression-weak spring, sim/spring.hpp). Cables ignore it.
    double compression = 1;
};

/// A quadratic bending element on three consecutive nodes a, b, c of a line that is straight and
/// evenly spaced at rest (a cloth grid line): U = k/2 |x_a - 2 x_b + x_c|^2, zero at rest and under
/// rigid motions, with a constant Hessian (docs/simulation.md, "Cloth bending").
struct Bend {
    int a = 0;
    int b = 0;
    int c = 0;
    double stiffness = 0; ///< k, N/m
};

/// A plane obstacle acting on every free node: penalty contact with a smoothed onset, viscous
/// normal damping and smoothed Coulomb friction (sim/contact.hpp, docs/simulation.md).
struct ContactPlane {
    Eigen::Vector3d point = Eigen::Vector3d::Zero();  ///< a point of the plane, m (z = 0 in 2D)
    Eigen::Vector3d normal = Eigen::Vector3d::Zero(); ///< unit normal pointing to the free side (z = 0 in 2D)
    double stiffness = 0;             ///< penalty stiffness k, N/m
    double friction = 0;              ///< Coulomb coefficient mu >= 0
    double smoothing = 1e-3;          ///< m: the normal force fades in over this distance above the plane
    double friction_smoothing = 1e-3; ///< m/s: sliding speeds below it get a proportionally smaller friction force
    /// zeta >= 0: damping ratio of the normal contact, c = 2 zeta sqrt(k m) N s/m for a node of
    /// mass m (1: critically damped, a landing node does not bounce; 0: elastic contact)
    double damping_ratio = 1;
};

struct SolverSettings {
    /// Newton stops when |g|_inf <= tolerance * max_mass * length_scale (see docs/simulation.md).
    double tolerance = 1e-9;
    int max_iterations = 500;
    LinearSolverChoice linear_solver = LinearSolverChoice::kAuto;
    /// Keep the Newton matrix's factorisation across iterations and steps of a rollout while
    /// each iteration (conjugate gradients preconditioned by it) still cuts the residual 4x (the
    /// converged result meets the same tolerance); dense systems (up to kDenseSolverMaxDofs free
    /// DOFs) always refactorise (it costs about as much as those inner iterations there).
    bool reuse_factorization = true;
    /// Sparse systems: once a Newton iteration has cut the residual less than 100x, a Newton step
    /// on the few nodes that hold most of it alone precedes the next (nonlinear elimination,
    /// docs/simulation.md, "Newton"). Not a scene key; off to compare with plain Newton.
    bool nonlinear_elimination = true;
};

/// Systems with at most this many free DOFs use the dense solver under kAuto (measured with
/// bench/bench_step, see docs/PERFORMANCE.md).
inline constexpr int kDenseSolverMaxDofs = 80;

struct Model {
    int dim = 2;
    double dt = 0.01;
    Eigen::VectorXd gravity;        ///< length dim
    /// Nodes in internal order: free nodes first, then handles, then fixed nodes, each group in
    /// file order. Coordinates of node i are q[i*dim .. i*dim+dim) of the stacked vector
    /// q = [x (free), p (handles), fixed positions].
    std::vector<Node> nodes;
    std::vector<int> file_order;    ///< internal index of the k-th node of the scene file
    std::vector<Spring> springs;
    std::vector<Bend> bends;
    std::vector<ContactPlane> contacts; ///< obstacles acting on every free node
    int n_free = 0;
    int n_handles = 0;
    int n_fixed = 0;
    Eigen::VectorXd mass;           ///< lumped mass per free DOF, length n_free*dim
    double length_scale = 1;        ///< diagonal of the nominal bounding box (>= 1e-3)
    SolverSettings solver;

    int n_nodes() const { return int(nodes.size()); }
    int n_x() const { return n_free * dim; }     ///< free DOFs
    int n_p() const { return n_handles * dim; }  ///< handle DOFs = action size
    int first_handle() const { return n_free; }  ///< internal index of handle 0
    /// Internal index of a node by name, or -1.
    int find_node(const std::string& name) const;
    /// Nominal stacked positions q of all nodes (length n_nodes*dim).
    Eigen::VectorXd nominal_positions() const;

    std::unordered_map<std::string, int> index_by_name;
};

/// Collects nodes and springs in file order and builds the Model. Input is assumed validated
/// (scene parsing does that with file/JSON-path messages); violations here are assertions.
class ModelBuilder {
public:
    ModelBuilder(int dim, double dt, const Eigen::VectorXd& gravity);

    /// Returns the node's file index. Positions/velocities have `dim` entries.
    int add_node(const std::string& name, Role role, const Eigen::VectorXd& position,
                 double mass = 0, const Eigen::VectorXd& velocity = Eigen::VectorXd());
    /// Nodes by file index; rest_length < 0 means "initial distance".
    void add_spring(int i, int j, double stiffness, double rest_length = -1,
                    SpringKind kind = SpringKind::kBilateral, double compression = 1);

    /// A bending element over nodes a, b, c (file indices), see Bend.
    void add_bend(int a, int b, int c, double stiffness);

    int find_node(const std::string& name) const;
    const Node& node(int file_index) const { return m_nodes[std::size_t(file_index)]; }
    int n_nodes() const { return int(m_nodes.size()); }
    int n_springs() const { return int(m_springs.size()); }
    int dim() const { return m_dim; }

    SolverSettings solver;
    std::vector<ContactPlane> contacts; ///< unit normals (parsing normalises them)

    Model build() const;

private:
    int m_dim;
    double m_dt;
    Eigen::VectorXd m_gravity;
    std::vector<Node> m_nodes;
    std::vector<Spring> m_springs; // file indices
    std::vector<Bend> m_bends;     // file indices
    std::unordered_map<std::string, int> m_index;
};

} // namespace podsim::sim
