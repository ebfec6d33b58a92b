// Total potential energy of a model: loops over springs and nodes calling the element kernels.
#include "sim/potential.hpp"

#include "sim/gravity.hpp"
#include "sim/spring.hpp"

#include <array>
#include <utility>

namespace podsim::sim {

namespace {

// bilateral springs with compression < 1 are compression-weak (the plain kernels otherwise: a
// model without such springs runs only them)
template <int D> double element_energy(const Spring& s, const Vec<D>& xi, const Vec<D>& xj)
{
    if (s.kind == SpringKind::kUnilateral) return cable_energy<D>(xi, xj, s.stiffness, s.rest_length);
    return s.compression < 1 ? weak_compression_spring_energy<D>(xi, xj, s.stiffness, s.rest_length, s.compression)
                             : spring_energy<D>(xi, xj, s.stiffness, s.rest_length);
}

template <int D> Vec<D> element_gradient(const Spring& s, const Vec<D>& xi, const Vec<D>& xj)
{
    if (s.kind == SpringKind::kUnilateral) return cable_energy_gradient<D>(xi, xj, s.stiffness, s.rest_length);
    return s.compression < 1
               ? weak_compression_spring_energy_gradient<D>(xi, xj, s.stiffness, s.rest_length, s.compression)
               : spring_energy_gradient<D>(xi, xj, s.stiffness, s.rest_length);
}

template <int D>
Mat<D> element_hessian(const Spring& s, const Vec<D>& xi, const Vec<D>& xj, bool project)
{
    if (s.kind == SpringKind::kUnilateral) return cable_energy_hessian<D>(xi, xj, s.stiffness, s.rest_length);
    return s.compression < 1
               ? weak_compression_spring_energy_hessian<D>(xi, xj, s.stiffness, s.rest_length, s.compression, project)
               : spring_energy_hessian<D>(xi, xj, s.stiffness, s.rest_length, project);
}

// a bending element's second difference x_a - 2 x_b + x_c = sum_r w_r x_{n_r}; its energy
// k/2 |d|^2 has the constant Hessian blocks k w_r w_s I
constexpr std::array<double, 3> kBendWeights{1, -2, 1};

std::array<int, 3> bend_nodes(const Bend& e) { return {e.a, e.b, e.c}; }

template <int D> Vec<D> bend_vector(const Bend& e, const Eigen::VectorXd& q)
{
    return q.segment<D>(e.a * D) - 2 * q.segment<D>(e.b * D) + q.segment<D>(e.c * D);
}

// u += U(q), gradient += dU/dq
template <int D> void accumulate_energy(const Model& m, const Eigen::VectorXd& q, double& u, Eigen::VectorXd* gradient)
{
    const Vec<D> g = m.gravity.head<D>();
    // gravity acts on free nodes (handles and fixed nodes are kinematic)
    for (int i = 0; i < m.n_free; ++i) {
        const double mass = m.nodes[std::size_t(i)].mass;
        u += gravity_energy<D>(mass, g, q.segment<D>(i * D));
        if (gradient) gradient->segment<D>(i * D) += gravity_energy_gradient<D>(mass, g);
    }
    for (const Spring& s : m.springs) {
        const Vec<D> xi = q.segment<D>(s.i * D);
        const Vec<D> xj = q.segment<D>(s.j * D);
        u += element_energy<D>(s, xi, xj);
        if (gradient) {
            const Vec<D> gi = element_gradient<D>(s, xi, xj);
            gradient->segment<D>(s.i * D) += gi;
            gradient->segment<D>(s.j * D) -= gi;
        }
    }
    for (const Bend& e : m.bends) {
        const Vec<D> d = bend_vector<D>(e, q);
        u += 0.5 * e.stiffness * d.squaredNorm();
        if (gradient) {
            const std::array<int, 3> n = bend_nodes(e);
            for (int r = 0; r < 3; ++r) gradient->segment<D>(n[r] * D) += kBendWeights[r] * e.stiffness * d;
        }
    }
}

template <int D> double energy(const Model& m, const Eigen::VectorXd& q, Eigen::VectorXd* gradient)
{
    double u = 0;
    if (gradient) gradient->setZero(q.size());
    accumulate_energy<D>(m, q, u, gradient);
    return u;
}

template <int D>
Eigen::SparseMatrix<double> hessian(const Model& m, const Eigen::VectorXd& q, bool project)
{
    std::vector<Eigen::Triplet<double>> entries;
    entries.reserve(m.springs.size() * 4 * D * D + m.bends.size() * 9 * D);
    for (const Spring& s : m.springs) {
        const Mat<D> b = element_hessian<D>(s, q.segment<D>(s.i * D), q.segment<D>(s.j * D), project);
        for (int c = 0; c < D; ++c)
            for (int r = 0; r < D; ++r) {
                entries.emplace_back(s.i * D + r, s.i * D + c, b(r, c));
                entries.emplace_back(s.j * D + r, s.j * D + c, b(r, c));
                entries.emplace_back(s.i * D + r, s.j * D + c, -b(r, c));
                entries.emplace_back(s.j * D + r, s.i * D + c, -b(r, c));
            }
    }
    for (const Bend& e : m.bends) {
        const std::array<int, 3> n = bend_nodes(e);
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 3; ++c)
                for (int k = 0; k < D; ++k)
                    entries.emplace_back(n[r] * D + k, n[c] * D + k, e.stiffness * kBendWeights[r] * kBendWeights[c]);
    }
    Eigen::SparseMatrix<double> h(q.size(), q.size());
    h.setFromTriplets(entries.begin(), entries.end());
    return h;
}

template <int D>
void add_free_hessian(const Model& m, const Eigen::VectorXd& q, double scale, bool project,
                      const auto& elements, const auto& bend_elements, BlockMatrix& matrix)
{
    // bending blocks are constant and positive semi-definite (nothing to project)
    for (const auto& e : bend_elements) {
        const double k = scale * m.bends[std::size_t(e.bend)].stiffness;
        for (const auto& [slot, weight] : e.blocks) matrix.add<D>(slot, (k * weight) * Mat<D>::Identity());
    }
    for (const auto& e : elements) {
        const Spring& s = m.springs[std::size_t(e.spring)];
        const Mat<D> b = scale * element_hessian<D>(s, q.segment<D>(s.i * D), q.segment<D>(s.j * D), project);
        if (e.i_free) matrix.add<D>(e.slots[0], b);
        if (e.j_free) matrix.add<D>(e.slots[3], b);
        if (e.i_free && e.j_free) {
            matrix.add<D>(e.slots[1], -b);
            matrix.add<D>(e.slots[2], -b);
        }
    }
}

// calls f(free node, handle index, exact element block B) for every free-handle spring; the
// mixed second derivative d2U/dx_free dp_handle of such a spring is -B
template <int D, typename F> void for_each_free_handle(const Model& m, const Eigen::VectorXd& q, F&& f)
{
    const int first_fixed = m.n_free + m.n_handles;
    for (const Spring& s : m.springs) {
        int free = s.i, handle = s.j;
        if (free >= m.n_free) std::swap(free, handle);
        if (free >= m.n_free || handle < m.n_free || handle >= first_fixed) continue;
        f(free, handle - m.n_free, element_hessian<D>(s, q.segment<D>(s.i * D), q.segment<D>(s.j * D), false));
    }
    // a bending element's block between a free node r and a handle s is k w_r w_s I, so its
    // d2U/dx_r dp_s is +k w_r w_s I: passed as B = -k w_r w_s I
    for (const Bend& e : m.bends) {
        const std::array<int, 3> n = bend_nodes(e);
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 3; ++c) {
                if (n[r] >= m.n_free || n[c] < m.n_free || n[c] >= first_fixed) continue;
                f(n[r], n[c] - m.n_free, Mat<D>((-e.stiffness * kBendWeights[r] * kBendWeights[c]) * Mat<D>::Identity()));
            }
    }
}

