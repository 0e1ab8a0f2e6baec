// Shared pieces of the command-line front end: global options, logging, progress bars and
// the error-to-exit-code policy. Only cli/ reads flags; libraries take options structs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <CLI/CLI.hpp>

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
// InputError -> 2, anything else -> 1.
int RunCommand(const std::function<void()>& body);

}  // namespace epilabel::cli
