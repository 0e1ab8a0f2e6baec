// epilabel: the command-line front end. Each sub-command lives in its own file and only parses
// flags into options structs for the libraries.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/common.h"

int main(int argc, char** argv) {
  using namespace epilabel::cli;
  CLI::App app{"EpiLabel: cameras, 3D poses and training labels from multi-view 2D keypoints", "epilabel"};
  app.set_version_flag("--version", std::string("epilabel ") + EPILABEL_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions& g = Globals();
  app.add_option("--threads,-j", g.threads, "Worker threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  app.add_flag("--quiet,-q", g.quiet, "Only warnings and errors; no progress bars");
  app.add_flag("--verbose,-v", g.verbose, "Debug logging");
  app.add_option("--data-dir", g.data_dir, "Folder of the shipped data (skeletons, motion clips)");
  app.parse_complete_callback([] { ApplyGlobals(); });

  RegisterAllCommands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    // CLI11 uses non-zero codes for usage errors; map them to the bad-input code.
    return code == 0 ? 0 : kExitInputError;
  }
  return CommandExitCode();
}
