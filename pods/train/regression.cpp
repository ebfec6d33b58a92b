// The PODS regression step (see regression.hpp).
#include "pods/train/regression.hpp"

#include "pods/improve/lq_model.hpp"
#include "pods/task/random.hpp"
#include "pods/train/workers.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
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

namespace {

// the metric rows of sample j: H_uu of the steps t .. t + k - 1 of its plan (identity past N)
void put_metric(const FeedbackLaw& law, int t, int k, int n, Eigen::Ref<Eigen::VectorXd> out)
{
    const int na = int(law.control_hessian[0].rows()), blk = na * na;
    for (int i = 0; i < k; ++i) {
        if (t + i < n) out.segment(Eigen::Index(i) * blk, blk) = law.control_hessian[std::size_t(t + i)].reshaped();
        else out.segment(Eigen::Index(i) * blk, blk) = Eigen::MatrixXd::Identity(na, na).reshaped();
    }
}

} // namespace

RegressionData improvement_samples(const sim::Model& model, const ObservationMap& obs_map,
                                   const std::vector<sim::State>& own_states, const Eigen::MatrixXd& own_actions,
                                   const std::vector<sim::State>& states, const Eigen::MatrixXd& actions,
                                   const FeedbackLaw& law, double alpha, int k, double limit, PodsTarget target,
                                   PodsMetric metric)
{
    RegressionData improved = regression_samples(model, obs_map, states, actions, k);
    // without a law, feedback keeps the paper's samples and on-policy takes a*_t at the own states
    const bool has_law = !law.empty();
    if (!has_law && target != PodsTarget::kOnPolicy) return improved;
    const int n = int(actions.cols()), na = int(actions.rows()), decisions = improved.size();
    const bool with_metric = has_law && metric == PodsMetric::kControlHessian;
    if (with_metric) {
        improved.metric.resize(Eigen::Index(k) * na * na, decisions);
        for (int j = 0; j < decisions; ++j) put_metric(law, j * k, k, n, improved.metric.col(j));
    }
    if (target == PodsTarget::kOpenLoop) return improved;

    // the feedback law's targets at the own rollout's decision states (a*_t where there is no law)
    RegressionData own;
    own.obs.resize(improved.obs.rows(), decisions);
    own.hv.setZero(na, decisions);
    own.target.setZero(improved.target.rows(), decisions);
    own.weight = improved.weight;
    if (with_metric) own.metric = improved.metric;
    Eigen::VectorXd a(na), predicted(na);
    for (int j = 0; j < decisions; ++j) {
        const int t = j * k;
        obs_map.observe(model, own_states[std::size_t(t)], own.obs.col(j));
        if (t > 0) own.hv.col(j) = own_actions.col(t - 1);
        for (int i = 0; i < k && t + i < n; ++i) {
            const auto s = std::size_t(t + i);
            // the law at the own state, unless it disagrees with the law's own linear prediction
            // a_t + alpha k_t by more than the step itself (the linearisation does not hold there)
            a = actions.col(t + i);
            if (has_law) {
                a.noalias() += law.gain[s] * (stacked_state(own_states[s]) - stacked_state(states[s]));
                predicted = own_actions.col(t + i) + alpha * law.feedforward.col(t + i);
                const double step = (actions.col(t + i) - own_actions.col(t + i)).cwiseAbs().maxCoeff();
                if ((a - predicted).cwiseAbs().maxCoeff() > step) a = predicted;
            }
            for (int c = 0; c < na; ++c) {
                const double star = actions(c, t + i);
                const bool on_bound = std::abs(star) >= limit * (1 - 1e-9);
                own.target(Eigen::Index(i) * na + c, j) = on_bound ? star : std::clamp(a[c], -limit, limit);
            }
        }
    }
    if (target == PodsTarget::kOnPolicy) return own;
    return concatenate({improved, own});
}

