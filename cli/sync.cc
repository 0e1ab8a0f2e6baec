// epilabel sync: time offsets of unsynchronised cameras from the people's motion (and a
// calibration when given). Parsing only; the work is RunSync (pseudolabel/sync_run.h).
#include <map>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "foundation/error.h"
#include "pseudolabel/sync_run.h"

namespace epilabel::cli {

namespace {

struct SyncArgs {
  SyncRunOptions run;
  std::string fps = "30";  // "30" or "cam1=30,cam2=60"
};

// --fps: one rate for every camera, or name=rate pairs (the others at 30).
void ParseFps(const std::string& text, SyncRunOptions* run) {
  const auto number = [&](const std::string& s) {
    try {
      size_t used = 0;
      const double v = std::stod(s, &used);
      if (used == s.size()) return v;
    } catch (const std::exception&) {
    }
    throw InputError("fps", "expected a frame rate or name=rate pairs separated by commas, got '" + text + "'");
  };
  if (text.find('=') == std::string::npos) {
    run->stage.default_fps = number(text);
    return;
  }
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string pair = text.substr(start, end - start);
    const size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) number("");
    run->camera_fps[pair.substr(0, eq)] = number(pair.substr(eq + 1));
    start = end + 1;
  }
}

void RunSyncCommand(SyncArgs& args) {
  ParseFps(args.fps, &args.run);
  args.run.stage.motion.num_threads = NumThreads();
  args.run.stage.calibrated.num_threads = NumThreads();
  ProgressBar bar;
  args.run.progress = bar.Callback();
  const SyncRunResult r = RunSync(args.run);
  bar.Finish();
  for (const std::string& w : r.warnings) fmt::print("warning: {}\n", w);
  if (!r.sync.success) spdlog::warn("refused: {}", r.sync.reason);
  fmt::print("{:<16} {:>8} {:>12} {:>10} {:>11}  {}\n", "camera", "fps", "offset s", "frames", "confidence", "note");
  for (size_t c = 0; c < r.camera_names.size(); ++c) {
    const CameraOffset o = c < r.sync.cameras.size() ? r.sync.cameras[c] : CameraOffset{};
    fmt::print("{:<16} {:>8.3f} {:>12.5f} {:>10.3f} {:>11.2f}  {}{}\n", r.camera_names[c], r.fps[c], o.offset_s,
               o.offset_frames, o.confidence, static_cast<int>(c) == r.sync.reference ? "reference " : "", o.note);
  }
  spdlog::info("verdict: {} (method {})", r.verdict, r.sync.method);
  for (const auto& path : r.written) spdlog::info("wrote {}", path);
}

}  // namespace

void AddSyncCommand(CLI::App& app) {
  auto args = std::make_shared<SyncArgs>();
  SyncRunOptions& o = args->run;
  CLI::App* cmd = app.add_subcommand("sync", "Time offsets of unsynchronised cameras from the people's motion");
  cmd->footer(
      "Writes sync.toml: per camera time_offset in seconds (camera time t shows what the reference shows at\n"
      "t + time_offset), confidence, and a verdict (ok, uncertain, refused). Apply it with\n"
      "`triangulate --sync` / `label --sync`, or use `calibrate --sync` to estimate offsets and cameras together.\n"
      "Examples:\n"
      "  epilabel sync --keypoints pose/ --out sync.toml\n"
      "  epilabel sync --keypoints pose/ --calib calibration.toml --reference cam02 --fps cam01=30,cam02=60 --out sync.toml");
  cmd->add_option("--keypoints,--poses,-p", o.keypoints_path,
                  "2D keypoints: OpenPose folders, COCO folder or keypoints2d.npz")->required();
  cmd->add_option("--calib,-c", o.calibration_path, "Calibration TOML: refine the offsets by reprojection");
  cmd->add_option("--start", o.start_path,
                  "sync.toml to refine with --calib instead of estimating from motion (cameras matched by name)");
  cmd->add_option("--reference", o.stage.reference, "Reference camera (offset 0); default the first");
  cmd->add_option("--fps", args->fps, "Frame rate of every camera, or name=rate pairs (others 30)")->capture_default_str();
  cmd->add_option("--max-offset", o.stage.motion.max_offset_s, "Largest offset searched (seconds)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--min-motion", o.stage.motion.min_motion,
                  "Refuse below this motion (body sizes per second; a person standing still is ~0.02)")
      ->capture_default_str();
  cmd->add_option("--skeleton,-s", o.skeleton, "Skeleton of the keypoints (default: guessed from the joint count)");
  cmd->add_option("--out,-o", o.out_path, "Output sync.toml")->required();
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunSyncCommand(*args); })); });
}

}  // namespace epilabel::cli
