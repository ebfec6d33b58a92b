// Contact of free nodes with planes as a term of the step energy (see contact.hpp).
#include "sim/contact.hpp"

namespace podsim::sim {

namespace {

template <int D>
void accumulate_contact(const Model& m, const Eigen::VectorXd& q, const Eigen::VectorXd& y, double& energy,
                Eigen::VectorXd* gradient)
{
    for (const ContactPlane& plane : m.contacts) {
        for (int i = 0; i < m.n_free; ++i) {
            const PlaneParams<D> c = PlaneParams<D>::from(plane, m.dt, m.mass[i * D]);
            const Vec<D> xi = q.segment<D>(i * D), yi = y.segment<D>(i * D);
            energy += contact_energy<D>(c, xi, yi);
            if (gradient) gradient->segment<D>(i * D) += contact_energy_gradient<D>(c, xi, yi);
        }
    }
}

template <int D>
void add_contact_hessian(const Model& m, const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale, BlockMatrix& matrix)
{
    for (const ContactPlane& plane : m.contacts) {
        const Vec<D> o = plane.point.head<D>(), n = plane.normal.head<D>();
        for (int i = 0; i < m.n_free; ++i) {
            const Vec<D> xi = q.segment<D>(i * D), yi = y.segment<D>(i * D);
            // far from the plane (and not lagging a normal force or damping): nothing to add
            if (n.dot(xi - o) >= plane.smoothing && n.dot(yi - o) >= plane.smoothing) continue;
            const PlaneParams<D> c = PlaneParams<D>::from(plane, m.dt, m.mass[i * D]);
            matrix.add<D>(matrix.diagonal_slot(i), Mat<D>(scale * contact_energy_hessian<D>(c, xi, yi)));
        }
    }
}

template <int D>
void start_product(const Model& m, const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale,
                   const Eigen::Ref<const Eigen::MatrixXd>& in, Eigen::Ref<Eigen::MatrixXd> out, bool transpose)
{
    for (const ContactPlane& plane : m.contacts) {
        if (!(plane.friction > 0) && !(plane.damping_ratio > 0)) continue;
        const Vec<D> o = plane.point.head<D>(), n = plane.normal.head<D>();
        for (int i = 0; i < m.n_free; ++i) {
            const Vec<D> yi = y.segment<D>(i * D);
            if (n.dot(yi - o) >= plane.smoothing) continue; // no normal force, no friction, no damping
            const PlaneParams<D> c = PlaneParams<D>::from(plane, m.dt, m.mass[i * D]);
            const Mat<D> b = scale * contact_energy_start_hessian<D>(c, q.segment<D>(i * D), yi);
            if (transpose)
                out.middleRows<D>(i * D).noalias() += b.transpose() * in.middleRows<D>(i * D);
            else
                out.middleRows<D>(i * D).noalias() += b * in.middleRows<D>(i * D);
        }
    }
}

} // namespace

ContactTerm::ContactTerm(const Model& model) : m_model(&model)
{
    for (const ContactPlane& c : model.contacts) m_dissipative = m_dissipative || c.friction > 0 || c.damping_ratio > 0;
}

void ContactTerm::add_energy(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double& energy,
                             Eigen::VectorXd* gradient) const
{
    if (m_model->dim == 2)
        accumulate_contact<2>(*m_model, q, y, energy, gradient);
    else
        accumulate_contact<3>(*m_model, q, y, energy, gradient);
}

void ContactTerm::add_hessian(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale, bool,
                              BlockMatrix& matrix) const
{
    // every block is already positive semi-definite: projection changes nothing
    if (m_model->dim == 2)
        add_contact_hessian<2>(*m_model, q, y, scale, matrix);
    else
        add_contact_hessian<3>(*m_model, q, y, scale, matrix);
}

void ContactTerm::add_start_product(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale,
                                    const Eigen::Ref<const Eigen::MatrixXd>& in, Eigen::Ref<Eigen::MatrixXd> out) const
{
    if (m_model->dim == 2)
        start_product<2>(*m_model, q, y, scale, in, out, false);
    else
        start_product<3>(*m_model, q, y, scale, in, out, false);
}

void ContactTerm::add_start_product_transpose(const Eigen::VectorXd& q, const Eigen::VectorXd& y, double scale,
                                              const Eigen::Ref<const Eigen::MatrixXd>& in,
                                              Eigen::Ref<Eigen::MatrixXd> out) const
{
    if (m_model->dim == 2)
        start_product<2>(*m_model, q, y, scale, in, out, true);
    else
        start_product<3>(*m_model, q, y, scale, in, out, true);
}

} // namespace podsim::sim
