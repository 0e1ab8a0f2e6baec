#include "cli/common.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include "foundation/error.h"

namespace epilabel::cli {

GlobalOptions& Globals() {
  static GlobalOptions options;
  return options;
}

std::string DataDir() {
  if (!Globals().data_dir.empty()) return Globals().data_dir;
  if (const char* env = std::getenv("EPILABEL_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return EPILABEL_DEFAULT_DATA_DIR;
}

std::string ModelsDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("EPILABEL_MODELS_DIR"); env != nullptr && *env != '\0') return env;
  return EPILABEL_DEFAULT_MODELS_DIR;
}

namespace {
std::unique_ptr<tbb::global_control> g_thread_limit;
}

int NumThreads() {
  const int n = Globals().threads;
  if (n > 0) return n;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

void ApplyGlobals() {
  auto logger = spdlog::stderr_color_mt("epilabel");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^[%l]%$ %v");
  spdlog::set_level(Globals().verbose ? spdlog::level::debug
                                      : (Globals().quiet ? spdlog::level::warn : spdlog::level::info));
  g_thread_limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                         static_cast<size_t>(NumThreads()));
}

ProgressBar::ProgressBar() : is_tty_(::isatty(STDERR_FILENO) != 0) { start_ = last_draw_ = std::chrono::steady_clock::now(); }

ProgressBar::~ProgressBar() { Finish(); }

ProgressCallback ProgressBar::Callback() {
  return [this](const std::string& stage, size_t done, size_t total) { Update(stage, done, total); };
}

void ProgressBar::Update(const std::string& stage, size_t done, size_t total) {
  if (Globals().quiet || total == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  const size_t percent = std::min<size_t>(100, done * 100 / total);
  if (stage != stage_) {
    if (active_ && is_tty_) std::fputc('\n', stderr);
    stage_ = stage;
    last_percent_ = 101;
    start_ = now;
    active_ = false;
  }
  const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (is_tty_) {
    // Draw at most ~10 times a second, and only after the first half second of work.
    if (percent == last_percent_ || (since_draw < 0.1 && done != total) || (elapsed < 0.5 && done != total && !active_))
      return;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(percent * kWidth / 100);
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    std::fprintf(stderr, "\r%-24s [%s%s] %3zu%% %zu/%zu %.0f/s", stage.c_str(), std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, ' ').c_str(), percent, done, total, rate);
    std::fflush(stderr);
    active_ = true;
    if (done == total) {
      std::fputc('\n', stderr);
      active_ = false;
      stage_.clear();
    }
  } else {
    // Plain logs: a line per quarter, only for work that lasts.
    if (elapsed < 1.0 && done != total) return;
    const size_t quarter = percent / 25;
    if (last_percent_ != 101 && quarter == last_percent_ / 25) return;
    if (done == total && last_percent_ == 101) return;  // quick work: no lines at all
    std::fprintf(stderr, "%s: %zu%% (%zu/%zu)\n", stage.c_str(), percent, done, total);
    active_ = true;
  }
  last_percent_ = percent;
  last_draw_ = now;
}

void ProgressBar::Finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (active_ && is_tty_) std::fputc('\n', stderr);
  active_ = false;
}

namespace {
// Keys that libraries name in their errors, with their flags; the option tables add theirs.
std::map<std::string, std::string>& FlagsOfKeys() {
  static std::map<std::string, std::string> flags = {
      {"baseline", "--baseline"}, {"image_size", "--image-size"}, {"format", "--format"}, {"pairs", "--pairs"},
      {"calib", "--calib"}, {"pretrain_motion_max_pitch_deg", "--pretrain-motion-pitch"}, {"init", "--init"}, {"association.method", "--association"}};
  static const bool library_keys = [] {
    // Keys the studio, detector, lifter and batch options name in their errors; each is the
    // flag of the same name.
    for (const char* key : {"batch_size", "box_padding", "channels", "data_dir", "depth", "dropout", "enter_leave", "epochs", "false_positive_rate", "fisheye_fov", "fps", "frames", "heads", "heights", "hidden", "hypotheses", "input_size", "intrinsics", "knn", "layout", "lens", "lost_score", "lr", "lr_decay", "lr_schedule", "lr_warmup", "mask_frames", "mask_joints", "mean", "merge_only", "merge_partial", "min_crop_score", "min_distance", "min_score", "missing_rate", "model", "models_dir", "noise_px", "out", "outlier_rate", "overwrite", "people", "per_rank", "perspective", "pose_mlp", "pretrain", "pretrain_epochs", "pretrain_2d_weight", "pretrain_3d_weight", "pretrain_motions", "pretrain_motion_fps", "prune_tokens", "receptive_field", "refine_steps", "resume", "rig", "samples_per_epoch", "sequence_loss", "shard", "simcc_split", "skeleton", "std", "steps", "subject_height", "swap_rate", "threads", "timesteps", "tokens", "track_heights", "uncertainty", "val_fraction", "val_sequences", "width", "window"})
      flags.emplace(key, FlagOfKey(key));
    return true;
  }();
  (void)library_keys;
  return flags;
}
}  // namespace

void RegisterFlag(const std::string& key, const std::string& flag) { FlagsOfKeys()[key] = flag; }

std::string FlagForKey(const std::string& key) {
  const auto it = FlagsOfKeys().find(key);
  return it == FlagsOfKeys().end() ? key : it->second;
}

std::string WithFlags(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find('`', pos);
    const size_t close = open == std::string::npos ? std::string::npos : text.find('`', open + 1);
    if (close == std::string::npos) break;
    const std::string key = text.substr(open + 1, close - open - 1);
    const std::string flag = FlagForKey(key);
    out += text.substr(pos, open - pos);
    out += flag != key ? flag : text.substr(open, close - open + 1);
    pos = close + 1;
  }
  out += text.substr(pos);
  return out;
}

int RunCommand(const std::function<void()>& body) {
  try {
    body();
    return kExitOk;
  } catch (const InputError& e) {
    const std::string flag = FlagForKey(e.where());
    if (flag != e.where() && !e.where().empty()) {
      const std::string what = std::string(e.what()).substr(e.where().size() + 2);
      spdlog::error("{}: {}", flag, WithFlags(what));
    } else {
      spdlog::error("{}", WithFlags(e.what()));
    }
    return kExitInputError;
  } catch (const CLI::Error&) {
    throw;
  } catch (const std::filesystem::filesystem_error& e) {
    // An environment problem (permissions, full disk, a file where a folder should be).
    spdlog::error("cannot write or read {}: {}", e.path1().string(), e.code().message());
    return kExitFailure;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitFailure;
  }
}

}  // namespace epilabel::cli
