// Task cost terms (see cost.hpp).
#include "pods/task/cost.hpp"

namespace podsim::pods {

namespace {

CostTerms state_terms(const sim::Model& model, const Task& task, const sim::State& z, const CostWeights& w)
{
    const int d = model.dim;
    CostTerms c;
    for (int h = 0; h < model.n_handles; ++h)
        c.p += (z.p.segment(h * d, d) - task.handle_target.col(h)).squaredNorm();
    for (std::size_t k = 0; k < task.payload.size(); ++k) {
        const int i = task.payload[k];
        c.x += (z.x.segment(i * d, d) - task.target.col(Eigen::Index(k))).squaredNorm();
        c.v += z.v.segment(i * d, d).squaredNorm();
    }
    c.p *= w.p;
    c.x *= w.x;
    c.v *= w.v;
    return c;
}

} // namespace

CostTerms step_cost(const sim::Model& model, const Task& task, const sim::State& z, const Eigen::VectorXd& a)
{
    CostTerms c = state_terms(model, task, z, task.weights);
    c.a = task.weights.a * a.squaredNorm();
    return c;
}

CostTerms terminal_cost(const sim::Model& model, const Task& task, const sim::State& z)
{
    return state_terms(model, task, z, task.terminal_weights);
}

QuadraticCost quadratic_cost(const sim::Model& model, const Task& task)
{
    const int d = model.dim, np = model.n_p(), k = int(task.payload.size());
    QuadraticCost c;
    c.selection.nodes = task.payload;
    const int ns = c.selection.size(model);
    c.target = Eigen::VectorXd::Zero(ns);
    c.target.head(np) = task.handle_target.reshaped();
    c.target.segment(np, d * k) = task.target.reshaped();
    auto weights = [&](const CostWeights& w) {
        Eigen::VectorXd out(ns);
        out.head(np).setConstant(w.p);
        out.segment(np, d * k).setConstant(w.x);
        out.tail(d * k).setConstant(w.v);
        return out;
    };
    c.weights = weights(task.weights);
    c.terminal_weights = weights(task.terminal_weights);
    c.action_weight = task.weights.a;
    return c;
}

double QuadraticCost::total(const sim::Model& model, const std::vector<sim::State>& states,
                            const Eigen::MatrixXd& actions) const
{
    const int n = int(actions.cols());
    double c = action_weight * actions.squaredNorm();
    Eigen::VectorXd e(target.size());
    for (int t = 0; t <= n; ++t) {
        selection.extract(model, states[std::size_t(t)], e);
        e -= target;
        c += e.dot((t < n ? weights : terminal_weights).cwiseProduct(e));
    }
    return c;
}

void QuadraticCost::gradient(const sim::Model& model, const std::vector<sim::State>& states,
                             const Eigen::MatrixXd& actions, Eigen::VectorXd& d_s, Eigen::MatrixXd& d_a) const
{
    const int n = int(actions.cols()), ns = int(target.size());
    d_s.resize(Eigen::Index(n + 1) * ns);
    for (int t = 0; t <= n; ++t) {
        auto e = d_s.segment(Eigen::Index(t) * ns, ns);
        selection.extract(model, states[std::size_t(t)], e);
        e = 2 * (t < n ? weights : terminal_weights).cwiseProduct(e - target);
    }
    d_a = 2 * action_weight * actions;
}

Eigen::VectorXd QuadraticCost::state_hessian_diagonal(int horizon) const
{
    const int ns = int(target.size());
    Eigen::VectorXd q(Eigen::Index(horizon + 1) * ns);
    for (int t = 0; t <= horizon; ++t) q.segment(Eigen::Index(t) * ns, ns) = 2 * (t < horizon ? weights : terminal_weights);
    return q;
}

} // namespace podsim::pods
