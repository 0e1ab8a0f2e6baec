// epilabel intrinsics: camera intrinsics from image folders or videos of a calibration board.
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "pseudolabel/intrinsics_run.h"

namespace epilabel::cli {

namespace {

struct IntrinsicsArgs {
  std::vector<std::string> images;
  std::vector<std::string> videos;
  IntrinsicsRunOptions options;
};

void PrintSummary(const IntrinsicsRunSummary& run) {
  fmt::print("{:<10} {:>6} {:>5} {:>8} {:>9} {:>9} {:>15} {:>15} {:>9} {:>9}\n", "camera", "views", "rej", "RMS px",
             "fx", "fy", "cx +- sd", "cy +- sd", "k1", "k2");
  for (const auto& cam : run.cameras) {
    const auto& r = cam.result;
    if (!r.success) {
      fmt::print("{:<10} {:>6} {:>5}  failed: {}\n", cam.name, cam.views.size(), cam.rejected.size(), r.message);
      continue;
    }
    fmt::print("{:<10} {:>6} {:>5} {:>8.3f} {:>9.2f} {:>9.2f} {:>8.1f} +- {:<4.1f} {:>8.1f} +- {:<4.1f} {:>9.4f} {:>9.4f}\n",
               cam.name, cam.views.size(), cam.rejected.size(), r.rms_px, r.camera.fx, r.camera.fy, r.camera.cx,
               r.std_cx, r.camera.cy, r.std_cy, r.camera.distortion[0], r.camera.distortion[1]);
  }
  for (const auto& cam : run.cameras)
    for (const auto& v : cam.rejected) fmt::print("rejected {} {}: {}\n", cam.name, v.view, v.reason);
  spdlog::info("wrote {}, {} and {}", run.toml_path, run.report_path, run.svg_path);
}

void RunIntrinsicsCommand(IntrinsicsArgs& args) {
  args.options.inputs = args.images;
  args.options.inputs.insert(args.options.inputs.end(), args.videos.begin(), args.videos.end());
  ProgressBar bar;
  args.options.progress = bar.Callback();
  const IntrinsicsRunSummary run = RunIntrinsics(args.options);
  bar.Finish();
  PrintSummary(run);
}

}  // namespace

void AddIntrinsicsCommand(CLI::App& app) {
  auto args = std::make_shared<IntrinsicsArgs>();
  CLI::App* cmd = app.add_subcommand("intrinsics", "Camera intrinsics from images or videos of a calibration board");
  cmd->footer(
      "Examples:\n"
      "  epilabel intrinsics --images int_cam01_img --images int_cam02_img --board checkerboard:4x7:0.06 \\\n"
      "      --out calib/intrinsics.toml\n"
      "  epilabel intrinsics --video board_cam1.mp4 --board charuco:5x7:0.04:0.03:DICT_4X4_50 --out intrinsics.toml\n"
      "One folder or video per camera, named after the number in its name (int_cam01_img -> cam_01).\n"
      "Boards: checkerboard:COLSxROWS:SQUARE (inner corners, metres) or charuco:COLSxROWS:SQUARE:MARKER[:DICT]\n"
      "(squares, metres, an OpenCV DICT_* name, default DICT_4X4_50). Lens: --model pinhole (k1, k2, p1, p2, k3)\n"
      "or --model fisheye (equidistant, k1..k4: action cameras, wide lenses).\n"
      "Writes the TOML that `calibrate --intrinsics` reads, report.json and coverage.svg beside it.");
  cmd->add_option("--images", args->images, "An image folder of one camera (repeat per camera)");
  cmd->add_option("--video", args->videos, "A video of one camera (repeat per camera)");
  cmd->add_option("--board", args->options.board, "Board spec, e.g. checkerboard:4x7:0.06")->required();
  cmd->add_option("--out,-o", args->options.out, "Intrinsics TOML to write")->required();
  cmd->add_option("--max-video-frames", args->options.max_video_frames,
                  "Frames examined per video, evenly spaced")->capture_default_str();
  cmd->add_option("--max-views", args->options.selection.max_views,
                  "Views calibrated from per camera, chosen to cover the image")->capture_default_str();
  cmd->add_option("--max-edge-width", args->options.detection.max_edge_width_rel,
                  "Checkerboard views whose edges (10-90 % rise) are wider than this share of a square are rejected as blurred")
      ->capture_default_str();
  cmd->add_option("--model", args->options.calibration.model, "Lens model: pinhole or fisheye")
      ->capture_default_str()
      ->check(CLI::IsMember({"pinhole", "fisheye"}));
  cmd->add_flag("--fix-k3", args->options.calibration.fix_k3, "Pinhole: estimate k1, k2, p1, p2 only (k3 = 0)");
  RegisterFlag("model", "--model");
  RegisterFlag("inputs", "--images/--video");
  RegisterFlag("board", "--board");
  RegisterFlag("out", "--out");
  RegisterFlag("max_video_frames", "--max-video-frames");
  RegisterFlag("max_views", "--max-views");
  RegisterFlag("max_edge_width_rel", "--max-edge-width");
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunIntrinsicsCommand(*args); })); });
}

}  // namespace epilabel::cli
