// epilabel report: one self-contained interactive HTML file (3D view, plots, tables, verdict)
// from a calibration and, optionally, 3D points, 2D poses and a report.json.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "foundation/file_util.h"
#include "pseudolabel/report/html_report.h"

namespace epilabel::cli {

namespace {

struct ReportArgs {
  ReportPaths paths;
  std::string out;
  HtmlReportOptions options;
};

void RunReport(const ReportArgs& args) {
  CheckNotAnInput(args.out, {args.paths.calibration, args.paths.points, args.paths.poses, args.paths.report_json});
  const HtmlReportSummary s = WriteHtmlReportFromFiles(args.paths, args.out, args.options);
  std::string what = std::to_string(s.num_cameras) + " camera(s)";
  if (s.has_points) {
    what += ", " + std::to_string(s.num_frames) + " frame(s)";
    if (s.frame_stride > 1) what += " (every " + std::to_string(s.frame_stride) + "th)";
    what += ", " + std::to_string(s.num_joints) + " joint(s)";
  }
  if (s.has_poses) what += ", 2D poses";
  if (s.has_report_json) what += ", report.json";
  spdlog::info("Wrote {} ({:.1f} MB): {}", args.out, static_cast<double>(s.bytes) / 1e6, what);
}

}  // namespace

void AddReportCommand(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Write a self-contained interactive HTML report: 3D cameras and skeletons, error plots, verdict");
  cmd->footer(
      "The page needs no network: open it in any browser (file://). Every input but --calib is optional;\n"
      "the page shows what exists.\n\n"
      "Examples:\n"
      "  epilabel report --calib calib/calibration.toml --report calib/report.json --out calib/report.html\n"
      "  epilabel report --calib calibration.toml --points tri/points3d.npz --poses pose/ \\\n"
      "                  --report tri/report.json --out tri/report.html");
  cmd->add_option("--calib,-c", args->paths.calibration, "Calibration TOML (Anipose / Pose2Sim layout)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--points,-p", args->paths.points, "3D points (points3d.npz of `epilabel triangulate`)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--keypoints,--poses", args->paths.poses,
                  "2D keypoints (OpenPose folder, COCO folder, keypoints2d.npz): per-camera error histograms and "
                  "error over time")
      ->check(CLI::ExistingPath);
  cmd->add_option("--report,-r", args->paths.report_json,
                  "report.json of calibrate, triangulate or label (verdict, per-camera statistics, view graph)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--skeleton,-s", args->paths.skeleton, "Skeleton of the 2D keypoints; default: guessed");
  cmd->add_option("--title", args->paths.title, "Page title; default: from the report kind");
  cmd->add_option("--out,-o", args->out, "Output HTML file")->required();
  cmd->add_option("--min-confidence", args->options.min_confidence,
                  "Detections below this confidence are left out of the errors computed from --poses")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-frames", args->options.max_frames,
                  "Embed at most this many frames (longer sequences are subsampled); 0 = all")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--fps", args->options.fps, "Playback speed, frames per second")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunReport(*args); })); });
}

}  // namespace epilabel::cli
