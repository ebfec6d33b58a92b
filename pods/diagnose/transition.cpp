// Transition Jacobians of one step (see transition.hpp).
#include "pods/diagnose/transition.hpp"

#include "sim/sensitivity.hpp"

#include <cassert>

namespace podsim::pods {

StepJacobians step_jacobians(sim::Simulator& sim, const sim::State& z, const sim::State& z_next)
{
    const sim::Model& m = sim.model();
    const int nx = m.n_x(), na = m.n_p(), nz = bdf_state_size(m);
    // tangent columns [identity of z | identity of a]
    sim::StateTangent dz = sim::StateTangent::zero(m, nz + na), next;
    dz.x.leftCols(nx).setIdentity();
    dz.v.middleCols(nx, nx).setIdentity();
    dz.x_prev.middleCols(2 * nx, nx).setIdentity();
    dz.v_prev.middleCols(3 * nx, nx).setIdentity();
    dz.p.middleCols(4 * nx, na).setIdentity();
    Eigen::MatrixXd da = Eigen::MatrixXd::Zero(na, nz + na);
    da.rightCols(na).setIdentity();
    sim::step_tangent(sim, z, z_next, dz, da, next);
    // stack the rows of z_next
    StepJacobians j;
    j.a.resize(nz, nz);
    j.b.resize(nz, na);
    j.a << next.x.leftCols(nz), next.v.leftCols(nz), next.x_prev.leftCols(nz), next.v_prev.leftCols(nz),
        next.p.leftCols(nz);
    j.b << next.x.rightCols(na), next.v.rightCols(na), next.x_prev.rightCols(na), next.v_prev.rightCols(na),
        next.p.rightCols(na);
    return j;
}

Eigen::MatrixXd observation_matrix(const sim::Model& model, const ObservationMap& obs)
{
    const int nx = model.n_x(), nz = bdf_state_size(model);
    // the selection applied to the identity tangent of z
    sim::StateTangent unit = sim::StateTangent::zero(model, nz);
    unit.x.leftCols(nx).setIdentity();
    unit.v.middleCols(nx, nx).setIdentity();
    unit.x_prev.middleCols(2 * nx, nx).setIdentity();
    unit.v_prev.middleCols(3 * nx, nx).setIdentity();
    unit.p.middleCols(4 * nx, model.n_p()).setIdentity();
    return obs.selection.extract(model, unit);
}

Eigen::MatrixXd closed_loop_transition(const StepJacobians& step, const Eigen::VectorXd& mask,
                                       const Eigen::MatrixXd& policy_jacobian, const Eigen::MatrixXd& observation)
{
    return step.a + step.b * (mask.asDiagonal() * (policy_jacobian * observation));
}

Eigen::MatrixXd closed_loop_plan_transition(std::span<const StepJacobians> steps, std::span<const Eigen::VectorXd> masks,
                                            const PolicyInputJacobian& policy_jacobian, const Eigen::MatrixXd& observation)
{
    const Eigen::Index nz = observation.cols(), na = policy_jacobian.handle_velocity.cols(), n = nz + na;
    assert(!steps.empty() && steps.size() == masks.size());
    // the plan's derivative with respect to zeta = (z_t, a_prev)
    Eigen::MatrixXd plan(policy_jacobian.obs.rows(), n);
    plan << policy_jacobian.obs * observation, policy_jacobian.handle_velocity;
    // dz_{t+i} / dzeta, stepped through the plan
    Eigen::MatrixXd dz = Eigen::MatrixXd::Identity(nz, n), da(na, n);
    for (std::size_t i = 0; i < steps.size(); ++i) {
        da = masks[i].asDiagonal() * plan.middleRows(Eigen::Index(i) * na, na);
        dz = steps[i].a * dz + steps[i].b * da;
    }
    Eigen::MatrixXd out(n, n);
    out << dz, da;
    return out;
}

} // namespace podsim::pods
