// Task cost terms (see cost.hpp).
#include "pods/cost.hpp"

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

} // namespace podsim::pods