template <int D>
void free_handle_product(const Model& m, const Eigen::VectorXd& q, double scale,
                         const Eigen::Ref<const Eigen::MatrixXd>& in, Eigen::Ref<Eigen::MatrixXd> out, bool transpose)
{
    for_each_free_handle<D>(m, q, [&](int free, int handle, const Mat<D>& b) {
        if (transpose)
            out.middleRows<D>(handle * D).noalias() -= scale * b * in.middleRows<D>(free * D);
        else
            out.middleRows<D>(free * D).noalias() -= scale * b * in.middleRows<D>(handle * D);
    });
}

} // namespace

double potential_energy(const Model& model, const Eigen::VectorXd& q)
{
    return model.dim == 2 ? energy<2>(model, q, nullptr) : energy<3>(model, q, nullptr);
}

double potential_energy_gradient(const Model& model, const Eigen::VectorXd& q, Eigen::VectorXd& gradient)
{
    return model.dim == 2 ? energy<2>(model, q, &gradient) : energy<3>(model, q, &gradient);
}

Eigen::SparseMatrix<double> potential_energy_hessian(const Model& model, const Eigen::VectorXd& q,
                                                     bool project)
{
    return model.dim == 2 ? hessian<2>(model, q, project) : hessian<3>(model, q, project);
}

