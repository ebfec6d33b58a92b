// Batched rollouts, steps and their adjoints (see batch.hpp).
#include "python/src/batch.hpp"

#include "common/input_error.hpp"
#include "pods/task/cost.hpp"
#include "python/src/arrays.hpp"
#include "sim/rollout.hpp"
#include "sim/sensitivity.hpp"

#include <omp.h>

#include <algorithm>

namespace podsim::python {

namespace {

int thread_count(int threads, int batch)
{
    const int t = threads > 0 ? threads : omp_get_max_threads();
    return std::max(1, std::min(t, batch));
}

// first failure of a parallel loop, rethrown after it (exceptions never cross the region)
void throw_first(const std::vector<std::string>& errors)
{
    for (std::size_t b = 0; b < errors.size(); ++b)
        if (!errors[b].empty()) throw common::RuntimeFailure("batch item " + std::to_string(b) + ": " + errors[b]);
}

void set_zero(sim::StateTangent& z)
{
    for (Eigen::MatrixXd* m : {&z.x, &z.v, &z.x_prev, &z.v_prev, &z.p}) m->setZero();
}

// flat [x, v, x_prev, v_prev, p] <-> State
sim::State from_flat(const sim::Model& m, const double* z, int t)
{
    const int nx = m.n_x(), np = m.n_p();
    sim::State s;
    s.t = t;
    s.x = Eigen::Map<const Eigen::VectorXd>(z, nx);
    s.v = Eigen::Map<const Eigen::VectorXd>(z + nx, nx);
    s.x_prev = Eigen::Map<const Eigen::VectorXd>(z + 2 * nx, nx);
    s.v_prev = Eigen::Map<const Eigen::VectorXd>(z + 3 * nx, nx);
    s.p = Eigen::Map<const Eigen::VectorXd>(z + 4 * nx, np);
    return s;
}

void to_flat(const sim::Model& m, const sim::State& s, double* z)
{
    const int nx = m.n_x(), np = m.n_p();
    Eigen::Map<Eigen::VectorXd>(z, nx) = s.x;
    Eigen::Map<Eigen::VectorXd>(z + nx, nx) = s.v;
    Eigen::Map<Eigen::VectorXd>(z + 2 * nx, nx) = s.x_prev;
    Eigen::Map<Eigen::VectorXd>(z + 3 * nx, nx) = s.v_prev;
    Eigen::Map<Eigen::VectorXd>(z + 4 * nx, np) = s.p;
}

// clamped actions and the pass-through mask (1 inside the limit, 0 where clamped)
void clamp(const pods::Task& task, const Eigen::Ref<const Eigen::MatrixXd>& a, Eigen::MatrixXd& applied, Eigen::MatrixXd& pass)
{
    applied = task.clamp(a);
    pass = (applied.array() == a.array()).cast<double>();
}

} // namespace

RolloutTape rollout_batch(const SceneHandle& scene, const double* actions, int batch, int steps,
                          const std::vector<sim::State>& initial, int threads, double* positions,
                          double* velocities, double* rewards)
{
    const SceneData& s = *scene;
    const sim::Model& m = s.model();
    const int na = m.n_p(), nodes = m.n_nodes(), d = m.dim;
    RolloutTape tape;
    tape.scene = scene;
    tape.steps = steps;
    tape.states.resize(std::size_t(batch));
    tape.applied.resize(std::size_t(batch));
    tape.pass.resize(std::size_t(batch));
    std::vector<std::string> errors(static_cast<std::size_t>(batch));
    const int n_threads = thread_count(threads, batch);
    std::vector<SimulatorPool::Lease> sims = s.rollouts.acquire(n_threads);

    const std::ptrdiff_t node_block = std::ptrdiff_t(nodes) * d;
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (int b = 0; b < batch; ++b) {
        sim::Simulator& sim = *sims[std::size_t(omp_get_thread_num())];
        const std::size_t i = std::size_t(b);
        clamp(s.task(), Eigen::Map<const Eigen::MatrixXd>(actions + std::ptrdiff_t(b) * steps * na, na, steps),
              tape.applied[i], tape.pass[i]);
        const sim::RolloutStats stats = sim::rollout(sim, initial[i], tape.applied[i], tape.states[i]);
        if (!stats.converged) {
            errors[i] = stats.failure.message(stats.failed_step);
            continue;
        }
        double* pos = positions + std::ptrdiff_t(b) * (steps + 1) * node_block;
        double* vel = velocities + std::ptrdiff_t(b) * (steps + 1) * node_block;
        double* rew = rewards + std::ptrdiff_t(b) * (steps + 1);
        for (int t = 0; t <= steps; ++t) {
            const sim::State& z = tape.states[i][std::size_t(t)];
            write_nodes(s, z, t > 0 ? tape.applied[i].col(t - 1).data() : nullptr, pos + t * node_block, vel + t * node_block);
            const pods::CostTerms c = t < steps ? pods::step_cost(m, s.task(), z, tape.applied[i].col(t))
                                                : pods::terminal_cost(m, s.task(), z);
            rew[t] = 0.0 - c.total();
        }
    }
    throw_first(errors);
    return tape;
}

void rollout_batch_adjoint(const RolloutTape& tape, const double* bar_positions, const double* bar_velocities,
                           const double* bar_rewards, int threads, double* bar_actions)
{
    const SceneData& s = *tape.scene;
    const sim::Model& m = s.model();
    const pods::QuadraticCost& cost = s.cost;
    const int batch = int(tape.states.size()), n = tape.steps, na = m.n_p(), nodes = m.n_nodes(), d = m.dim;
    const int ns = cost.selection.size(m);
    const std::ptrdiff_t node_block = std::ptrdiff_t(nodes) * d;
    std::vector<std::string> errors(static_cast<std::size_t>(batch));
    const int n_threads = thread_count(threads, batch);
    std::vector<SimulatorPool::Lease> sims = s.rollouts.acquire(n_threads);

#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (int b = 0; b < batch; ++b) {
        sim::Simulator& sim = *sims[std::size_t(omp_get_thread_num())];
        const std::size_t i = std::size_t(b);
        const std::vector<sim::State>& states = tape.states[i];
        const double* bar_pos = bar_positions + std::ptrdiff_t(b) * (n + 1) * node_block;
        const double* bar_vel = bar_velocities + std::ptrdiff_t(b) * (n + 1) * node_block;
        const double* bar_rew = bar_rewards + std::ptrdiff_t(b) * (n + 1);
        Eigen::Map<Eigen::MatrixXd> bar_a(bar_actions + std::ptrdiff_t(b) * n * na, na, n);
        bar_a.setZero();
        sim::StateTangent bar = sim::StateTangent::zero(m, 1), bar_prev = bar;
        sim::AdjointWorkspace ws;
        Eigen::VectorXd e(ns);
        try {
            for (int t = n; t >= 0; --t) {
                const sim::State& z = states[std::size_t(t)];
                // positions and velocities of z_t: free nodes are x_t, v_t; handles p_t and a_{t-1}
                for (int k = 0; k < nodes; ++k) {
                    const int node = m.file_order[std::size_t(k)];
                    const sim::Role role = m.nodes[std::size_t(node)].role;
                    const double* bp = bar_pos + t * node_block + std::ptrdiff_t(k) * d;
                    const double* bv = bar_vel + t * node_block + std::ptrdiff_t(k) * d;
                    for (int c = 0; c < d; ++c) {
                        if (role == sim::Role::kFree) {
                            bar.x(node * d + c, 0) += bp[c];
                            bar.v(node * d + c, 0) += bv[c];
                        } else if (role == sim::Role::kHandle) {
                            const int j = (node - m.first_handle()) * d + c;
                            bar.p(j, 0) += bp[c];
                            if (t > 0) bar_a(j, t - 1) += bv[c];
                        }
                    }
                }
                // reward r_t = -c_t: dc/ds = 2 w (s - s*), dc/da = 2 w_a a
                cost.selection.extract(m, z, e);
                e = (-2.0 * bar_rew[t]) * (t < n ? cost.weights : cost.terminal_weights).cwiseProduct(e - cost.target);
                cost.selection.add_transpose(m, e, bar);
                if (t < n) bar_a.col(t) += (-2.0 * bar_rew[t] * cost.action_weight) * tape.applied[i].col(t);
                if (t == 0) break;
                set_zero(bar_prev);
                sim::step_adjoint(sim, states[std::size_t(t - 1)], z, bar, bar_prev, bar_a.col(t - 1), ws);
                std::swap(bar, bar_prev);
            }
        } catch (const std::exception& ex) {
            errors[i] = ex.what();
            continue;
        }
        bar_a.array() *= tape.pass[i].array();
    }
    throw_first(errors);
}

