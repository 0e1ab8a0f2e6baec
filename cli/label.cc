// epilabel label: pseudo-3D training labels of one sequence.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "pseudolabel/stages/intrinsics.h"
#include "foundation/error.h"
#include "pseudolabel/label_run.h"
#include "pseudolabel/option_tables.h"

namespace epilabel::cli {

namespace {

struct LabelArgs {
  LabelRunOptions run;
  std::string image_size;
  std::string baseline;
  std::string track_heights;
  double subject_height = 0.0;
};

void RunLabelCommand(LabelArgs& args) {
  LabelRunOptions& o = args.run;
  if (!args.image_size.empty()) ParseImageSize(args.image_size, &o.image_width, &o.image_height);
  const int sources = (o.calibration_path.empty() ? 0 : 1) + (o.intrinsics_path.empty() ? 0 : 1) + (args.image_size.empty() ? 0 : 1);
  if (sources != 1) throw InputError("label", "give exactly one of --calib, --intrinsics or --image-size");
  if (!args.baseline.empty()) o.calibration.baseline = ParseBaselineSpec(args.baseline);
  if (!args.track_heights.empty()) o.calibration.track_heights_m = ParseTrackHeights(args.track_heights);
  if (args.subject_height > 0) {
    o.calibration.subject_height_m = args.subject_height;
    o.calibration.subject_height_given = true;
  }
  o.num_threads = NumThreads();
  ProgressBar bar;
  o.progress = bar.Callback();
  const LabelRunResult r = RunLabel(o);
  bar.Finish();
  for (const std::string& w : r.warnings) fmt::print("warning: {}\n", w);
  const GateCounts& c = r.counts;
  fmt::print("calibration: {} (verdict {})\n", r.calibration_source, r.verdict);
  fmt::print("{} frames x {} cameras; poses kept {}/{} ({:.1f}%), samples {}\n", r.num_frames, r.num_cameras,
             c.poses_kept, c.poses, c.poses ? 100.0 * c.poses_kept / c.poses : 0.0, c.samples);
  fmt::print("joints failing: views {}, reprojection error {}, bone length {}, uncertainty {}; valid {}\n",
             c.failed_views, c.failed_error, c.failed_bone, c.failed_uncertainty, c.valid_joints);
  fmt::print("label quality: mean 3D uncertainty {:.1f} mm, mean reprojection error {:.2f} px\n",
             1000 * c.mean_uncertainty_m, c.mean_error_px);
  spdlog::info("wrote {} ({:.1f} s)", o.out_dir, r.seconds);
}

}  // namespace

void AddLabelCommand(CLI::App& app) {
  auto args = std::make_shared<LabelArgs>();
  LabelRunOptions& o = args->run;
  CLI::App* cmd = app.add_subcommand("label", "Pseudo-3D training labels of a sequence (calibrate, triangulate, gate, export)");
  cmd->footer(
      "Examples:\n"
      "  epilabel label --keypoints pose/ --intrinsics intrinsics.toml --subject-height 1.75 --out dataset/\n"
      "  epilabel label --keypoints pose/ --calib calibration.toml --smooth --out dataset/\n"
      "  epilabel label --keypoints pose/ --intrinsics intrinsics.toml --pairs neighbours --out dataset_2view/");
  cmd->add_option("--keypoints,--poses,-p", o.keypoints_path,
                  "2D keypoints: OpenPose folders, COCO folder or keypoints2d.npz")->required();
  cmd->add_option("--calib,-c", o.calibration_path, "Full calibration (no self-calibration)");
  cmd->add_option("--intrinsics,-i", o.intrinsics_path, "Intrinsics TOML: self-calibrate the extrinsics");
  cmd->add_option("--sync", o.sync_path,
                  "sync.toml of `epilabel sync`: resample the cameras onto the reference timeline "
                  "(default: the calibration's time_offset)");
  cmd->add_option("--image-size", args->image_size, "WIDTHxHEIGHT: self-calibrate with unknown focal lengths");
  cmd->add_option("--out,-o", o.out_dir, "Dataset folder (dataset.npz, VideoPose3D export, report)")->required();
  cmd->add_option("--skeleton,-s", o.skeleton, "Skeleton of the keypoints (default: guessed)");
  cmd->add_option("--association", o.association.method,
                  "People across cameras: auto (one person unless a camera sees several), single (the most "
                  "confident figure of each camera and frame), calibrated, uncalibrated")
      ->check(CLI::IsMember({"auto", "single", "calibrated", "uncalibrated"}))
      ->capture_default_str();
  cmd->add_option("--sequence", o.sequence_name, "Sequence name in the dataset (default: the keypoints folder's name)");
  cmd->add_option("--name", o.export_name, "Name of the VideoPose3D export files")->capture_default_str();
  cmd->add_option("--subject-height", args->subject_height, "Standing height of the person, metres (default 1.70)")
      ->check(CLI::Range(0.5, 2.8));
  cmd->add_option("--baseline", args->baseline, "Known distance between two camera centres: CAM1,CAM2,METRES");
  cmd->add_option("--track-heights", args->track_heights,
                  "Several people: measured heights of some tracks, TRACK=METRES,... (track ids as in report.json; "
                  "the others count as --subject-height)");
  // min_confidence is the gates' (it also applies to the triangulation).
  AddOptionTable(cmd, TriangulateStageTable(), o.triangulation, {"min_confidence"});
  AddOptionTable(cmd, CalibrateStageTable(), o.calibration, {"min_confidence"});
  cmd->add_option("--pairs", o.pairs, "'neighbours': EpipolarPose-style two-view labels (for comparison)");
  AddOptionTable(cmd, QualityGatesTable(), o.gates);
  RegisterFlag("pairs", "--pairs");
  RegisterFlag("export_name", "--name");
  cmd->add_option("--seed", o.seed, "Random seed")->capture_default_str();
  cmd->add_flag("!--no-report", o.write_html_report, "Do not write report.html");
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunLabelCommand(*args); })); });
}

}  // namespace epilabel::cli
