// The matrix-free Gauss-Newton operator (see gauss_newton_operator.hpp).
#include "pods/improve/gauss_newton_operator.hpp"

#include <cassert>

namespace podsim::pods {

GaussNewtonOperator::GaussNewtonOperator(sim::TrajectoryLinearization& linearization, const QuadraticCost& cost, double mu)
    : m_linearization(&linearization), m_cost(&cost), m_horizon(linearization.horizon()),
      m_actions(linearization.model().n_p()), m_diagonal(2 * cost.action_weight + mu),
      m_q(cost.state_hessian_diagonal(linearization.horizon()))
{
    m_ds.resize(m_q.size());
    m_bar_a.resize(m_actions, m_horizon);
}

void GaussNewtonOperator::apply(const Eigen::VectorXd& v, Eigen::VectorXd& out)
{
    assert(v.size() == size());
    const Eigen::Map<const Eigen::MatrixXd> direction(v.data(), m_actions, m_horizon);
    // J v, then Q J v, then J^T Q J v
    m_linearization->tangent(m_cost->selection, direction, m_ds);
    m_ds.array() *= m_q.array();
    m_linearization->adjoint(m_cost->selection, m_ds, m_bar_a);
    out = m_bar_a.reshaped();
    out.noalias() += m_diagonal * v;
    ++m_products;
}

void GaussNewtonOperator::state_direction(const Eigen::VectorXd& v, Eigen::VectorXd& ds)
{
    assert(v.size() == size());
    const Eigen::Map<const Eigen::MatrixXd> direction(v.data(), m_actions, m_horizon);
    ds.resize(m_q.size());
    m_linearization->tangent(m_cost->selection, direction, ds);
}

void GaussNewtonOperator::apply_from_state(const Eigen::VectorXd& v, const Eigen::VectorXd& ds, Eigen::VectorXd& out)
{
    assert(v.size() == size() && ds.size() == m_q.size());
    m_ds = ds.cwiseProduct(m_q);
    m_linearization->adjoint(m_cost->selection, m_ds, m_bar_a);
    out = m_bar_a.reshaped();
    out.noalias() += m_diagonal * v;
    ++m_products;
}

void GaussNewtonOperator::state_directions(const Eigen::MatrixXd& v, Eigen::MatrixXd& ds)
{
    assert(v.rows() == size());
    ds.resize(m_q.size(), v.cols());
    m_linearization->tangent_columns(m_cost->selection, v, ds);
}

Eigen::MatrixXd cost_gradient_linearized(sim::TrajectoryLinearization& linearization, const QuadraticCost& cost,
                                         const std::vector<sim::State>& states, const Eigen::MatrixXd& actions)
{
    Eigen::VectorXd d_s;
    Eigen::MatrixXd d_a;
    cost.gradient(linearization.model(), states, actions, d_s, d_a);
    Eigen::MatrixXd bar_a(d_a.rows(), d_a.cols());
    linearization.adjoint(cost.selection, d_s, bar_a);
    return d_a + bar_a;
}

} // namespace podsim::pods
