#include "cli/commands.h"

namespace epilabel::cli {

namespace {
int g_exit_code = 0;
}

void SetCommandExitCode(int code) { g_exit_code = code; }
int CommandExitCode() { return g_exit_code; }

void RegisterAllCommands(CLI::App& app) {
  (void)app;
}

}  // namespace epilabel::cli