FreeHessianAssembler::FreeHessianAssembler(const Model& model, BlockMatrix& matrix, bool sparse)
{
    std::vector<std::pair<int, int>> coupled;
    for (int k = 0; k < int(model.springs.size()); ++k) {
        const Spring& s = model.springs[std::size_t(k)];
        Element e;
        e.spring = k;
        e.i_free = s.i < model.n_free;
        e.j_free = s.j < model.n_free;
        if (!e.i_free && !e.j_free) continue; // constant energy for the free DOFs
        if (e.i_free && e.j_free) coupled.emplace_back(s.i, s.j);
        m_elements.push_back(e);
    }
    for (const Bend& b : model.bends) {
        const std::array<int, 3> n = bend_nodes(b);
        for (int r = 0; r < 3; ++r)
            for (int c = r + 1; c < 3; ++c)
                if (n[r] < model.n_free && n[c] < model.n_free) coupled.emplace_back(n[r], n[c]);
    }
    matrix.init(model.n_free, model.dim, coupled, sparse);
    for (int k = 0; k < int(model.bends.size()); ++k) {
        const std::array<int, 3> n = bend_nodes(model.bends[std::size_t(k)]);
        BendElement e;
        e.bend = k;
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 3; ++c)
                if (n[r] < model.n_free && n[c] < model.n_free)
                    e.blocks.emplace_back(matrix.slot(n[r], n[c]), kBendWeights[r] * kBendWeights[c]);
        if (!e.blocks.empty()) m_bend_elements.push_back(std::move(e));
    }
    for (Element& e : m_elements) {
        const Spring& s = model.springs[std::size_t(e.spring)];
        if (e.i_free) e.slots[0] = matrix.slot(s.i, s.i);
        if (e.j_free) e.slots[3] = matrix.slot(s.j, s.j);
        if (e.i_free && e.j_free) {
            e.slots[1] = matrix.slot(s.i, s.j);
            e.slots[2] = matrix.slot(s.j, s.i);
        }
    }
}

void FreeHessianAssembler::add(const Model& model, const Eigen::VectorXd& q, double scale,
                               bool project, BlockMatrix& matrix) const
{
    if (model.dim == 2)
        add_free_hessian<2>(model, q, scale, project, m_elements, m_bend_elements, matrix);
    else
        add_free_hessian<3>(model, q, scale, project, m_elements, m_bend_elements, matrix);
}

SpringsAndGravityTerm::SpringsAndGravityTerm(const Model& model, BlockMatrix& matrix, bool sparse)
    : m_model(&model), m_assembler(model, matrix, sparse)
{
}

void SpringsAndGravityTerm::add_energy(const Eigen::VectorXd& q, const Eigen::VectorXd&, double& energy,
                                       Eigen::VectorXd* gradient) const
{
    if (m_model->dim == 2)
        accumulate_energy<2>(*m_model, q, energy, gradient);
    else
        accumulate_energy<3>(*m_model, q, energy, gradient);
}

void SpringsAndGravityTerm::add_hessian(const Eigen::VectorXd& q, const Eigen::VectorXd&, double scale,
                                        bool project, BlockMatrix& matrix) const
{
    m_assembler.add(*m_model, q, scale, project, matrix);
}

void SpringsAndGravityTerm::add_handle_product(const Eigen::VectorXd& q, const Eigen::VectorXd&, double scale,
                                               const Eigen::Ref<const Eigen::MatrixXd>& in,
                                               Eigen::Ref<Eigen::MatrixXd> out) const
{
    if (m_model->dim == 2)
        free_handle_product<2>(*m_model, q, scale, in, out, false);
    else
        free_handle_product<3>(*m_model, q, scale, in, out, false);
}

void SpringsAndGravityTerm::add_handle_product_transpose(const Eigen::VectorXd& q, const Eigen::VectorXd&,
                                                         double scale, const Eigen::Ref<const Eigen::MatrixXd>& in,
                                                         Eigen::Ref<Eigen::MatrixXd> out) const
{
    if (m_model->dim == 2)
        free_handle_product<2>(*m_model, q, scale, in, out, true);
    else
        free_handle_product<3>(*m_model, q, scale, in, out, true);
}

} // namespace podsim::sim
