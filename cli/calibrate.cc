// epilabel calibrate: cameras from the 2D poses of the people they see.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "pseudolabel/stages/intrinsics.h"
#include "foundation/error.h"
#include "pseudolabel/calibrate_run.h"
#include "pseudolabel/option_tables.h"

namespace epilabel::cli {

namespace {

struct CalibrateArgs {
  CalibrateRunOptions run;
  std::string image_size;
  std::string baseline;
  std::string track_heights;
  double subject_height = 0.0;
  std::vector<std::string> takes;  // --keypoints once per take
};

void PrintCalibrationSummary(const CalibrateRunResult& r) {
  const CalibrationReport& rep = r.output.report;
  fmt::print("\n{:<12} {:>8} {:>9} {:>9} {:>10} {:>10} {:>9} {:>9} {:>10}  {}\n", "camera", "RMS px", "obs", "focal",
             "rot sd deg", "pos sd mm", "LOO deg", "LOO mm", "verdict", "reason");
  for (const auto& c : rep.cameras) {
    fmt::print("{:<12} {:>8.2f} {:>9} {:>9.1f} {:>10.4f} {:>10.2f} {:>9.3f} {:>9.1f} {:>10}  {}\n", c.name, c.rms_px,
               c.observations, c.focal_px, c.rotation_sigma_deg, 1000.0 * c.center_sigma_m, c.loo_rotation_deg,
               1000.0 * c.loo_center_m, VerdictName(c.verdict), c.reason);
  }
  fmt::print("(LOO: how far the camera moves when resected on the joints the other cameras triangulate without it)\n");
  fmt::print("\npairs (inliers / correspondences, parallax):\n");
  for (const auto& p : rep.self.pairs) {
    fmt::print("  {:<10} {:<10} {:>6} / {:<6} {:>5.1f} deg  {}\n", rep.cameras[p.a].name, rep.cameras[p.b].name,
               p.inliers, p.correspondences, p.median_angle_deg, p.edge ? "edge" : p.reason);
  }
  if (rep.world.success)
    fmt::print("\nscale: {} ({:.3f} m per unit, +/- {:.1f}%), floor {}\n", rep.world.scale_method, rep.world.scale,
               100.0 * rep.world.scale_sigma_rel, rep.world.floor_from_feet ? "from the feet" : "from the body axis");
  fmt::print("{}\n", WithFlags(rep.BriefReport()));
  for (const auto& note : rep.notes) fmt::print("note: {}\n", WithFlags(note));
  if (!rep.self.final_passes.empty())
    fmt::print("final adjustment: {} pass{}, stopped: {}\n", rep.self.final_passes.size(),
               rep.self.final_passes.size() == 1 ? "" : "es", rep.self.final_passes_stop);
  for (const auto& [stage, s] : rep.self.timings_s) spdlog::debug("  {}: {:.2f} s", stage, s);
  spdlog::debug("{}", rep.self.ba.BriefReport());
  fmt::print("people: {}\n", r.association.summary.BriefReport());
  if (!r.sync.cameras.empty() || !r.sync.reason.empty()) fmt::print("{}\n", r.sync.BriefReport());
  fmt::print("read {:.2f} s, calibrate {:.2f} s\n", r.read_s, r.calibrate_s);
}

// calibrate --init: how far each camera moved, with its uncertainty, and the verdict.
void PrintRefinementSummary(const CalibrateRunResult& r) {
  const CalibrationRefinementResult& f = *r.refinement;
  fmt::print("\n{:<12} {:>10} {:>10} {:>10} {:>10}  {}\n", "camera", "moved deg", "sd deg", "moved mm", "sd mm", "");
  for (const CameraMove& m : f.moves)
    fmt::print("{:<12} {:>10.3f} {:>10.3f} {:>10.1f} {:>10.1f}  {}\n", m.name, m.rotation_deg, m.rotation_sigma_deg,
               1000.0 * m.center_m, 1000.0 * m.center_sigma_m, m.moved ? "MOVED" : "");
  fmt::print("{}\n", f.BriefReport());
  const CalibrationReport& rep = r.output.report;
  fmt::print("verdict: {}\n", VerdictName(rep.verdict));
  for (const auto& reason : rep.reasons) fmt::print("  {}\n", reason);
  for (const auto& note : rep.notes) fmt::print("note: {}\n", note);
  fmt::print("read {:.2f} s, refine {:.2f} s\n", r.read_s, r.calibrate_s);
}

void RunCalibrateCommand(CalibrateArgs& args) {
  CalibrateRunOptions& o = args.run;
  o.keypoints_path = args.takes.front();
  o.more_takes.assign(args.takes.begin() + 1, args.takes.end());
  CheckOptionRanges(CalibrateStageTable(), o.stage);
  if (!args.image_size.empty()) {
    ParseImageSize(args.image_size, &o.image_width, &o.image_height);
    if (!o.intrinsics_path.empty()) throw InputError("--image-size", "give either --intrinsics or --image-size, not both");
  }
  if (!args.baseline.empty()) o.stage.baseline = ParseBaselineSpec(args.baseline);
  if (!args.track_heights.empty()) o.stage.track_heights_m = ParseTrackHeights(args.track_heights);
  if (args.subject_height > 0) {
    o.stage.subject_height_m = args.subject_height;
    o.stage.subject_height_given = true;
  }
  o.stage.num_threads = NumThreads();
  o.sync_stage.motion.num_threads = NumThreads();
  o.sync_stage.calibrated.num_threads = NumThreads();
  ProgressBar bar;
  o.stage.progress = bar.Callback();
  const CalibrateRunResult r = RunCalibrate(o);
  bar.Finish();
  if (r.refinement) {
    PrintRefinementSummary(r);
  } else {
    PrintCalibrationSummary(r);
  }
  for (const auto& path : r.written) spdlog::info("wrote {}", path);
  if (!r.output.success) {
    spdlog::error("calibration failed: {}", WithFlags(r.output.report.BriefReport()));
    throw std::runtime_error("no calibration written (see report.json)");
  }
}

}  // namespace

void AddCalibrateCommand(CLI::App& app) {
  auto args = std::make_shared<CalibrateArgs>();
  CalibrateRunOptions& o = args->run;
  CLI::App* cmd = app.add_subcommand("calibrate", "Calibrate the cameras from the people they see (no board)");
  cmd->footer(
      "Examples:\n"
      "  epilabel calibrate --keypoints pose/ --intrinsics intrinsics.toml --out calibration.toml\n"
      "  epilabel calibrate --keypoints pose/ --image-size 1920x1080 --subject-height 1.82 --out calib.toml --yaml calib.yml\n"
      "  epilabel calibrate --keypoints pose/ --intrinsics intr.toml --baseline cam_1,cam_2,2.40 --out calib.toml\n"
      "  epilabel calibrate --keypoints pose/ --init calibration.toml --out refined.toml   (was a camera bumped?)\n"
      "  epilabel calibrate --poses take1/pose --poses take2/pose --image-size 1088x1920 --out calib.toml   (several takes)");
  cmd->add_option("--keypoints,--poses,-p", args->takes,
                  "2D keypoints: OpenPose folders, COCO folder or keypoints2d.npz; give it once per take to "
                  "calibrate one rig from several recordings (people tracked within each take, every take's "
                  "observations pooled; cameras matched by name)")
      ->required()
      ->take_all();
  cmd->add_option("--intrinsics,-i", o.intrinsics_path,
                  "TOML with camera matrices (and distortion); cameras with only a size get their focal estimated");
  cmd->add_option("--image-size", args->image_size, "WIDTHxHEIGHT of every camera when intrinsics are unknown");
  cmd->add_option("--init", o.init_path,
                  "Refine this calibration with the people instead of calibrating from scratch; names the cameras "
                  "that moved");
  cmd->add_flag("--refine-intrinsics", o.refine_intrinsics, "With --init: also refine focal lengths and k1");
  cmd->add_option("--out,-o", o.out_path, "Output calibration TOML (Anipose/Pose2Sim layout)")->required();
  cmd->add_option("--yaml", o.yaml_path, "Also write OpenCV FileStorage YAML");
  cmd->add_flag("--sync", o.sync,
                "Unsynchronised cameras: estimate time offsets with the cameras (written as time_offset per camera; "
                "with several takes each take gets its own, in report.json)");
  cmd->add_option("--sync-fps", o.sync_stage.default_fps, "With --sync: frame rate of the cameras")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--sync-reference", o.sync_stage.reference, "With --sync: reference camera (default the first)");
  cmd->add_option("--sync-max-offset", o.sync_stage.motion.max_offset_s, "With --sync: largest offset searched (seconds)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--sync-fine", o.sync_stage.fine,
                  "With --sync: refine the offsets by a search per camera (search), jointly with the cameras in "
                  "a bundle adjustment (adjust), or both combined by their standard errors (auto: averaged when they "
                  "agree, else the one with the smaller standard error)")
      ->check(CLI::IsMember({"adjust", "auto", "search"}))
      ->capture_default_str();
  cmd->add_option("--sync-offsets", o.sync_offsets_path,
                  "Known time offsets (sync.toml): calibrate on the keypoints shifted by them, nothing estimated");
  cmd->add_option("--report-dir", o.report_dir, "Folder of report.json (default: next to --out)");
  cmd->add_option("--skeleton,-s", o.skeleton, "Skeleton of the keypoints (default: guessed)");
  cmd->add_option("--association", o.association.method,
                  "People across cameras: auto (one person unless a camera sees several), single (the most "
                  "confident figure of each camera and frame), calibrated, uncalibrated")
      ->check(CLI::IsMember({"auto", "single", "calibrated", "uncalibrated"}))
      ->capture_default_str();
  cmd->add_option("--subject-height", args->subject_height,
                  "Standing height of the person in metres (default: 1.70, an adult mean, +/- 5%)")
      ->check(CLI::Range(0.5, 2.8));
  cmd->add_option("--baseline", args->baseline, "Known distance between two camera centres: CAM1,CAM2,METRES");
  cmd->add_option("--track-heights", args->track_heights,
                  "Several people: measured heights of some tracks, TRACK=METRES,... (track ids as in report.json; "
                  "the others count as --subject-height)");
  AddOptionTable(cmd, CalibrateStageTable(), o.stage);
  cmd->add_flag("!--allow-check", o.allow_check, "Write the calibration only when the verdict is good");
  cmd->add_option("--seed", o.stage.seed, "Random seed")->capture_default_str();
  cmd->add_flag("!--no-report", o.write_html_report, "Do not write report.html");
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunCalibrateCommand(*args); })); });
}

}  // namespace epilabel::cli
