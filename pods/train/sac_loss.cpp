// SAC's losses with their gradients (see sac_loss.hpp).
#include "pods/train/sac_loss.hpp"

#include "pods/train/chunks.hpp"
#include "pods/train/regression.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace podsim::pods {

namespace {

// the critics' input [state, action] of a chunk
void critic_input(const Eigen::Ref<const Eigen::MatrixXd>& state, const Eigen::Ref<const Eigen::MatrixXd>& action,
                  Eigen::MatrixXd& in)
{
    in.resize(state.rows() + action.rows(), state.cols());
    in.topRows(state.rows()) = state;
    in.bottomRows(action.rows()) = action;
}

// the actor's samples a = a_max tanh(z(o) + sigma eps) at columns [begin, begin + count) of `obs`
void actor_samples(const SacActor& actor, const Eigen::MatrixXd& obs, const Eigen::MatrixXd& eps, int begin, int count,
                   policy::MlpWorkspace& ws, Eigen::MatrixXd& z, Eigen::MatrixXd& action, Eigen::VectorXd& log_prob)
{
    actor.net.forward(obs.middleCols(begin, count), z, ws);
    squashed_gaussian_sample(z, actor.log_std, eps.middleCols(begin, count), actor.limit, action, log_prob);
}

} // namespace

double log1m_tanh_squared(double u)
{
    // softplus(x) = log(1 + e^x), evaluated without overflow
    const double x = -2 * u;
    const double softplus = x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    return 2 * (std::numbers::ln2 - u - softplus);
}

void squashed_gaussian_sample(const Eigen::MatrixXd& z, const Eigen::VectorXd& log_std, const Eigen::MatrixXd& eps,
                              double limit, Eigen::MatrixXd& action, Eigen::VectorXd& log_prob)
{
    const Eigen::Index na = z.rows(), b = z.cols();
    const double half_log_2pi = 0.5 * std::log(2 * std::numbers::pi);
    action.resize(na, b);
    log_prob.resize(b);
    for (Eigen::Index j = 0; j < b; ++j) {
        double lp = 0;
        for (Eigen::Index c = 0; c < na; ++c) {
            const double e = eps(c, j), u = z(c, j) + std::exp(log_std[c]) * e;
            action(c, j) = limit * std::tanh(u);
            lp += -0.5 * e * e - log_std[c] - half_log_2pi - log1m_tanh_squared(u);
        }
        log_prob[j] = lp;
    }
}

void sac_targets(const SacActor& actor, const policy::Mlp& target1, const policy::Mlp& target2, const SacBatch& batch,
                 double alpha, double gamma, std::span<SacLossWorkspace> ws, Eigen::VectorXd& y)
{
    const int m = batch.size();
    y.resize(m);
    for_each_chunk(m, kFitChunk, ws, [&](int, int begin, int count, SacLossWorkspace& w) {
        Eigen::MatrixXd z, a, in, q1, q2;
        Eigen::VectorXd log_prob;
        actor_samples(actor, batch.next_obs, batch.next_eps, begin, count, w.actor, z, a, log_prob);
        critic_input(batch.next_state.middleCols(begin, count), a, in);
        target1.forward(in, q1, w.q1);
        target2.forward(in, q2, w.q2);
        for (int j = 0; j < count; ++j) {
            const double soft_value = std::min(q1(0, j), q2(0, j)) - alpha * log_prob[j];
            y[begin + j] = batch.reward[begin + j] + gamma * batch.not_done[begin + j] * soft_value;
        }
    });
}

double sac_critic_loss(const policy::Mlp& q1, const policy::Mlp& q2, const SacBatch& batch, const Eigen::VectorXd& y,
                       std::span<SacLossWorkspace> ws, Eigen::VectorXd& d_q1, Eigen::VectorXd& d_q2)
{
    const int m = batch.size();
    struct Chunk {
        Eigen::VectorXd g1, g2;
        double loss = 0;
    };
    std::vector<Chunk> part(static_cast<std::size_t>(chunk_count(m, kFitChunk)));
    const double inv_m = 1.0 / std::max(m, 1);
    for_each_chunk(m, kFitChunk, ws, [&](int c, int begin, int count, SacLossWorkspace& w) {
        Chunk& ch = part[std::size_t(c)];
        Eigen::MatrixXd in, out;
        critic_input(batch.state.middleCols(begin, count), batch.action.middleCols(begin, count), in);
        // one critic's half of L_Q and its gradient
        auto regress = [&](const policy::Mlp& q, policy::MlpWorkspace& qws, Eigen::VectorXd& grad) {
            q.forward(in, out, qws);
            out -= y.segment(begin, count).transpose();
            ch.loss += 0.5 * inv_m * out.squaredNorm();
            out *= inv_m;
            q.backward(qws, out, grad, nullptr);
        };
        ch.loss = 0;
        regress(q1, w.q1, ch.g1);
        regress(q2, w.q2, ch.g2);
    });
    double loss = 0;
    d_q1.setZero(q1.n_params());
    d_q2.setZero(q2.n_params());
    for (const Chunk& ch : part) {
        d_q1 += ch.g1;
        d_q2 += ch.g2;
        loss += ch.loss;
    }
    return loss;
}

