// PPO's surrogate and value losses with their gradients (see ppo_loss.hpp).
#include "pods/train/ppo_loss.hpp"

#include "pods/train/chunks.hpp"
#include "pods/train/regression.hpp"
#include "policy/gaussian.hpp"

#include <algorithm>
#include <cmath>

namespace podsim::pods {

std::vector<PpoLossWorkspace> ppo_loss_workspaces(const policy::Policy& policy, int threads)
{
    std::vector<PpoLossWorkspace> ws(static_cast<std::size_t>(threads));
    for (PpoLossWorkspace& w : ws) w.policy = policy.make_workspace();
    return ws;
}

Eigen::VectorXd plan_log_std(const Eigen::VectorXd& log_std, int k) { return log_std.replicate(k, 1); }

namespace {

// the columns `picked[begin, begin + count)` of `from` into `to`
void gather(const Eigen::MatrixXd& from, std::span<const int> picked, int begin, int count, Eigen::MatrixXd& to)
{
    to.resize(from.rows(), count);
    for (int j = 0; j < count; ++j) to.col(j) = from.col(picked[std::size_t(begin + j)]);
}

} // namespace

PpoLoss ppo_policy_loss(const policy::Policy& policy, const Eigen::VectorXd& log_std, const PpoSamples& data,
                        std::span<const int> picked, const PpoLossSettings& settings, std::span<PpoLossWorkspace> ws,
                        Eigen::VectorXd& d_params, Eigen::VectorXd& d_log_std)
{
    const int m = int(picked.size()), k = policy.horizon(), na = int(log_std.size());
    const Eigen::VectorXd ls = plan_log_std(log_std, k);
    struct Chunk {
        Eigen::MatrixXd obs, hv, mean, d_mean;
        Eigen::VectorXd grad, d_ls;
        PpoLoss sum;
    };
    std::vector<Chunk> part(static_cast<std::size_t>(chunk_count(m, kFitChunk)));
    const double inv_m = 1.0 / std::max(m, 1);
    for_each_chunk(m, kFitChunk, ws, [&](int c, int begin, int count, PpoLossWorkspace& w) {
        Chunk& ch = part[std::size_t(c)];
        gather(data.obs, picked, begin, count, ch.obs);
        gather(data.hv, picked, begin, count, ch.hv);
        policy.act(ch.obs, ch.hv, ch.mean, *w.policy);
        ch.d_mean.setZero(ch.mean.rows(), count);
        ch.d_ls.setZero(ls.size());
        for (int j = 0; j < count; ++j) {
            const int i = picked[std::size_t(begin + j)];
            const auto u = data.action.col(i);
            const auto wt = data.weight.col(i);
            const double log_ratio = policy::gaussian_log_prob(u, ch.mean.col(j), ls, wt) - data.log_prob[i];
            const double rho = std::exp(log_ratio), a = data.advantage[i];
            const double clipped = std::clamp(rho, 1 - settings.clip, 1 + settings.clip);
            // the minimum picks the unclipped term (gradient rho A d log pi) unless clipping lowers it
            const bool unclipped = rho * a <= clipped * a;
            const double entropy = policy::gaussian_entropy(ls, wt);
            ch.sum.loss -= inv_m * (std::min(rho * a, clipped * a) + settings.entropy * entropy);
            ch.sum.entropy += inv_m * entropy;
            ch.sum.approx_kl += inv_m * (rho - 1 - log_ratio);
            ch.sum.clip_fraction += inv_m * (std::abs(rho - 1) > settings.clip ? 1 : 0);
            if (unclipped)
                policy::add_gaussian_log_prob_gradient(u, ch.mean.col(j), ls, wt, -inv_m * rho * a, ch.d_mean.col(j), ch.d_ls);
            ch.d_ls -= inv_m * settings.entropy * wt;
        }
        policy.vjp(*w.policy, ch.d_mean, ch.grad, nullptr, nullptr);
    });
    PpoLoss total;
    d_params.setZero(policy.n_params());
    Eigen::VectorXd d_ls = Eigen::VectorXd::Zero(ls.size());
    for (const Chunk& ch : part) {
        d_params += ch.grad;
        d_ls += ch.d_ls;
        total.loss += ch.sum.loss;
        total.entropy += ch.sum.entropy;
        total.approx_kl += ch.sum.approx_kl;
        total.clip_fraction += ch.sum.clip_fraction;
    }
    d_log_std.setZero(na);
    for (int step = 0; step < k; ++step) d_log_std += d_ls.segment(Eigen::Index(step) * na, na);
    return total;
}

double ppo_value_loss(const policy::Mlp& value, const PpoSamples& data, std::span<const int> picked,
                      std::span<PpoLossWorkspace> ws, Eigen::VectorXd& d_params)
{
    const int m = int(picked.size());
    struct Chunk {
        Eigen::MatrixXd in, out;
        Eigen::VectorXd grad;
        double loss = 0;
    };
    std::vector<Chunk> part(static_cast<std::size_t>(chunk_count(m, kFitChunk)));
    const double inv_m = 1.0 / std::max(m, 1);
    for_each_chunk(m, kFitChunk, ws, [&](int c, int begin, int count, PpoLossWorkspace& w) {
        Chunk& ch = part[std::size_t(c)];
        gather(data.value_in, picked, begin, count, ch.in);
        value.forward(ch.in, ch.out, w.value);
        for (int j = 0; j < count; ++j) ch.out(0, j) -= data.target[picked[std::size_t(begin + j)]];
        ch.loss = 0.5 * inv_m * ch.out.squaredNorm();
        ch.out *= inv_m;
        value.backward(w.value, ch.out, ch.grad, nullptr);
    });
    double loss = 0;
    d_params.setZero(value.n_params());
    for (const Chunk& ch : part) {
        d_params += ch.grad;
        loss += ch.loss;
    }
    return loss;
}

} // namespace podsim::pods
