// `podsim validate SCENE...`: loads and checks scene files, one line per file.
#include "apps/commands.hpp"
#include "pods/task/scene.hpp"
#include "common/input_error.hpp"

#include <iostream>
#include <memory>
#include <string>

namespace podsim::apps {

void add_validate_command(CLI::App& app, int& exit_code)
{
    auto files = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = app.add_subcommand("validate", "Check scene files and print a one-line summary of each");
    cmd->add_option("scenes", *files, "Scene JSON files")->required();
    cmd->callback([files, &exit_code] {
        for (const std::string& f : *files) {
            try {
                const pods::Scene s = pods::load_scene(f);
                std::cout << "ok: " << f << ": " << s.model.dim << "D, " << s.model.n_nodes() << " nodes ("
                          << s.model.n_free << " free, " << s.model.n_handles << " handles, "
                          << s.model.n_fixed << " fixed), " << s.model.springs.size() << " springs, "
                          << (s.model.bends.empty() ? std::string() : std::to_string(s.model.bends.size()) + " bending elements, ")
                          << s.model.n_x() << " DOFs, horizon " << s.task.horizon << "\n";
            } catch (const common::InputError& e) {
                std::cerr << "podsim: error: " << e.what() << "\n";
                exit_code = 2;
            }
        }
    });
}

} // namespace podsim::apps