SacActorLoss sac_actor_loss(const SacActor& actor, const policy::Mlp& q1, const policy::Mlp& q2, const SacBatch& batch,
                            double alpha, std::span<SacLossWorkspace> ws, Eigen::VectorXd& d_params,
                            Eigen::VectorXd& d_log_std)
{
    const int m = batch.size(), na = int(actor.log_std.size()), ns = int(batch.state.rows());
    const Eigen::VectorXd sigma = actor.log_std.array().exp();
    struct Chunk {
        Eigen::VectorXd grad, d_ls;
        SacActorLoss sum;
    };
    std::vector<Chunk> part(static_cast<std::size_t>(chunk_count(m, kFitChunk)));
    const double inv_m = 1.0 / std::max(m, 1);
    for_each_chunk(m, kFitChunk, ws, [&](int c, int begin, int count, SacLossWorkspace& w) {
        Chunk& ch = part[std::size_t(c)];
        Eigen::MatrixXd z, a, in, out1, out2, dy1, dy2, dx1, dx2, d_u;
        Eigen::VectorXd log_prob, unused;
        actor_samples(actor, batch.obs, batch.eps, begin, count, w.actor, z, a, log_prob);
        critic_input(batch.state.middleCols(begin, count), a, in);
        q1.forward(in, out1, w.q1);
        q2.forward(in, out2, w.q2);
        // the smaller critic of each sample carries its gradient
        dy1.setZero(1, count);
        dy2.setZero(1, count);
        ch.sum = {};
        for (int j = 0; j < count; ++j) {
            const bool first = out1(0, j) <= out2(0, j);
            const double q = first ? out1(0, j) : out2(0, j);
            (first ? dy1 : dy2)(0, j) = -inv_m;
            ch.sum.loss += inv_m * (alpha * log_prob[j] - q);
            ch.sum.log_prob += inv_m * log_prob[j];
            ch.sum.q += inv_m * q;
        }
        q1.backward(w.q1, dy1, unused, &dx1);
        q2.backward(w.q2, dy2, unused, &dx2);
        // dL/du = alpha/M d log pi/du - dQ/da a_max (1 - tanh(u)^2), with d log pi/du = 2 tanh(u)
        d_u.resize(na, count);
        ch.d_ls = Eigen::VectorXd::Constant(na, -alpha * inv_m * count);
        for (int j = 0; j < count; ++j)
            for (int k = 0; k < na; ++k) {
                const double t = a(k, j) / actor.limit, d_a = dx1(ns + k, j) + dx2(ns + k, j);
                d_u(k, j) = alpha * inv_m * 2 * t + d_a * actor.limit * (1 - t * t);
                ch.d_ls[k] += d_u(k, j) * sigma[k] * batch.eps(k, begin + j);
            }
        actor.net.backward(w.actor, d_u, ch.grad, nullptr);
    });
    SacActorLoss total;
    d_params.setZero(actor.net.n_params());
    d_log_std.setZero(na);
    for (const Chunk& ch : part) {
        d_params += ch.grad;
        d_log_std += ch.d_ls;
        total.loss += ch.sum.loss;
        total.log_prob += ch.sum.log_prob;
        total.q += ch.sum.q;
    }
    return total;
}

double sac_temperature_loss(double log_alpha, double mean_log_prob, double target_entropy, double& d_log_alpha)
{
    d_log_alpha = -(mean_log_prob + target_entropy);
    return log_alpha * d_log_alpha;
}

void polyak_update(const policy::Mlp& source, double tau, policy::Mlp& target)
{
    target.set_parameters(tau * source.parameters() + (1 - tau) * target.parameters());
}

} // namespace podsim::pods
