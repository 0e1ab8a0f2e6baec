// epilabel triangulate: 3D joints of every frame with a known calibration.
#include <memory>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "foundation/error.h"
#include "pseudolabel/option_tables.h"
#include "pseudolabel/triangulate_run.h"

namespace epilabel::cli {

namespace {

struct TriangulateArgs {
  TriangulateRunOptions run;
  std::string formats = "npz";
};

void RunTriangulateCommand(TriangulateArgs& args) {
  CheckOptionRanges(TriangulateStageTable(), args.run.stage);
  args.run.formats.clear();
  std::stringstream ss(args.formats);
  std::string f;
  while (std::getline(ss, f, ',')) {
    if (!f.empty()) args.run.formats.insert(f);
  }
  args.run.stage.num_threads = NumThreads();
  ProgressBar bar;
  args.run.stage.progress = bar.Callback();
  const TriangulateRunResult r = RunTriangulate(args.run);
  bar.Finish();
  spdlog::info("{} cameras, {} frames, {} joints", r.num_cameras, r.num_frames, r.num_joints);
  for (const std::string& w : r.warnings) fmt::print("warning: {}\n", w);
  spdlog::info("people: {}", r.association.summary.BriefReport());
  if (r.track_summaries.size() > 1) {
    for (size_t t = 0; t < r.track_summaries.size(); ++t)
      spdlog::info("track {}: {}", r.association.tracks[t].id, r.track_summaries[t].BriefReport());
  } else {
    spdlog::info("{}", r.summary.BriefReport());
  }
  if (r.track_smoothings.size() > 1) {
    for (size_t t = 0; t < r.track_smoothings.size(); ++t)
      spdlog::info("track {} smoothing: {}", r.association.tracks[t].id, r.track_smoothings[t].BriefReport());
  } else if (r.smoothed) {
    spdlog::info("smoothing: {}", r.smoothing.BriefReport());
  }
  if (r.completed) spdlog::info("single-view completion (num_views 1, never labelled): {}", r.completion.BriefReport());
  fmt::print("{:<14} {:>10} {:>9} {:>11} {:>12}\n", "camera", "observed", "used", "mean px", "median px");
  for (size_t c = 0; c < r.summary.cameras.size(); ++c) {
    const auto& cs = r.summary.cameras[c];
    fmt::print("{:<14} {:>10} {:>8.1f}% {:>11.2f} {:>12.2f}\n", "#" + std::to_string(c), cs.observed,
               cs.observed ? 100.0 * cs.used / cs.observed : 0.0, cs.mean_error_px, cs.median_error_px);
  }
  fmt::print("read {:.2f} s, triangulate{} {:.2f} s, write {:.2f} s\n", r.read_s, r.smoothed ? "+smooth" : "",
             r.triangulate_s, r.write_s);
  for (const auto& path : r.written) spdlog::info("wrote {}", path);
}

}  // namespace

void AddTriangulateCommand(CLI::App& app) {
  auto args = std::make_shared<TriangulateArgs>();
  TriangulateRunOptions& o = args->run;
  CLI::App* cmd = app.add_subcommand("triangulate", "3D joints of every frame from 2D keypoints and a calibration");
  cmd->footer(
      "Examples:\n"
      "  epilabel triangulate --calib calibration.toml --keypoints pose/ --out out/\n"
      "  epilabel triangulate --calib calib.toml --keypoints keypoints2d.npz --out out/ --smooth --format npz,csv,trc");
  cmd->add_option("--calib,-c", o.calibration_path, "Calibration TOML with intrinsics and extrinsics")->required();
  cmd->add_option("--keypoints,--poses,-p", o.keypoints_path,
                  "2D keypoints: OpenPose folders, COCO folder or keypoints2d.npz")->required();
  cmd->add_option("--out,-o", o.out_dir, "Output folder (points3d.npz, report.json, ...)")->required();
  cmd->add_option("--sync", o.sync_path,
                  "sync.toml of `epilabel sync`: resample the cameras onto the reference timeline "
                  "(default: the calibration's time_offset)");
  cmd->add_option("--skeleton,-s", o.skeleton, "Skeleton of the keypoints (default: guessed from the joint count)");
  cmd->add_option("--association", o.association.method,
                  "People across cameras: auto (one person unless a camera sees several), single (the most "
                  "confident figure of each camera and frame), calibrated, uncalibrated")
      ->check(CLI::IsMember({"auto", "single", "calibrated", "uncalibrated"}))
      ->capture_default_str();
  AddOptionTable(cmd, TriangulateStageTable(), o.stage);
  RegisterFlag("format", "--format");
  cmd->add_option("--format", args->formats, "Comma-separated outputs: npz, csv (Anipose layout), trc (OpenSim)")
      ->capture_default_str();
  cmd->add_flag("!--no-report", o.write_html_report, "Do not write report.html");
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunTriangulateCommand(*args); })); });
}

}  // namespace epilabel::cli