void normalize_metric(RegressionData& data)
{
    if (data.metric.size() == 0) return;
    const int k = int(data.weight.rows() / data.hv.rows()), na = int(data.hv.rows());
    double sum = 0;
    long long count = 0;
    for (int j = 0; j < data.size(); ++j)
        for (int i = 0; i < k; ++i) {
            if (data.weight(Eigen::Index(i) * na, j) == 0) continue;
            sum += data.metric.col(j).segment(Eigen::Index(i) * na * na, na * na).reshaped(na, na).trace() / na;
            ++count;
        }
    if (count > 0 && sum > 0) data.metric /= sum / double(count);
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
    // a metric when any part has one; the parts without get identity blocks
    const bool metric = std::any_of(parts.begin(), parts.end(), [](const RegressionData& p) { return p.metric.size() > 0; });
    const Eigen::Index na = f.hv.rows(), k = f.weight.rows() / std::max<Eigen::Index>(na, 1);
    if (metric) out.metric.resize(k * na * na, total);
    Eigen::Index c = 0;
    for (const RegressionData& p : parts) {
        if (p.size() == 0) continue;
        out.obs.middleCols(c, p.size()) = p.obs;
        out.hv.middleCols(c, p.size()) = p.hv;
        out.target.middleCols(c, p.size()) = p.target;
        out.weight.middleCols(c, p.size()) = p.weight;
        if (metric && p.metric.size() > 0) out.metric.middleCols(c, p.size()) = p.metric;
        else if (metric)
            for (Eigen::Index i = 0; i < k; ++i)
                for (Eigen::Index j = 0; j < p.size(); ++j)
                    out.metric.col(c + j).segment(i * na * na, na * na) = Eigen::MatrixXd::Identity(na, na).reshaped();
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
    double loss = 0;
    if (data.metric.size() == 0) {
        loss = 0.5 * pred.squaredNorm() / m;
    } else {
        // r_i^T H_i r_i per plan step; dL/dpi_i = H_i r_i / m (w is 0 or 1, r already masked)
        const Eigen::Index na = data.hv.rows(), k = pred.rows() / na;
        Eigen::VectorXd hr(na);
        for (Eigen::Index j = 0; j < pred.cols(); ++j)
            for (Eigen::Index i = 0; i < k; ++i) {
                const auto h = data.metric.col(j).segment(i * na * na, na * na).reshaped(na, na);
                auto r = pred.col(j).segment(i * na, na);
                hr.noalias() = h * r;
                loss += 0.5 * r.dot(hr);
                r = hr.cwiseProduct(data.weight.col(j).segment(i * na, na));
            }
        loss /= m;
    }
    if (proximal_value) *proximal_value = proximal > 0 ? 0.5 * proximal * old.squaredNorm() / m : 0.0;
    // dL/dpi = w .* (pi - a*) / m (w is 0 or 1; H w .* (pi - a*) with a metric), plus beta w .* (pi - pi_old) / m
    if (proximal > 0) pred += proximal * old;
    pred /= double(m);
    policy.vjp(ws, pred, grad, nullptr, nullptr);
    return loss;
}

double fit_policy(policy::Policy& policy, policy::Adam& adam, const RegressionData& data, int steps, int minibatch,
                  std::uint64_t seed, std::span<const std::unique_ptr<policy::PolicyWorkspace>> ws,
                  const Cluster& cluster, const FitExtraLoss& extra, double proximal)
{
    const RegressionData* one = &data;
    return fit_policy(policy, adam, std::span(&one, 1), steps, minibatch, seed, ws, cluster, extra, proximal);
}

double fit_policy(policy::Policy& policy, policy::Adam& adam, std::span<const RegressionData* const> parts, int steps,
                  int minibatch, std::uint64_t seed, std::span<const std::unique_ptr<policy::PolicyWorkspace>> ws,
                  const Cluster& cluster, const FitExtraLoss& extra, double proximal)
{
    // sample i of the parts in order: part where[i], column col[i] of it
    std::vector<int> where, col;
    bool has_metric = false;
    for (std::size_t p = 0; p < parts.size(); ++p) {
        const RegressionData& d = *parts[p];
        if (d.size() == 0) continue;
        const RegressionData& f = *parts[std::size_t(where.empty() ? int(p) : where[0])];
        if (d.obs.rows() != f.obs.rows() || d.hv.rows() != f.hv.rows() || d.target.rows() != f.target.rows())
            throw std::invalid_argument("fit_policy: the parts' samples differ in size");
        has_metric = has_metric || d.metric.size() > 0;
        for (int c = 0; c < d.size(); ++c) {
            where.push_back(int(p));
            col.push_back(c);
        }
    }
    const int s = int(where.size());
    if (s == 0 || steps == 0) return 0;
    const RegressionData& first = *parts[std::size_t(where[0])];
    // as concatenate: with a metric in any part, the parts without one get identity blocks
    const Eigen::Index na = first.hv.rows(), k = first.weight.rows() / std::max<Eigen::Index>(na, 1);
    Eigen::VectorXd identity_blocks;
    if (has_metric) identity_blocks = Eigen::MatrixXd::Identity(na, na).reshaped().replicate(k, 1);
    // the trust region's anchor: the policy's outputs before the fit, per part
    std::vector<Eigen::MatrixXd> anchor(parts.size());
    if (proximal > 0)
        for (std::size_t p = 0; p < parts.size(); ++p) anchor[p] = policy_outputs(policy, *parts[p], ws);
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
            ch.d.obs.resize(first.obs.rows(), count);
            ch.d.hv.resize(first.hv.rows(), count);
            ch.d.target.resize(first.target.rows(), count);
            ch.d.weight.resize(first.weight.rows(), count);
            ch.d.metric.resize(has_metric ? k * na * na : 0, has_metric ? count : 0);
            if (proximal > 0) ch.old.resize(first.target.rows(), count);
            for (int j = 0; j < count; ++j) {
                const std::size_t i = std::size_t(picked[std::size_t(begin + j)]), p = std::size_t(where[i]);
                const RegressionData& data = *parts[p];
                const int at = col[i];
                ch.d.obs.col(j) = data.obs.col(at);
                ch.d.hv.col(j) = data.hv.col(at);
                ch.d.target.col(j) = data.target.col(at);
                ch.d.weight.col(j) = data.weight.col(at);
                if (has_metric) ch.d.metric.col(j) = data.metric.size() > 0 ? data.metric.col(at) : identity_blocks;
                if (proximal > 0) ch.old.col(j) = anchor[p].col(at);
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
            Eigen::MatrixXd mb_obs(first.obs.rows(), m), mb_hv(first.hv.rows(), m);
            for (int c = 0; c < m; ++c) {
                const std::size_t i = std::size_t(picked[std::size_t(c)]);
                mb_obs.col(c) = parts[std::size_t(where[i])]->obs.col(col[i]);
                mb_hv.col(c) = parts[std::size_t(where[i])]->hv.col(col[i]);
            }
            extra(picked, mb_obs, mb_hv, grad);
        }
        params = policy.parameters();
        adam.step(params, grad);
        policy.set_parameters(params);
    }
    return loss_sum / steps;
}

