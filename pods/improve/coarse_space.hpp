#pragma once
// Conjugate gradients deflated by a time coarse space, for the matrix-free Gauss-Newton's cold
// solve (docs/optimization.md, "Matrix-free Gauss-Newton"). The coarse space Z holds the hat
// functions of a grid of every k-th step, per action component: the slowly varying action
// directions, where the rope's lightly damped modes put G's large eigenvalues. Deflated CG
// (Saad, Yeung, Erhel and Guyomarc'h 2000) keeps the residual orthogonal to Z and the search
// directions G-orthogonal to Z,
//   E = Z^T G Z,   x_0 = x + Z E^-1 Z^T r,   p = r + beta p - Z mu,   E mu = Z^T G r,
// so it runs on G restricted to the G-orthogonal complement of span(Z), where the spectrum is
// clustered: the same iterates as CG preconditioned by the two-level balancing preconditioner
//   H = (I - Z E^-1 Z^T G) (I - G Z E^-1 Z^T) + Z E^-1 Z^T   (symmetric positive definite).
// With T = J Z formed once (one multi-column tangent sweep, each column from its first step),
// Z^T G r = T^T Q (J r) + (R + mu) Z^T r and J p = J r + beta J p - T mu: an iteration is one
// tangent sweep (J r) and one adjoint sweep (G p), as a plain CG iteration.

#include "pods/improve/conjugate_gradient.hpp"
#include "pods/improve/gauss_newton_operator.hpp"

#include <Eigen/Core>

namespace podsim::pods {

/// The hat basis Z (N n_a x (J+1) n_a) of a grid with `spacing` k >= 1 steps over N steps of n_a
/// action components: column j n_a + i is phi_j(t) = max(0, 1 - |t - j k| / k) on component i
/// of step t (row t n_a + i, the flattened action layout), nodes j = 0..J, J = ceil((N-1)/k), so
/// that the columns sum to one on every row. Ordered by node, so by first non-zero step.
Eigen::MatrixXd time_hat_basis(int horizon, int actions, int spacing);

/// masked_conjugate_gradient's solve of G_FF x_F = (b - G_FC x_C)_F with G = `g`, deflated by the
/// hat basis of `spacing` restricted to the free components (its fixed rows zeroed, columns left
/// all zero dropped). Same contract (start and fixed values in `x`, options.tolerance on the
/// unpreconditioned residual, options.max_iterations, options.history of directions and
/// products; options.preconditioner is ignored). iterations counts the iterations, one product
/// each (one tangent and one adjoint sweep); the start costs one more (two if x is not zero), and
/// the coarse space one tangent sweep of coarse_columns columns. Falls back to plain CG's
/// iterations (coarse_columns = 0) if E is not well-conditioned positive definite.
CgResult deflated_conjugate_gradient(GaussNewtonOperator& g, const Eigen::VectorXd& b,
                                     const Eigen::Array<bool, Eigen::Dynamic, 1>& fixed, Eigen::VectorXd& x,
                                     const CgOptions& options, int spacing);

} // namespace podsim::pods