int flat_state_size(const sim::Model& model) { return 4 * model.n_x() + model.n_p(); }

void write_flat_states(const sim::Model& model, const std::vector<sim::State>& z, double* flat)
{
    for (std::size_t b = 0; b < z.size(); ++b) to_flat(model, z[b], flat + std::ptrdiff_t(b) * flat_state_size(model));
}

void step_batch(const SceneData& s, const double* z, const double* actions, int batch, int t, int threads, double* z_next)
{
    const sim::Model& m = s.step_model;
    const int nz = flat_state_size(m), na = m.n_p();
    std::vector<std::string> errors(static_cast<std::size_t>(batch));
    const int n_threads = thread_count(threads, batch);
    std::vector<SimulatorPool::Lease> sims = s.steps.acquire(n_threads);

#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (int b = 0; b < batch; ++b) {
        sim::Simulator& sim = *sims[std::size_t(omp_get_thread_num())];
        const sim::State zb = from_flat(m, z + std::ptrdiff_t(b) * nz, t);
        Eigen::MatrixXd applied, pass;
        clamp(s.task(), Eigen::Map<const Eigen::VectorXd>(actions + std::ptrdiff_t(b) * na, na), applied, pass);
        sim::State next;
        const sim::StepStatus status = sim.step(zb, applied.col(0), next);
        if (!status.converged) {
            errors[std::size_t(b)] = status.message(t);
            continue;
        }
        to_flat(m, next, z_next + std::ptrdiff_t(b) * nz);
    }
    throw_first(errors);
}

