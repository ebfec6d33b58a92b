// `podsim dmp fit` (DMP weights from a demonstration CSV) and `podsim dmp rollout` (trajectory.csv).
#include "apps/commands.hpp"
#include "policy/dmp_fit.hpp"
#include "policy/dmp_io.hpp"
#include "policy/limits.hpp"
#include "common/input_error.hpp"
#include "common/text_io.hpp"

#include <cmath>
#include <cstdio>
#include <memory>

namespace podsim::apps {

namespace {

struct DmpFitCliOptions {
    std::string demo;
    std::string out;
    int basis = 0;
    std::string kernel = "gaussian";
    std::string integrator = "euler";
    std::string scaling = "goal";
    double alpha = 25;
    double beta = 0;
    double a_x = 1;
    int steps = 0;
    double ridge = 1e-9;
};

struct DmpRolloutCliOptions {
    std::string dmp;
    std::string out;
    std::vector<double> goal;
};

void print_warnings(const policy::DmpModel& m)
{
    for (const std::string& w : policy::dmp_warnings(m)) std::fprintf(stderr, "podsim: warning: %s\n", w.c_str());
}

int run_fit(const DmpFitCliOptions& o)
{
    const policy::Demonstration demo = policy::read_demo_csv(o.demo);
    policy::DmpFitOptions f;
    f.config.basis = o.basis;
    f.config.kernel = policy::kernel_from_string(o.kernel);
    f.config.integrator = policy::integrator_from_string(o.integrator);
    f.config.scaling = policy::scaling_from_string(o.scaling);
    f.config.alpha = o.alpha;
    f.config.beta = o.beta > 0 ? o.beta : o.alpha / 4;
    f.config.a_x = o.a_x;
    f.steps = o.steps;
    f.ridge = o.ridge;
    policy::DmpFitResult r;
    try {
        r = policy::fit_dmp(demo, f);
    } catch (const std::invalid_argument& e) {
        throw common::InputError(o.demo + ": " + e.what());
    }
    print_warnings(r.dmp);
    common::write_file_atomic(o.out, policy::dmp_to_json(r.dmp).dump(2) + "\n");
    std::printf("fitted %d dimensions x %d basis (%s, %s, scaling %s), tau %g, %d steps; max reproduction error "
                "%.3g (%.3g of the range)\nwrote %s\n",
                r.dmp.dim(), r.dmp.config.basis, o.kernel.c_str(), o.integrator.c_str(), o.scaling.c_str(),
                r.dmp.config.tau, r.dmp.config.steps, r.max_error, r.relative_error, o.out.c_str());
    return 0;
}

int run_rollout(const DmpRolloutCliOptions& o)
{
    policy::DmpModel m = policy::read_dmp_json(o.dmp);
    if (!o.goal.empty()) {
        if (int(o.goal.size()) != m.dim())
            throw common::InputError("--goal: got " + std::to_string(o.goal.size()) + " values, must be dim = " +
                                  std::to_string(m.dim()));
        for (int d = 0; d < m.dim(); ++d) {
            const double g = o.goal[std::size_t(d)];
            if (!std::isfinite(g))
                throw common::InputError("--goal: value " + std::to_string(d + 1) + " = " + common::format_double(g) +
                                      ": must be a finite number");
            m.params.goal[d] = g;
        }
    }
    print_warnings(m);
    policy::DmpTrajectory t;
    try {
        t = policy::rollout(m);
    } catch (const std::invalid_argument& e) {
        throw common::InputError(o.dmp + ": " + e.what());
    }
    if (!t.y.allFinite() || !t.yd.allFinite() || !t.ydd.allFinite())
        throw common::RuntimeFailure(o.dmp + ": the trajectory overflows (non-finite values); check the magnitudes of "
                                  "weights, goal, y0 and yd0");
    common::ensure_directory(o.out);
    common::write_file_atomic(o.out + "/trajectory.csv", policy::trajectory_csv(m, t));
    std::printf("rolled out %d dimensions, %d steps of %g s\nwrote %s/trajectory.csv\n", m.dim(), m.config.steps,
                m.config.tau / m.config.steps, o.out.c_str());
    return 0;
}

} // namespace

void add_dmp_command(CLI::App& app, int& exit_code)
{
    CLI::App* dmp = app.add_subcommand("dmp", "Dynamic movement primitives: fit from a demonstration, roll out");
    dmp->require_subcommand(1);

    auto f = std::make_shared<DmpFitCliOptions>();
    CLI::App* fit = dmp->add_subcommand("fit", "Fit DMP weights to a demonstration CSV (time,<dim>,...)");
    fit->add_option("demo", f->demo, "Demonstration CSV: header time,<name>,... then one row per sample")->required();
    fit->add_option("--basis", f->basis, "Number of basis functions")
        ->required()
        ->check(CLI::Range(2, policy::kMaxDmpBasis));
    fit->add_option("--kernel", f->kernel, "Kernel")
        ->check(CLI::IsMember({"gaussian", "linear", "multiquadric", "inverse_quadric", "inverse_multiquadric"}));
    fit->add_option("--integrator", f->integrator, "Integrator")->check(CLI::IsMember({"euler", "rk4"}));
    fit->add_option("--scaling", f->scaling, "Forcing scale: goal (g - y0, NDP), none (1), amplitude (demo range)")
        ->check(CLI::IsMember({"goal", "none", "amplitude"}));
    fit->add_option("--alpha", f->alpha, "Spring constant alpha (default 25)")
        ->check(CLI::Range(policy::kMinDmpConstant, policy::kMaxDmpConstant));
    fit->add_option("--beta", f->beta, "Damping beta (default alpha / 4, critical)")
        ->check(CLI::Range(policy::kMinDmpConstant, policy::kMaxDmpConstant));
    fit->add_option("--a-x", f->a_x, "Phase decay a_x (default 1)")
        ->check(CLI::Range(policy::kMinDmpConstant, policy::kMaxDmpPhaseDecay));
    fit->add_option("--steps", f->steps, "Integration steps (default: samples - 1)")
        ->check(CLI::Range(1, policy::kMaxDmpSteps));
    fit->add_option("--ridge", f->ridge, "Relative ridge regularisation (default 1e-9)")->check(CLI::Range(0.0, 1e6));
    fit->add_option("--out", f->out, "Output DMP JSON file")->required();
    fit->callback([f, &exit_code] { exit_code = run_fit(*f); });

    auto r = std::make_shared<DmpRolloutCliOptions>();
    CLI::App* roll = dmp->add_subcommand("rollout", "Integrate a DMP JSON file into DIR/trajectory.csv");
    roll->add_option("dmp", r->dmp, "DMP JSON file")->required();
    roll->add_option("--goal", r->goal, "Override the goal (one value per dimension)")->delimiter(',');
    roll->add_option("--out", r->out, "Output directory")->required();
    roll->callback([r, &exit_code] { exit_code = run_rollout(*r); });
}

} // namespace podsim::apps
