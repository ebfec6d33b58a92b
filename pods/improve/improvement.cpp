// Cost gradients, Gauss-Newton steps (dense and Riccati) (see improvement.hpp).
#include "pods/improve/improvement.hpp"

#include "common/input_error.hpp"
#include "sim/sensitivity.hpp"
#include "common/text_io.hpp"

#include <Eigen/Cholesky>

namespace podsim::pods {

Eigen::MatrixXd cost_gradient_adjoint(sim::Simulator& sim, const QuadraticCost& cost,
                                      const std::vector<sim::State>& states, const Eigen::MatrixXd& actions)
{
    Eigen::VectorXd d_s;
    Eigen::MatrixXd d_a;
    cost.gradient(sim.model(), states, actions, d_s, d_a);
    return d_a + sim::trajectory_adjoint(sim, states, cost.selection, d_s).actions;
}

Eigen::MatrixXd cost_gradient_jacobian(const sim::Model& model, const QuadraticCost& cost,
                                       const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                       const Eigen::MatrixXd& jacobian)
{
    Eigen::VectorXd d_s;
    Eigen::MatrixXd d_a;
    cost.gradient(model, states, actions, d_s, d_a);
    const Eigen::VectorXd jt = jacobian.transpose() * d_s;
    return d_a + jt.reshaped(d_a.rows(), d_a.cols());
}

Eigen::MatrixXd gauss_newton_matrix(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian, int horizon, double mu)
{
    const Eigen::VectorXd q = cost.state_hessian_diagonal(horizon);
    Eigen::MatrixXd g(jacobian.cols(), jacobian.cols());
    g.setZero();
    g.selfadjointView<Eigen::Lower>().rankUpdate(jacobian.transpose() * q.cwiseSqrt().asDiagonal());
    g = g.selfadjointView<Eigen::Lower>();
    g.diagonal().array() += 2 * cost.action_weight + mu;
    return g;
}

Eigen::MatrixXd gauss_newton_step_dense(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian,
                                        const Eigen::MatrixXd& gradient, double mu)
{
    const int n = int(gradient.cols());
    const Eigen::LLT<Eigen::MatrixXd> llt(gauss_newton_matrix(cost, jacobian, n, mu));
    if (llt.info() != Eigen::Success || !(llt.rcond() >= kMinReciprocalCondition))
        throw common::RuntimeFailure("the Gauss-Newton matrix is singular or ill-conditioned (reciprocal condition " +
                                  common::format_double(llt.info() == Eigen::Success ? llt.rcond() : 0.0) +
                                  "): use an action weight or mu > 0");
    const Eigen::VectorXd delta = -llt.solve(gradient.reshaped());
    return delta.reshaped(gradient.rows(), gradient.cols());
}

double gauss_newton_predicted_decrease(const QuadraticCost& cost, const Eigen::MatrixXd& jacobian,
                                       const Eigen::MatrixXd& gradient, const Eigen::MatrixXd& delta, double mu)
{
    const int n = int(delta.cols());
    const Eigen::VectorXd jd = jacobian * delta.reshaped();
    const double curvature = jd.dot(cost.state_hessian_diagonal(n).cwiseProduct(jd)) +
                             (2 * cost.action_weight + mu) * delta.squaredNorm();
    return -(gradient.reshaped().dot(delta.reshaped()) + 0.5 * curvature);
}

std::string dense_size_problem(const sim::Model& model, const QuadraticCost& cost, int steps)
{
    const std::int64_t order = std::int64_t(steps) * model.n_p();
    const std::int64_t entries = (std::int64_t(steps) + 1) * cost.selection.size(model) * order;
    if (entries > kMaxJacobianEntries)
        return "the trajectory Jacobian would have " + std::to_string(entries) + " entries (limit " +
               std::to_string(kMaxJacobianEntries) + "); use fewer steps";
    if (order > kMaxDenseGaussNewtonOrder)
        return "the dense Gauss-Newton system would have order " + std::to_string(order) + " (limit " +
               std::to_string(kMaxDenseGaussNewtonOrder) + "); use fewer steps";
    return {};
}

GaussNewtonMethod choose_gauss_newton(const sim::Model& model)
{
    return 4 * model.n_x() + model.n_p() <= kRiccatiMaxState ? GaussNewtonMethod::kRiccati : GaussNewtonMethod::kDense;
}

namespace {

// z = [x; v; x_prev; v_prev; p] as one vector / rows
Eigen::MatrixXd stack(const sim::StateTangent& t)
{
    Eigen::MatrixXd out(4 * t.x.rows() + t.p.rows(), t.x.cols());
    out << t.x, t.v, t.x_prev, t.v_prev, t.p;
    return out;
}

} // namespace

Eigen::MatrixXd gauss_newton_step_riccati(sim::Simulator& sim, const QuadraticCost& cost,
                                          const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                          double mu)
{
    const sim::Model& m = sim.model();
    const int n = int(actions.cols()), nx = m.n_x(), na = m.n_p(), nz = 4 * nx + na;
    const int ns = int(cost.target.size());

    // linearised dynamics z_{t+1} = A_t z_t + B_t u_t, one tangent solve with nz + na columns
    const std::size_t steps = std::size_t(n);
    std::vector<Eigen::MatrixXd> a(steps), b(steps);
    {
        sim::StateTangent dz = sim::StateTangent::zero(m, nz + na), next;
        dz.x.leftCols(nx).setIdentity();
        dz.v.middleCols(nx, nx).setIdentity();
        dz.x_prev.middleCols(2 * nx, nx).setIdentity();
        dz.v_prev.middleCols(3 * nx, nx).setIdentity();
        dz.p.middleCols(4 * nx, na).setIdentity();
        Eigen::MatrixXd da = Eigen::MatrixXd::Zero(na, nz + na);
        da.rightCols(na).setIdentity();
        for (int t = 0; t < n; ++t) {
            sim::step_tangent(sim, states[std::size_t(t)], states[std::size_t(t) + 1], dz, da, next);
            const Eigen::MatrixXd ab = stack(next);
            a[std::size_t(t)] = ab.leftCols(nz);
            b[std::size_t(t)] = ab.rightCols(na);
        }
    }

    // cost in z: 1/2 z^T C^T Q C z + (C^T q)^T z, 1/2 u^T (R + mu I) u + r^T u
    sim::StateTangent unit = sim::StateTangent::zero(m, nz);
    unit.x.leftCols(nx).setIdentity();
    unit.v.middleCols(nx, nx).setIdentity();
    unit.x_prev.middleCols(2 * nx, nx).setIdentity();
    unit.v_prev.middleCols(3 * nx, nx).setIdentity();
    unit.p.middleCols(4 * nx, na).setIdentity();
    const Eigen::MatrixXd c = cost.selection.extract(m, unit); // ns x nz
    Eigen::VectorXd d_s;
    Eigen::MatrixXd d_a;
    cost.gradient(m, states, actions, d_s, d_a);
    const Eigen::VectorXd q = cost.state_hessian_diagonal(n);
    const double ru = 2 * cost.action_weight + mu;

    // backward recursion: value function 1/2 z^T P z + p^T z
    Eigen::MatrixXd p = c.transpose() * q.tail(ns).asDiagonal() * c;
    Eigen::VectorXd pv = c.transpose() * d_s.tail(ns);
    std::vector<Eigen::MatrixXd> gain(steps);
    std::vector<Eigen::VectorXd> feed(steps);
    for (int t = n - 1; t >= 0; --t) {
        const Eigen::MatrixXd& at = a[std::size_t(t)];
        const Eigen::MatrixXd& bt = b[std::size_t(t)];
        const Eigen::MatrixXd pb = p * bt;
        Eigen::MatrixXd huu = bt.transpose() * pb;
        huu.diagonal().array() += ru;
        const Eigen::MatrixXd hux = pb.transpose() * at;
        const Eigen::VectorXd hu = d_a.col(t) + bt.transpose() * pv;
        const Eigen::LLT<Eigen::MatrixXd> llt(huu);
        if (llt.info() != Eigen::Success || !(llt.rcond() >= kMinReciprocalCondition))
            throw common::RuntimeFailure("the Gauss-Newton system is singular or ill-conditioned at step " + std::to_string(t) +
                                      ": use an action weight or mu > 0");
        gain[std::size_t(t)] = -llt.solve(hux);
        feed[std::size_t(t)] = -llt.solve(hu);
        const Eigen::MatrixXd qz = c.transpose() * q.segment(Eigen::Index(t) * ns, ns).asDiagonal() * c;
        const Eigen::VectorXd qv = c.transpose() * d_s.segment(Eigen::Index(t) * ns, ns);
        Eigen::MatrixXd p_new = qz + at.transpose() * p * at + hux.transpose() * gain[std::size_t(t)];
        pv = qv + at.transpose() * pv + hux.transpose() * feed[std::size_t(t)];
        p = 0.5 * (p_new + p_new.transpose());
    }

    // forward pass from z_0 = 0 (the initial state is not a decision variable)
    Eigen::MatrixXd delta(na, n);
    Eigen::VectorXd z = Eigen::VectorXd::Zero(nz);
    for (int t = 0; t < n; ++t) {
        delta.col(t) = gain[std::size_t(t)] * z + feed[std::size_t(t)];
        z = a[std::size_t(t)] * z + b[std::size_t(t)] * delta.col(t);
    }
    return delta;
}

Eigen::MatrixXd gauss_newton_step(sim::Simulator& sim, const QuadraticCost& cost,
                                  const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                  double mu, GaussNewtonMethod method)
{
    if (method == GaussNewtonMethod::kAuto) method = choose_gauss_newton(sim.model());
    if (method == GaussNewtonMethod::kRiccati) return gauss_newton_step_riccati(sim, cost, states, actions, mu);
    const Eigen::MatrixXd j = sim::trajectory_jacobian(sim, states, cost.selection);
    const Eigen::MatrixXd grad = cost_gradient_jacobian(sim.model(), cost, states, actions, j);
    return gauss_newton_step_dense(cost, j, grad, mu);
}

} // namespace podsim::pods
