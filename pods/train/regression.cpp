// The PODS regression step (see regression.hpp).
#include "pods/train/regression.hpp"

#include "pods/task/random.hpp"
#include "pods/train/workers.hpp"

#include <algorithm>
#include <numeric>
#include <random>

namespace podsim::pods {

RegressionData regression_samples(const sim::Model& model, const ObservationMap& obs_map,
                                  const std::vector<sim::State>& states, const Eigen::MatrixXd& actions, int k)
{
    const int n = int(actions.cols()), na = int(actions.rows()), decisions = (n + k - 1) / k;
    RegressionData d;
    d.obs.resize(obs_map.size(model), decisions);
    d.hv.setZero(na, decisions);
    d.target.setZero(Eigen::Index(k) * na, decisions);
    d.weight.setZero(Eigen::Index(k) * na, decisions);
    for (int j = 0; j < decisions; ++j) {
        const int t = j * k;
        obs_map.observe(model, states[std::size_t(t)], d.obs.col(j));
        if (t > 0) d.hv.col(j) = actions.col(t - 1);
        for (int i = 0; i < k && t + i < n; ++i) {
            d.target.block(Eigen::Index(i) * na, j, na, 1) = actions.col(t + i);
            d.weight.block(Eigen::Index(i) * na, j, na, 1).setOnes();
        }
    }
    return d;
}

RegressionData concatenate(const std::vector<RegressionData>& parts)
{
    RegressionData out;
    Eigen::Index total = 0;
    for (const RegressionData& p : parts) total += p.size();
    // the shapes from the first part with samples (a failed trajectory's part is empty)
    const auto first = std::find_if(parts.begin(), parts.end(), [](const RegressionData& p) { return p.size() > 0; });
    if (first == parts.end()) return out;
    const RegressionData& f = *first;
    out.obs.resize(f.obs.rows(), total);
    out.hv.resize(f.hv.rows(), total);
    out.target.resize(f.target.rows(), total);
    out.weight.resize(f.weight.rows(), total);
    Eigen::Index c = 0;
    for (const RegressionData& p : parts) {
        if (p.size() == 0) continue;
        out.obs.middleCols(c, p.size()) = p.obs;
        out.hv.middleCols(c, p.size()) = p.hv;
        out.target.middleCols(c, p.size()) = p.target;
        out.weight.middleCols(c, p.size()) = p.weight;
        c += p.size();
    }
    return out;
}

double regression_gradient(const policy::Policy& policy, const RegressionData& data, const Eigen::MatrixXd& anchor,
                           double proximal, int m, policy::PolicyWorkspace& ws, Eigen::VectorXd& grad, double* proximal_value)
{
    Eigen::MatrixXd pred, old;
    policy.act(data.obs, data.hv, pred, ws);
    if (proximal > 0) old = (pred - anchor).cwiseProduct(data.weight); // w .* (pi - pi_old)
    pred = (pred - data.target).cwiseProduct(data.weight);
    const double loss = 0.5 * pred.squaredNorm() / m;
    if (proximal_value) *proximal_value = proximal > 0 ? 0.5 * proximal * old.squaredNorm() / m : 0.0;
    // dL/dpi = w .* (pi - a*) / m (w is 0 or 1), plus beta w .* (pi - pi_old) / m
    if (proximal > 0) pred += proximal * old;
    pred /= double(m);
    policy.vjp(ws, pred, grad, nullptr, nullptr);
    return loss;
}

double fit_policy(policy::Policy& policy, policy::Adam& adam, const RegressionData& data, int steps, int minibatch,
                  std::uint64_t seed, std::span<const std::unique_ptr<policy::PolicyWorkspace>> ws,
                  const Cluster& cluster, const FitExtraLoss& extra, double proximal)
{
    const int s = data.size();
    if (s == 0 || steps == 0) return 0;
    // the trust region's anchor: the policy's outputs before the fit
    const Eigen::MatrixXd anchor = proximal > 0 ? policy_outputs(policy, data, ws) : Eigen::MatrixXd();
    const int m = std::min(minibatch, s), chunks = (m + kFitChunk - 1) / kFitChunk;
    std::mt19937_64 rng(seed);
    std::vector<int> order(static_cast<std::size_t>(s));
    std::iota(order.begin(), order.end(), 0);
    shuffle(order, rng);
    std::size_t cursor = 0;
    std::vector<int> picked(static_cast<std::size_t>(m));
    // per chunk: its samples, their outputs before the fit, gradient and loss
    struct Chunk {
        RegressionData d;
        Eigen::MatrixXd old;
        Eigen::VectorXd grad;
        double loss = 0;
    };
    std::vector<Chunk> part(static_cast<std::size_t>(chunks));
    Eigen::VectorXd grad(policy.n_params()), params;
    double loss_sum = 0;
    // every rank draws the same minibatches; each computes the chunks it owns
    const std::vector<int> mine = cluster.owned_batches(chunks);
    for (int step = 0; step < steps; ++step) {
        // the next minibatch of the permutation
        for (int c = 0; c < m; ++c) {
            if (cursor == order.size()) {
                shuffle(order, rng);
                cursor = 0;
            }
            picked[std::size_t(c)] = order[cursor++];
        }
        // L (+ P) of the minibatch and its gradient through the policy's VJP, chunk by chunk
#pragma omp parallel for num_threads(int(ws.size())) schedule(static)
        for (int q = 0; q < int(mine.size()); ++q) {
            const int c = mine[std::size_t(q)];
            Chunk& ch = part[std::size_t(c)];
            const int begin = c * kFitChunk, count = std::min(m, begin + kFitChunk) - begin;
            ch.d.obs.resize(data.obs.rows(), count);
            ch.d.hv.resize(data.hv.rows(), count);
            ch.d.target.resize(data.target.rows(), count);
            ch.d.weight.resize(data.weight.rows(), count);
            if (proximal > 0) ch.old.resize(anchor.rows(), count);
            for (int j = 0; j < count; ++j) {
                const int i = picked[std::size_t(begin + j)];
                ch.d.obs.col(j) = data.obs.col(i);
                ch.d.hv.col(j) = data.hv.col(i);
                ch.d.target.col(j) = data.target.col(i);
                ch.d.weight.col(j) = data.weight.col(i);
                if (proximal > 0) ch.old.col(j) = anchor.col(i);
            }
            ch.loss = regression_gradient(policy, ch.d, ch.old, proximal, m, *ws[std::size_t(thread_index())], ch.grad);
        }
        cluster.share_batches(
            chunks,
            [&](int c, WireWriter& w) {
                w.put(part[std::size_t(c)].loss);
                w.put_matrix(part[std::size_t(c)].grad);
            },
            [&](int c, WireReader& in) {
                part[std::size_t(c)].loss = in.get<double>();
                in.get_matrix(part[std::size_t(c)].grad);
            });
        grad.setZero();
        for (const Chunk& ch : part) {
            grad += ch.grad;
            loss_sum += ch.loss;
        }
        if (extra) {
            // the extra term on the same minibatch
            Eigen::MatrixXd mb_obs(data.obs.rows(), m), mb_hv(data.hv.rows(), m);
            for (int c = 0; c < m; ++c) {
                mb_obs.col(c) = data.obs.col(picked[std::size_t(c)]);
                mb_hv.col(c) = data.hv.col(picked[std::size_t(c)]);
            }
            extra(picked, mb_obs, mb_hv, grad);
        }
        params = policy.parameters();
        adam.step(params, grad);
        policy.set_parameters(params);
    }
    return loss_sum / steps;
}

double regression_loss(const policy::Policy& policy, const RegressionData& data, policy::PolicyWorkspace& ws)
{
    if (data.size() == 0) return 0;
    Eigen::MatrixXd pred;
    policy.act(data.obs, data.hv, pred, ws);
    return 0.5 * (pred - data.target).cwiseProduct(data.weight).squaredNorm() / data.size();
}

Eigen::MatrixXd policy_outputs(const policy::Policy& policy, const RegressionData& data,
                               std::span<const std::unique_ptr<policy::PolicyWorkspace>> ws)
{
    const int s = data.size(), chunks = (s + kFitChunk - 1) / kFitChunk;
    Eigen::MatrixXd out(data.target.rows(), s);
#pragma omp parallel num_threads(int(ws.size()))
    {
        Eigen::MatrixXd obs, hv, pred;
#pragma omp for schedule(static)
        for (int c = 0; c < chunks; ++c) {
            const int begin = c * kFitChunk, count = std::min(s, begin + kFitChunk) - begin;
            obs = data.obs.middleCols(begin, count);
            hv = data.hv.middleCols(begin, count);
            policy.act(obs, hv, pred, *ws[std::size_t(thread_index())]);
            out.middleCols(begin, count) = pred;
        }
    }
    return out;
}

} // namespace podsim::pods
