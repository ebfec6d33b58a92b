// Linear-quadratic model of a rollout's cost (see lq_model.hpp).
#include "pods/improve/lq_model.hpp"

#include "sim/sensitivity.hpp"

#include <stdexcept>

namespace podsim::pods {

namespace {

// identity tangent of z = [x; v; x_prev; v_prev; p]: columns 0..nz-1
void set_state_identity(sim::StateTangent& dz, int nx, int np)
{
    dz.x.leftCols(nx).setIdentity();
    dz.v.middleCols(nx, nx).setIdentity();
    dz.x_prev.middleCols(2 * nx, nx).setIdentity();
    dz.v_prev.middleCols(3 * nx, nx).setIdentity();
    dz.p.middleCols(4 * nx, np).setIdentity();
}

} // namespace

Eigen::VectorXd stacked_state(const sim::State& z)
{
    const Eigen::Index nx = z.x.size();
    Eigen::VectorXd out(4 * nx + z.p.size());
    out << z.x, z.v, z.x_prev, z.v_prev, z.p;
    return out;
}

LqModel lq_model(sim::Simulator& sim, const QuadraticCost& cost, const std::vector<sim::State>& states,
                 const Eigen::MatrixXd& actions)
{
    const sim::Model& m = sim.model();
    const int n = int(actions.cols()), nx = m.n_x(), na = m.n_p(), nz = 4 * nx + na;
    if (actions.rows() != na || states.size() != std::size_t(n) + 1)
        throw std::invalid_argument("lq_model: got " + std::to_string(actions.rows()) + " x " + std::to_string(n) +
                                    " actions and " + std::to_string(states.size()) + " states, need n_p x N and N + 1");
    LqModel lq;
    lq.a.resize(std::size_t(n));
    lq.b.resize(std::size_t(n));
    {
        // one tangent solve per step with the columns [identity of z | identity of a]
        sim::StateTangent dz = sim::StateTangent::zero(m, nz + na), next;
        set_state_identity(dz, nx, na);
        Eigen::MatrixXd da = Eigen::MatrixXd::Zero(na, nz + na);
        da.rightCols(na).setIdentity();
        for (int t = 0; t < n; ++t) {
            sim::step_tangent(sim, states[std::size_t(t)], states[std::size_t(t) + 1], dz, da, next);
            Eigen::MatrixXd& at = lq.a[std::size_t(t)];
            Eigen::MatrixXd& bt = lq.b[std::size_t(t)];
            at.resize(nz, nz);
            bt.resize(nz, na);
            at << next.x.leftCols(nz), next.v.leftCols(nz), next.x_prev.leftCols(nz), next.v_prev.leftCols(nz),
                next.p.leftCols(nz);
            bt << next.x.rightCols(na), next.v.rightCols(na), next.x_prev.rightCols(na), next.v_prev.rightCols(na),
                next.p.rightCols(na);
        }
    }
    sim::StateTangent unit = sim::StateTangent::zero(m, nz);
    set_state_identity(unit, nx, na);
    lq.selection = cost.selection.extract(m, unit);
    cost.gradient(m, states, actions, lq.d_s, lq.d_a);
    lq.q = cost.state_hessian_diagonal(n);
    lq.r = 2 * cost.action_weight;
    return lq;
}

Eigen::MatrixXd lq_gradient(const LqModel& lq)
{
    const int n = lq.horizon(), ns = int(lq.selection.rows());
    Eigen::MatrixXd grad(lq.action_size(), n);
    Eigen::VectorXd lambda = lq.selection.transpose() * lq.d_s.segment(Eigen::Index(n) * ns, ns);
    for (int t = n - 1; t >= 0; --t) {
        grad.col(t) = lq.d_a.col(t) + lq.b[std::size_t(t)].transpose() * lambda;
        lambda = lq.selection.transpose() * lq.d_s.segment(Eigen::Index(t) * ns, ns) +
                 lq.a[std::size_t(t)].transpose() * lambda;
    }
    return grad;
}

} // namespace podsim::pods
