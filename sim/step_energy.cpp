// The step objective and its derivatives over the model's energy terms (see step_energy.hpp).
#include "sim/step_energy.hpp"

#include "sim/contact.hpp"
#include "sim/potential.hpp"

#include <cassert>

namespace podsim::sim {

BdfCoefficients bdf_coefficients(int t)
{
    if (t == 0) return {1.0, 0.0, 1.0, 0.0, 1.0};                              // BDF1
    return {4.0 / 3.0, -1.0 / 3.0, 8.0 / 9.0, -2.0 / 9.0, 4.0 / 9.0};           // BDF2
}

StepEnergy::StepEnergy(const Model& model, BlockMatrix& matrix, bool sparse) : m_model(&model)
{
    // the springs' term sets up the matrix pattern; contact only touches diagonal blocks
    m_terms.push_back(std::make_unique<SpringsAndGravityTerm>(model, matrix, sparse));
    if (!model.contacts.empty()) m_terms.push_back(std::make_unique<ContactTerm>(model));
    for (const auto& term : m_terms)
        if (term->depends_on_start()) m_start_terms.push_back(term.get());
    m_grad_q.setZero(model.n_nodes() * model.dim);
    m_dx.setZero(model.n_x());
}

StepEnergy::StepEnergy(StepEnergy&&) noexcept = default;
StepEnergy& StepEnergy::operator=(StepEnergy&&) noexcept = default;
StepEnergy::~StepEnergy() = default;

void StepEnergy::begin(const State& z, StepContext& ctx) const
{
    const double h = m_model->dt;
    ctx.t = z.t;
    ctx.c = bdf_coefficients(z.t);
    const BdfCoefficients& c = ctx.c;
    ctx.gamma = c.c_gamma * h * h;
    ctx.xhat = c.c_x * z.x + c.c_v * h * z.v;
    if (z.t > 0) ctx.xhat += c.c_xp * z.x_prev + c.c_vp * h * z.v_prev;
    ctx.x_start = z.x;
}

void StepEnergy::begin_from_result(const State& z_next, StepContext& ctx) const
{
    assert(z_next.t >= 1);
    const double h = m_model->dt;
    ctx.t = z_next.t - 1;
    ctx.c = bdf_coefficients(ctx.t);
    ctx.gamma = ctx.c.c_gamma * h * h;
    ctx.x_start = z_next.x_prev;
}

double StepEnergy::value_gradient(const Eigen::VectorXd& q, const StepContext& ctx, Eigen::VectorXd& g)
{
    const Model& m = *m_model;
    const int nx = m.n_x();
    double u = 0;
    m_grad_q.setZero(q.size());
    for (const auto& term : m_terms) term->add_energy(q, ctx.x_start, u, &m_grad_q);
    m_dx = q.head(nx) - ctx.xhat;
    g = m.mass.cwiseProduct(m_dx) + ctx.gamma * m_grad_q.head(nx);
    return 0.5 * m_dx.dot(m.mass.cwiseProduct(m_dx)) + ctx.gamma * u;
}

void StepEnergy::assemble_hessian(const Eigen::VectorXd& q, const StepContext& ctx, bool project,
                                  BlockMatrix& matrix) const
{
    matrix.set_zero();
    matrix.add_diagonal(m_model->mass);
    for (const auto& term : m_terms) term->add_hessian(q, ctx.x_start, ctx.gamma, project, matrix);
}

void StepEnergy::add_handle_product(const Eigen::VectorXd& q, const StepContext& ctx, double scale,
                                    const Eigen::Ref<const Eigen::MatrixXd>& in, Eigen::Ref<Eigen::MatrixXd> out) const
{
    for (const auto& term : m_terms) term->add_handle_product(q, ctx.x_start, scale * ctx.gamma, in, out);
}

void StepEnergy::add_handle_product_transpose(const Eigen::VectorXd& q, const StepContext& ctx, double scale,
                                              const Eigen::Ref<const Eigen::MatrixXd>& in,
                                              Eigen::Ref<Eigen::MatrixXd> out) const
{
    for (const auto& term : m_terms)
        term->add_handle_product_transpose(q, ctx.x_start, scale * ctx.gamma, in, out);
}

void StepEnergy::add_state_product(const Eigen::VectorXd& q, const StepContext& ctx, double scale,
                                   const StateTangentView& dz, Eigen::Ref<Eigen::MatrixXd> out) const
{
    const Eigen::VectorXd& mass = m_model->mass;
    const double h = m_model->dt;
    const BdfCoefficients& c = ctx.c;
    // inertia: E_xz dz = -M dxhat, dxhat = c_x dx + h c_v dv (+ c_xp dx_prev + h c_vp dv_prev)
    const auto m = mass.asDiagonal();
    if (ctx.t == 0)
        out -= scale * (m * (c.c_x * dz.x + (h * c.c_v) * dz.v));
    else
        out -= scale * (m * ((c.c_x * dz.x + (h * c.c_v) * dz.v) + (c.c_xp * dz.x_prev + (h * c.c_vp) * dz.v_prev)));
    // potential terms read z through y = z.x
    for (const EnergyTerm* term : m_start_terms) term->add_start_product(q, ctx.x_start, scale * ctx.gamma, dz.x, out);
}

void StepEnergy::add_state_product_transpose(const Eigen::VectorXd& q, const StepContext& ctx, double scale,
                                             const Eigen::Ref<const Eigen::MatrixXd>& w,
                                             StateCotangentView bar) const
{
    const Eigen::VectorXd& mass = m_model->mass;
    const double h = m_model->dt;
    const BdfCoefficients& c = ctx.c;
    // inertia: the transpose of -M dxhat(dz); column by column, since cotangents usually have
    // one column and a column of a Ref is traversed linearly (vectorised), the Ref is not
    for (Eigen::Index j = 0; j < w.cols(); ++j) {
        const auto mw = mass.cwiseProduct(w.col(j));
        bar.x.col(j) -= (scale * c.c_x) * mw;
        bar.v.col(j) -= (scale * h * c.c_v) * mw;
        if (ctx.t > 0) {
            bar.x_prev.col(j) -= (scale * c.c_xp) * mw;
            bar.v_prev.col(j) -= (scale * h * c.c_vp) * mw;
        }
    }
    for (const EnergyTerm* term : m_start_terms)
        term->add_start_product_transpose(q, ctx.x_start, scale * ctx.gamma, w, bar.x);
}

} // namespace podsim::sim
