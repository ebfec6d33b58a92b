// The files of `podsim imitate` (see imitation_io.hpp).
#include "pods/hndp/imitation_io.hpp"

#include "common/text_io.hpp"

#include <algorithm>
#include <cstdio>

namespace podsim::pods::hndp {

namespace {

nlohmann::json score_json(const SetScore& s)
{
    return {{"success", s.success},
            {"error", s.error},
            {"success_per_digit", std::vector<double>(s.success_per_digit.begin(), s.success_per_digit.end())},
            {"error_per_digit", std::vector<double>(s.error_per_digit.begin(), s.error_per_digit.end())}};
}

void add(std::string& out, double v)
{
    out += ",";
    common::append_double(out, v);
}

} // namespace

nlohmann::json imitation_results_json(const ImitationResult& r, const ImitationConfig& c)
{
    nlohmann::json config = {{"methods", c.methods},
                             {"seed", c.seed},
                             {"plan_steps", c.plan_steps},
                             {"substeps", c.substeps},
                             {"basis", c.basis},
                             {"image_size", c.image_size},
                             {"demos_per_digit", c.demos_per_digit},
                             {"relabel_per_digit", c.relabel_per_digit},
                             {"test_per_digit", c.test_per_digit},
                             {"iterations", c.iterations},
                             {"local_steps", c.local_steps},
                             {"global_steps", c.global_steps},
                             {"minibatch", c.minibatch},
                             {"local_lr", c.local_lr},
                             {"global_lr", c.global_lr},
                             {"local_hidden", c.local_hidden},
                             {"global_hidden", c.global_hidden},
                             {"pull_weight", c.pull_weight},
                             {"region_success", c.region_success},
                             {"success_fraction", c.success_fraction}};
    nlohmann::json methods = nlohmann::json::array();
    for (const MethodResult& m : r.methods)
        methods.push_back({{"method", m.method}, {"train", score_json(m.train)}, {"test", score_json(m.test)},
                           {"train_s", m.train_s}});
    return {{"config", config}, {"methods", methods}};
}

std::string imitation_table(const ImitationResult& r, const ImitationConfig& c)
{
    char line[256];
    std::string out = "| method | test success | test error (mean distance / height) | train success | training s |\n"
                      "|---|---|---|---|---|\n";
    for (const MethodResult& m : r.methods) {
        std::snprintf(line, sizeof line, "| %s | %.2f | %.4f | %.2f | %.1f |\n", m.method.c_str(), m.test.success,
                      m.test.error, m.train.success, m.train_s);
        out += line;
    }
    std::snprintf(line, sizeof line, "\nsuccess: mean distance below %g of the digit's height; %d test transforms per digit\n",
                  c.success_fraction, c.test_per_digit);
    return out + line;
}

std::string imitation_log_csv(const ImitationResult& r)
{
    std::string out = "method,iteration,wall_s,local_s,relabel_s,global_s,evaluate_s,local_loss,pull_loss,pulled_regions,"
                      "bc_loss,demo_loss,local_train_success,train_success,test_success,test_error\n";
    for (const IterationLog& l : r.log) {
        out += l.method + "," + std::to_string(l.iteration);
        for (double v : {l.wall_s, l.local_s, l.relabel_s, l.global_s, l.evaluate_s, l.local_loss, l.pull_loss})
            add(out, v);
        out += "," + std::to_string(l.pulled_regions);
        for (double v : {l.bc_loss, l.demo_loss, l.local_train.success, l.train.success, l.test.success, l.test.error})
            add(out, v);
        out += "\n";
    }
    return out;
}

std::string imitation_strokes_csv(const ImitationResult& r, const ImitationConfig& c, int samples)
{
    std::string out = "method,digit,sample,step,x,y,target_x,target_y\n";
    const int per = c.test_per_digit, shown = std::min(samples, per);
    for (const MethodResult& m : r.methods)
        for (int d = 0; d < 10; ++d)
            for (int s = 0; s < shown; ++s) {
                const int b = d * per + s;
                const DigitSample& t = r.test[std::size_t(b)];
                for (int j = 0; j <= c.plan_steps; ++j) {
                    out += m.method + "," + std::to_string(d) + "," + std::to_string(s) + "," + std::to_string(j);
                    add(out, m.test_plans(2 * j, b));
                    add(out, m.test_plans(2 * j + 1, b));
                    add(out, t.target[2 * j]);
                    add(out, t.target[2 * j + 1]);
                    out += "\n";
                }
            }
    return out;
}

std::string imitation_images_csv(const ImitationResult& r, const ImitationConfig& c, int samples)
{
    std::string out = "digit,sample,row,col,intensity\n";
    const int per = c.test_per_digit, shown = std::min(samples, per), n = c.image_size;
    for (int d = 0; d < 10; ++d)
        for (int s = 0; s < shown; ++s) {
            const DigitSample& t = r.test[std::size_t(d * per + s)];
            for (int row = 0; row < n; ++row)
                for (int col = 0; col < n; ++col) {
                    out += std::to_string(d) + "," + std::to_string(s) + "," + std::to_string(row) + "," + std::to_string(col);
                    add(out, t.image[row * n + col]);
                    out += "\n";
                }
        }
    return out;
}

} // namespace podsim::pods::hndp
