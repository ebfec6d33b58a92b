// `podsim imitate`: H-NDP, a single NDP and a plain MLP trajectory head learn to write digits
// from images (docs/hndp.md); `--draw-demos DIR` writes the generated digit strokes instead.
#include "apps/commands.hpp"
#include "pods/hndp/digit_data.hpp"
#include "pods/hndp/digit_strokes.hpp"
#include "pods/hndp/imitation.hpp"
#include "pods/hndp/imitation_io.hpp"
#include "policy/policy_io.hpp"
#include "common/input_error.hpp"
#include "common/text_io.hpp"

#include <cstdio>
#include <memory>

namespace podsim::apps {

namespace {

struct ImitateCliOptions {
    pods::hndp::ImitationConfig config;
    std::string demos = "scenes/demos/digits";
    std::string out;
    std::string draw;
    int plot_samples = 2;
};

int run_draw(const std::string& dir)
{
    common::ensure_directory(dir);
    for (int d = 0; d <= 9; ++d) {
        const std::string file = dir + "/digit_" + std::to_string(d) + ".csv";
        common::write_file_atomic(file, pods::hndp::demo_csv_text(pods::hndp::draw_digit(d)));
    }
    std::printf("wrote %s/digit_0.csv .. digit_9.csv (201 samples over 1 s each)\n", dir.c_str());
    return 0;
}

int run_imitate(const ImitateCliOptions& o)
{
    if (!o.draw.empty()) return run_draw(o.draw);
    if (o.out.empty()) throw common::InputError("--out: required (unless --draw-demos)");
    try {
        pods::hndp::validate_imitation_config(o.config);
    } catch (const std::invalid_argument& e) {
        throw common::InputError(std::string("options: ") + e.what());
    }
    const auto strokes = pods::hndp::read_digit_strokes(o.demos, o.config.plan_steps);
    const pods::hndp::ImitationResult r = pods::hndp::run_imitation(strokes, o.config);

    common::ensure_directory(o.out);
    common::ensure_directory(o.out + "/policies");
    common::write_file_atomic(o.out + "/results.json", pods::hndp::imitation_results_json(r, o.config).dump(2) + "\n");
    const std::string table = pods::hndp::imitation_table(r, o.config);
    common::write_file_atomic(o.out + "/table.md", table);
    common::write_file_atomic(o.out + "/log.csv", pods::hndp::imitation_log_csv(r));
    common::write_file_atomic(o.out + "/strokes.csv", pods::hndp::imitation_strokes_csv(r, o.config, o.plot_samples));
    common::write_file_atomic(o.out + "/images.csv", pods::hndp::imitation_images_csv(r, o.config, o.plot_samples));
    for (const pods::hndp::MethodResult& m : r.methods)
        policy::write_policy_json(o.out + "/policies/" + m.method + ".json", *m.policy);
    std::printf("%swrote %s/results.json, table.md, log.csv, strokes.csv, images.csv, policies/\n", table.c_str(),
                o.out.c_str());
    return 0;
}

} // namespace

void add_imitate_command(CLI::App& app, int& exit_code)
{
    auto o = std::make_shared<ImitateCliOptions>();
    pods::hndp::ImitationConfig& c = o->config;
    CLI::App* cmd = app.add_subcommand("imitate", "Digit writing from images: H-NDP vs a single NDP vs a plain MLP");
    cmd->add_option("--demos", o->demos, "Folder with digit_0.csv .. digit_9.csv (time,x,y)")->capture_default_str();
    cmd->add_option("--out", o->out, "Output directory");
    cmd->add_option("--draw-demos", o->draw, "Write podsim's generated digit strokes into this folder and exit");
    cmd->add_option("--methods", c.methods, "Methods: hndp, hndp-no-refine, ndp, mlp")
        ->delimiter(',')
        ->check(CLI::IsMember(pods::hndp::kImitationMethods));
    cmd->add_option("--seed", c.seed, "Seed of every random choice")->check(seed_range())->capture_default_str();
    cmd->add_option("--threads", c.threads, "OpenMP threads (results do not depend on it; 0: default)")
        ->check(CLI::Range(0, 1024));
    cmd->add_option("--iterations", c.iterations, "Local-to-global iterations")->check(CLI::Range(1, 100))->capture_default_str();
    cmd->add_option("--demos-per-digit", c.demos_per_digit, "Labelled transforms per digit")
        ->check(CLI::Range(1, 10000))->capture_default_str();
    cmd->add_option("--relabel", c.relabel_per_digit, "Transforms per digit and iteration labelled by the locals")
        ->check(CLI::Range(1, 10000))->capture_default_str();
    cmd->add_option("--test", c.test_per_digit, "Held-out test transforms per digit")->check(CLI::Range(1, 10000))->capture_default_str();
    cmd->add_option("--local-steps", c.local_steps, "Adam steps per local and iteration")->check(CLI::Range(1, 1000000))->capture_default_str();
    cmd->add_option("--global-steps", c.global_steps, "Adam steps of the global per iteration")
        ->check(CLI::Range(1, 1000000))->capture_default_str();
    cmd->add_option("--minibatch", c.minibatch, "Samples per Adam step and loss term")->check(CLI::Range(1, 100000))->capture_default_str();
    cmd->add_option("--pull-weight", c.pull_weight, "alpha_i where the global succeeds on digit i")
        ->check(finite_non_negative())->capture_default_str();
    cmd->add_option("--success-fraction", c.success_fraction, "Success: mean distance below this fraction of the height")
        ->check(CLI::Range(1e-6, 10.0))->capture_default_str();
    cmd->add_option("--plot-samples", o->plot_samples, "Test samples per digit in strokes.csv / images.csv")
        ->check(CLI::Range(1, 10000))->capture_default_str();
    cmd->callback([o, &exit_code] { exit_code = run_imitate(*o); });
}

} // namespace podsim::apps
