// The sub-commands. Each Add*Command registers one sub-command whose callback runs the work
// and stores its exit code with SetCommandExitCode.
#pragma once

#include <CLI/CLI.hpp>

namespace epilabel::cli {


// Registers every command above on `app` (order = order in --help).
void RegisterAllCommands(CLI::App& app);

void SetCommandExitCode(int code);
int CommandExitCode();

}  // namespace epilabel::cli
