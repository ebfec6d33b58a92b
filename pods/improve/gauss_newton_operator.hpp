#pragma once
// The Gauss-Newton matrix of a rollout's cost as a matrix-free operator (docs/optimization.md,
// "Matrix-free Gauss-Newton"):
//   G v = J^T Q J v + (R + mu) v,   Q = d2C/ds2 (diagonal), R = 2 w_a I,
// J v by a tangent sweep and J^T w by an adjoint sweep over the rollout's stored factorisations.

#include "pods/task/cost.hpp"
#include "sim/trajectory_linearization.hpp"

#include <Eigen/Core>

namespace podsim::pods {

class GaussNewtonOperator {
public:
    /// Over `linearization` (kept by reference: it must outlive the operator) with the cost's
    /// constant Hessians and damping mu >= 0.
    GaussNewtonOperator(sim::TrajectoryLinearization& linearization, const QuadraticCost& cost, double mu);

    /// N n_a: the length of a flattened action direction (column-major, a_0 first, as
    /// Eigen's reshaped()).
    Eigen::Index size() const { return Eigen::Index(m_horizon) * m_actions; }
    int horizon() const { return m_horizon; }
    int actions() const { return m_actions; }
    /// out = G v (v, out of length size(); out overwritten). One tangent and one adjoint sweep.
    void apply(const Eigen::VectorXd& v, Eigen::VectorXd& out);
    /// The two halves of a product, for solvers that combine state directions (deflated CG):
    /// ds = J v ((N+1) n_s, one tangent sweep), then out = J^T Q ds + (R + mu) v (one adjoint
    /// sweep; `ds` need not come from this v's tangent; counted in products()).
    void state_direction(const Eigen::VectorXd& v, Eigen::VectorXd& ds);
    void apply_from_state(const Eigen::VectorXd& v, const Eigen::VectorXd& ds, Eigen::VectorXd& out);
    /// DS = J V for the columns of V (size() rows each) by one multi-column tangent sweep
    /// (sim::TrajectoryLinearization::tangent_columns). Not counted in products().
    void state_directions(const Eigen::MatrixXd& v, Eigen::MatrixXd& ds);
    /// Diagonal of Q ((N+1) n_s) and the constant 2 w_a + mu.
    const Eigen::VectorXd& state_weights() const { return m_q; }
    double diagonal() const { return m_diagonal; }
    /// Products applied so far (apply() and apply_from_state() calls).
    int products() const { return m_products; }

private:
    sim::TrajectoryLinearization* m_linearization;
    const QuadraticCost* m_cost;
    int m_horizon, m_actions;
    double m_diagonal;   // 2 w_a + mu
    Eigen::VectorXd m_q; // diagonal of Q, (N+1) n_s
    Eigen::VectorXd m_ds;
    Eigen::MatrixXd m_bar_a;
    int m_products = 0;
};

/// dC/da (n_a x N) = dC/da + J^T dC/ds by one adjoint sweep over the stored factorisations (equal
/// to cost_gradient_adjoint up to round-off).
Eigen::MatrixXd cost_gradient_linearized(sim::TrajectoryLinearization& linearization, const QuadraticCost& cost,
                                         const std::vector<sim::State>& states, const Eigen::MatrixXd& actions);

} // namespace podsim::pods
