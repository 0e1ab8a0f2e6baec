// Shared pieces of the command-line front end: global options, logging, progress bars and
// the error-to-exit-code policy. Only cli/ reads flags; libraries take options structs.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <CLI/CLI.hpp>

#include "foundation/option_table.h"
#include "foundation/progress.h"

namespace epilabel::cli {

// Exit codes: 0 success, 1 internal failure, 2 bad input (file, option).
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitInputError = 2;

struct GlobalOptions {
  int threads = 0;        // 0 = all cores
  bool quiet = false;     // no progress bars, warnings and errors only
  bool verbose = false;   // debug logging
  std::string data_dir;   // shipped data (skeletons, motions); default: the source tree's data/
};

GlobalOptions& Globals();

// Folder of the shipped data: --data-dir, else $EPILABEL_DATA_DIR, else the build-time default.
std::string DataDir();

// Folder of the pose models (scripts/setup-models.sh): `flag` (--models-dir) when given, else
// $EPILABEL_MODELS_DIR, else the source tree's models/ (set at build time).
std::string ModelsDir(const std::string& flag = "");

// Applies --threads (TBB global limit) and logging levels. Called once after parsing.
void ApplyGlobals();
// The number of threads in effect (for Ceres and for reports).
int NumThreads();

// A thread-safe progress bar on stderr, drawn in place on a terminal and as a few plain
// lines otherwise; silent with --quiet. Use Callback() for library calls.
class ProgressBar {
 public:
  ProgressBar();
  ~ProgressBar();
  ProgressCallback Callback();
  void Update(const std::string& stage, size_t done, size_t total);
  void Finish();

 private:
  std::mutex mutex_;
  std::string stage_;
  size_t last_percent_ = 101;
  bool is_tty_ = false;
  bool active_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// Runs a command body, mapping exceptions to exit codes with one clear message:
// InputError -> 2, anything else -> 1. An InputError that names an option key (libraries name
// keys, see foundation/option_table.h) is shown with the command-line flag of that key.
int RunCommand(const std::function<void()>& body);

// Remembers that `key` is spelled `flag` on the command line (for RunCommand's messages).
void RegisterFlag(const std::string& key, const std::string& flag);
// The flag registered for a key, or the key itself.
std::string FlagForKey(const std::string& key);
// A library's text with every option it names as `key` (in backticks, the convention of
// foundation/error.h) shown as its command-line flag; unknown keys are left as they are.
std::string WithFlags(const std::string& text);

// Adds every entry of an option table to a command: the flag derived from the key plus the
// entry's aliases as further flags, its doc, its default and its range. A bool that is true by
// default becomes `--no-<key>` (it can only be switched off). Keys in `skip` are left out (a
// command that sets them from another table).
template <typename Options>
void AddOptionTable(CLI::App* cmd, const OptionTable<Options>& table, Options& options,
                    const std::vector<std::string>& skip = {}) {
  using IntRef = std::function<int&(Options&)>;
  using NumRef = std::function<double&(Options&)>;
  using BoolRef = std::function<bool&(Options&)>;
  using StringRef = std::function<std::string&(Options&)>;
  for (const auto& spec : table) {
    if (std::find(skip.begin(), skip.end(), spec.key) != skip.end()) continue;
    const auto* as_bool = std::get_if<BoolRef>(&spec.ref);
    const bool negated = as_bool != nullptr && (*as_bool)(options);
    const std::string prefix = negated ? "!" : "";
    const std::string key_flag = negated ? FlagOfKey("no_" + spec.key) : FlagOfKey(spec.key);
    std::string names = prefix + key_flag;
    for (const auto& alias : spec.aliases) names += "," + prefix + FlagOfKey(negated ? "no_" + alias : alias);
    RegisterFlag(spec.key, key_flag);
    CLI::Option* opt = nullptr;
    if (auto* f = std::get_if<IntRef>(&spec.ref)) opt = cmd->add_option(names, (*f)(options), spec.doc);
    else if (auto* f = std::get_if<NumRef>(&spec.ref)) opt = cmd->add_option(names, (*f)(options), spec.doc);
    else if (as_bool != nullptr) opt = cmd->add_flag(names, (*as_bool)(options), (negated ? "Switch off: " : "") + spec.doc);
    else if (auto* f = std::get_if<StringRef>(&spec.ref)) opt = cmd->add_option(names, (*f)(options), spec.doc);
    if (opt != nullptr && as_bool == nullptr) opt->capture_default_str();
  }
}

}  // namespace epilabel::cli