RegressionData followed_targets(const RegressionData& data, const Eigen::MatrixXd& now, const Eigen::MatrixXd& then,
                                double follow, double limit)
{
    if (now.rows() != data.target.rows() || now.cols() != data.size() || then.rows() != now.rows() ||
        then.cols() != now.cols())
        throw std::invalid_argument("followed_targets: the outputs must be " + std::to_string(data.target.rows()) +
                                    " x " + std::to_string(data.size()));
    RegressionData moved = data;
    moved.target = (data.target + follow * (now - then)).cwiseMax(-limit).cwiseMin(limit);
    return moved;
}

double regression_loss(const policy::Policy& policy, const RegressionData& data, policy::PolicyWorkspace& ws)
{
    if (data.size() == 0) return 0;
    Eigen::MatrixXd pred;
    policy.act(data.obs, data.hv, pred, ws);
    pred = (pred - data.target).cwiseProduct(data.weight);
    if (data.metric.size() == 0) return 0.5 * pred.squaredNorm() / data.size();
    const Eigen::Index na = data.hv.rows(), k = pred.rows() / na;
    double loss = 0;
    for (Eigen::Index j = 0; j < pred.cols(); ++j)
        for (Eigen::Index i = 0; i < k; ++i) {
            const auto r = pred.col(j).segment(i * na, na);
            loss += 0.5 * r.dot(data.metric.col(j).segment(i * na * na, na * na).reshaped(na, na) * r);
        }
    return loss / data.size();
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