void step_batch_adjoint(const SceneData& s, const double* z, const double* actions, const double* z_next,
                        const double* bar_z_next, int batch, int t, int threads, double* bar_z, double* bar_actions)
{
    const sim::Model& m = s.step_model;
    const int nz = flat_state_size(m), na = m.n_p();
    std::vector<std::string> errors(static_cast<std::size_t>(batch));
    const int n_threads = thread_count(threads, batch);
    std::vector<SimulatorPool::Lease> sims = s.steps.acquire(n_threads);

#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (int b = 0; b < batch; ++b) {
        sim::Simulator& sim = *sims[std::size_t(omp_get_thread_num())];
        const sim::State zb = from_flat(m, z + std::ptrdiff_t(b) * nz, t);
        const sim::State nb = from_flat(m, z_next + std::ptrdiff_t(b) * nz, t + 1);
        const sim::State bar_next_flat = from_flat(m, bar_z_next + std::ptrdiff_t(b) * nz, t + 1);
        sim::StateTangent bar_next{bar_next_flat.x, bar_next_flat.v, bar_next_flat.x_prev, bar_next_flat.v_prev, bar_next_flat.p};
        sim::StateTangent bar = sim::StateTangent::zero(m, 1);
        Eigen::MatrixXd applied, pass;
        clamp(s.task(), Eigen::Map<const Eigen::VectorXd>(actions + std::ptrdiff_t(b) * na, na), applied, pass);
        Eigen::Map<Eigen::MatrixXd> bar_a(bar_actions + std::ptrdiff_t(b) * na, na, 1);
        bar_a.setZero();
        try {
            sim::step_adjoint(sim, zb, nb, bar_next, bar, bar_a);
        } catch (const std::exception& ex) {
            errors[std::size_t(b)] = ex.what();
            continue;
        }
        bar_a.array() *= pass.array();
        const sim::State out{t, bar.x.col(0), bar.v.col(0), bar.x_prev.col(0), bar.v_prev.col(0), bar.p.col(0)};
        to_flat(m, out, bar_z + std::ptrdiff_t(b) * nz);
    }
    throw_first(errors);
}

} // namespace podsim::python
