#pragma once
// The objective of one BDF step and everything it depends on, in one place: the inertia term
// through the predictor xhat (the state the step leaves), the potential terms through the handle
// positions p_{t+1} and the start-of-step positions x_t. Newton (bdf2.cpp) and every sensitivity
// (sensitivity.cpp) evaluate steps only through this class.

#include "sim/block_matrix.hpp"
#include "sim/energy_term.hpp"
#include "sim/model.hpp"
#include "sim/state.hpp"

#include <Eigen/Core>

#include <memory>
#include <vector>

namespace podsim::sim {

/// BDF coefficients of the step leaving a state with `t` steps taken:
/// xhat = c_x x_t + c_xp x_{t-1} + c_v h v_t + c_vp h v_{t-1}, gamma = c_gamma h^2.
struct BdfCoefficients {
    double c_x, c_xp, c_v, c_vp, c_gamma;
};
BdfCoefficients bdf_coefficients(int t);

/// What the step leaving a state z depends on besides the unknown free positions x and the
/// handle positions (which live in q). Filled by StepEnergy::begin / begin_from_result.
struct StepContext {
    int t = 0;                  ///< steps taken by z (the step is BDF1 when 0)
    BdfCoefficients c{};
    double gamma = 0;           ///< c_gamma h^2
    Eigen::VectorXd xhat;       ///< predictor (begin only; not needed by derivatives)
    Eigen::VectorXd x_start;    ///< y = x_t, the free positions at the start of the step
};

/// A tangent of the parts of z a step reads (n_x x k each; x_prev and v_prev are not read when
/// the step is BDF1).
struct StateTangentView {
    Eigen::Ref<const Eigen::MatrixXd> x, v, x_prev, v_prev;
};
/// A cotangent of the same parts, accumulated into.
struct StateCotangentView {
    Eigen::Ref<Eigen::MatrixXd> x, v, x_prev, v_prev;
};

/// The step objective
///   E(x; p', z) = 1/2 (x - xhat(z))^T M (x - xhat(z)) + gamma sum_k U_k(x, p', y),   y = z.x,
/// with its gradient and Hessian in x and products with its mixed second derivatives
///   E_xp = gamma U_xp                          (handles p' = p_{t+1})
///   E_xz dz = -M dxhat(dz) + gamma U_xy dz.x   (the state z the step leaves)
/// By the implicit function theorem a converged step's derivative is
///   H dx' = -(E_xp dp' + E_xz dz),  H = E_xx,
/// which is all step_tangent, step_adjoint and trajectory_jacobian use. Per thread (owns
/// buffers and the terms' Hessian slots); the Model is shared.
class StepEnergy {
public:
    /// Sets up `matrix`'s pattern (dense or sparse) for the terms of `model`.
    StepEnergy(const Model& model, BlockMatrix& matrix, bool sparse);
    StepEnergy(StepEnergy&&) noexcept;
    StepEnergy& operator=(StepEnergy&&) noexcept;
    ~StepEnergy();

    const Model& model() const { return *m_model; }

    /// Context of the step leaving z (BDF1 when z.t == 0): coefficients, gamma, xhat, y = z.x.
    void begin(const State& z, StepContext& ctx) const;
    /// Context of the step that produced z_next (z_next.t >= 1), for derivatives: y =
    /// z_next.x_prev; xhat is left as it is.
    void begin_from_result(const State& z_next, StepContext& ctx) const;

    /// E at q = [x, p', fixed]; g = dE/dx (length n_x).
    double value_gradient(const Eigen::VectorXd& q, const StepContext& ctx, Eigen::VectorXd& g);

    /// matrix = M + gamma d2U/dx2 at q (overwritten), every element block PSD with `project`.
    void assemble_hessian(const Eigen::VectorXd& q, const StepContext& ctx, bool project,
                          BlockMatrix& matrix) const;

    /// out += scale * E_xp in (`in` n_p x k, `out` n_x x k).
    void add_handle_product(const Eigen::VectorXd& q, const StepContext& ctx, double scale,
                            const Eigen::Ref<const Eigen::MatrixXd>& in, Eigen::Ref<Eigen::MatrixXd> out) const;
    /// out += scale * E_xp^T in (`in` n_x x k, `out` n_p x k).
    void add_handle_product_transpose(const Eigen::VectorXd& q, const StepContext& ctx, double scale,
                                      const Eigen::Ref<const Eigen::MatrixXd>& in,
                                      Eigen::Ref<Eigen::MatrixXd> out) const;
    /// out += scale * E_xz dz (`out` n_x x k).
    void add_state_product(const Eigen::VectorXd& q, const StepContext& ctx, double scale,
                           const StateTangentView& dz, Eigen::Ref<Eigen::MatrixXd> out) const;
    /// bar += scale * E_xz^T w (`w` n_x x k); bar.x_prev, bar.v_prev untouched for BDF1.
    void add_state_product_transpose(const Eigen::VectorXd& q, const StepContext& ctx, double scale,
                                     const Eigen::Ref<const Eigen::MatrixXd>& w,
                                     StateCotangentView bar) const;

private:
    const Model* m_model;
    std::vector<std::unique_ptr<EnergyTerm>> m_terms;
    std::vector<const EnergyTerm*> m_start_terms; // the terms that depend on y
    Eigen::VectorXd m_grad_q, m_dx;
};

} // namespace podsim::sim
