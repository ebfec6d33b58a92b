// Trajectory losses of H-NDP and their gradients through Policy::vjp (see trajectory_loss.hpp).
#include "pods/hndp/trajectory_loss.hpp"

#include <omp.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace podsim::pods::hndp {

namespace {

void require(bool ok, const char* what)
{
    if (!ok) throw std::invalid_argument(std::string("trajectory_loss: ") + what);
}

// the columns [b0, b0 + n) of a batch
TrajectoryBatch slice(const TrajectoryBatch& in, int b0, int n)
{
    TrajectoryBatch out;
    out.obs = in.obs.middleCols(b0, n);
    if (in.handle_velocity.size() != 0) out.handle_velocity = in.handle_velocity.middleCols(b0, n);
    out.start = in.start.middleCols(b0, n);
    out.target = in.target.middleCols(b0, n);
    out.weight = in.weight.segment(b0, n);
    return out;
}

} // namespace

Eigen::MatrixXd plan_positions(const Eigen::MatrixXd& actions, const Eigen::MatrixXd& start, double h)
{
    const int n = int(start.rows());
    require(n >= 1 && actions.rows() % n == 0 && actions.cols() == start.cols(),
            "actions must be (k n) x B for a start of n x B");
    const int k = int(actions.rows()) / n;
    Eigen::MatrixXd y(Eigen::Index(k + 1) * n, start.cols());
    y.topRows(n) = start;
    for (int j = 0; j < k; ++j) y.middleRows(Eigen::Index(j + 1) * n, n) = y.middleRows(Eigen::Index(j) * n, n) + h * actions.middleRows(Eigen::Index(j) * n, n);
    return y;
}

double trajectory_loss(const policy::Policy& policy, policy::PolicyWorkspace& ws, const TrajectoryBatch& batch,
                       double h, Eigen::VectorXd* gradient, Eigen::MatrixXd* positions)
{
    const int batch_size = int(batch.obs.cols()), n = int(batch.start.rows());
    const int action_rows = policy.horizon() * policy.n_act();
    require(batch.obs.rows() == policy.n_obs(), "observation rows must equal the policy's n_obs");
    require(n >= 1 && action_rows % n == 0, "the policy's plan rows must be a multiple of the start's rows");
    const int k = action_rows / n;
    require(batch.start.cols() == batch_size && batch.target.cols() == batch_size && batch.weight.size() == batch_size,
            "start, target and weight must have one column / entry per sample");
    require(batch.target.rows() == Eigen::Index(k + 1) * n, "target must be ((k + 1) n) x B");

    // plan, then positions and the weighted squared residual
    Eigen::MatrixXd actions;
    policy.act(batch.obs, batch.handle_velocity, actions, ws);
    Eigen::MatrixXd y = plan_positions(actions, batch.start, h);
    const Eigen::MatrixXd residual = y - batch.target;
    double value = 0;
    for (int b = 0; b < batch_size; ++b) value += batch.weight[b] * residual.col(b).squaredNorm();

    if (gradient != nullptr) {
        // dL/dy_j = 2 w (y_j - Y_j); y_j depends on a_i for i < j: a suffix sum over j > i
        Eigen::MatrixXd d_actions(action_rows, batch_size);
        for (int b = 0; b < batch_size; ++b) {
            Eigen::VectorXd suffix = Eigen::VectorXd::Zero(n);
            for (int j = k; j >= 1; --j) {
                suffix += 2 * batch.weight[b] * residual.col(b).segment(Eigen::Index(j) * n, n);
                d_actions.col(b).segment(Eigen::Index(j - 1) * n, n) = h * suffix;
            }
        }
        policy.vjp(ws, d_actions, *gradient, nullptr, nullptr);
    }
    if (positions != nullptr) *positions = std::move(y);
    return value;
}

double trajectory_loss_chunked(const policy::Policy& policy,
                               std::vector<std::unique_ptr<policy::PolicyWorkspace>>& workspaces,
                               const TrajectoryBatch& batch, double h, Eigen::VectorXd* gradient,
                               Eigen::MatrixXd* positions, int chunk, int threads)
{
    require(chunk >= 1, "chunk must be >= 1");
    const int batch_size = int(batch.obs.cols());
    const int chunks = (batch_size + chunk - 1) / chunk;
    while (int(workspaces.size()) < chunks) workspaces.push_back(policy.make_workspace());
    const auto n_chunks = std::size_t(chunks);
    std::vector<double> values(n_chunks, 0.0);
    std::vector<Eigen::VectorXd> grads(n_chunks);
    std::vector<Eigen::MatrixXd> ys(n_chunks);
    std::vector<std::string> errors(n_chunks);

    // chunks in parallel; exceptions stay inside the loop and are rethrown in chunk order
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads > 0 ? threads : omp_get_max_threads())
    for (int c = 0; c < chunks; ++c) {
        const int b0 = c * chunk, nb = std::min(chunk, batch_size - b0);
        try {
            values[std::size_t(c)] = trajectory_loss(policy, *workspaces[std::size_t(c)], slice(batch, b0, nb), h,
                                                     gradient ? &grads[std::size_t(c)] : nullptr,
                                                     positions ? &ys[std::size_t(c)] : nullptr);
        } catch (const std::exception& e) {
            errors[std::size_t(c)] = e.what();
        }
    }
    for (const std::string& e : errors)
        if (!e.empty()) throw std::invalid_argument(e);

    // reduce in chunk order
    double value = 0;
    if (gradient != nullptr) gradient->setZero(policy.n_params());
    if (positions != nullptr) positions->resize(batch.target.rows(), batch_size);
    for (int c = 0; c < chunks; ++c) {
        value += values[std::size_t(c)];
        if (gradient != nullptr) *gradient += grads[std::size_t(c)];
        if (positions != nullptr) positions->middleCols(Eigen::Index(c) * chunk, ys[std::size_t(c)].cols()) = ys[std::size_t(c)];
    }
    return value;
}

} // namespace podsim::pods::hndp
