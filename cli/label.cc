// epilabel label: pseudo-3D training labels of one sequence.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "foundation/error.h"
#include "pseudolabel/label_run.h"

namespace epilabel::cli {

namespace {

struct LabelArgs {
  LabelRunOptions run;
  std::string image_size;
  double subject_height = 0.0;
};

void RunLabelCommand(LabelArgs& args) {
  LabelRunOptions& o = args.run;
  if (!args.image_size.empty()) {
    const auto x = args.image_size.find('x');
    try {
      if (x == std::string::npos) throw std::invalid_argument("no x");
      o.image_width = std::stoi(args.image_size.substr(0, x));
      o.image_height = std::stoi(args.image_size.substr(x + 1));
    } catch (const std::exception&) {
      throw InputError("--image-size", "expected WIDTHxHEIGHT (e.g. 1920x1080), got '" + args.image_size + "'");
    }
  }
  const int sources = (o.calibration_path.empty() ? 0 : 1) + (o.intrinsics_path.empty() ? 0 : 1) + (args.image_size.empty() ? 0 : 1);
  if (sources != 1) throw InputError("label", "give exactly one of --calib, --intrinsics or --image-size");
  if (args.subject_height > 0) {
    o.subject_height_m = args.subject_height;
    o.subject_height_given = true;
  }
  o.num_threads = NumThreads();
  ProgressBar bar;
  o.progress = bar.Callback();
  try {
    o.gates.Check();
  } catch (const std::invalid_argument& e) {
    throw InputError("label", e.what());
  }
  const LabelRunResult r = RunLabel(o);
  bar.Finish();
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
      "  epilabel label --poses pose/ --intrinsics intrinsics.toml --subject-height 1.75 --out dataset/\n"
      "  epilabel label --poses pose/ --calib calibration.toml --smooth --out dataset/\n"
      "  epilabel label --poses pose/ --intrinsics intrinsics.toml --pairs neighbours --out dataset_2view/");
  cmd->add_option("--poses,-p", o.poses_path, "2D keypoints: OpenPose folders, COCO folder or keypoints2d.npz")->required();
  cmd->add_option("--calib,-c", o.calibration_path, "Full calibration (no self-calibration)");
  cmd->add_option("--intrinsics,-i", o.intrinsics_path, "Intrinsics TOML: self-calibrate the extrinsics");
  cmd->add_option("--image-size", args->image_size, "WIDTHxHEIGHT: self-calibrate with unknown focal lengths");
  cmd->add_option("--out,-o", o.out_dir, "Dataset folder (dataset.npz, VideoPose3D export, report)")->required();
  cmd->add_option("--skeleton,-s", o.skeleton, "Skeleton of the keypoints (default: guessed)");
  cmd->add_option("--sequence", o.sequence_name, "Sequence name in the dataset (default: the poses folder's name)");
  cmd->add_option("--name", o.export_name, "Name of the VideoPose3D export files")->capture_default_str();
  cmd->add_option("--subject-height", args->subject_height, "Standing height of the person, metres (default 1.70)")
      ->check(CLI::Range(0.5, 2.8));
  cmd->add_option("--baseline", o.baseline, "Known distance between two camera centres: CAM1,CAM2,METRES");
  cmd->add_flag("--smooth", o.smooth, "Sequence optimisation before gating (temporal + bone-length priors)");
  cmd->add_option("--fps", o.fps, "Frame rate (smoothing)")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--pairs", o.pairs, "'neighbours': EpipolarPose-style two-view labels (for comparison)");
  cmd->add_option("--min-views", o.gates.min_views, "Gate: views per joint")->capture_default_str();
  cmd->add_option("--max-error-px", o.gates.max_reprojection_error_px, "Gate: reprojection error (px)")->capture_default_str();
  cmd->add_option("--max-bone-deviation", o.gates.max_bone_deviation_rel,
                  "Gate: bone length deviation from the sequence median (share)")
      ->capture_default_str();
  cmd->add_option("--max-uncertainty", o.gates.max_uncertainty_m, "Gate: 3D uncertainty of a joint (m)")->capture_default_str();
  cmd->add_option("--min-valid-share", o.gates.min_valid_share, "Gate: share of valid joints to keep a pose")
      ->capture_default_str();
  cmd->add_option("--min-camera-joints", o.gates.min_camera_joint_share,
                  "A camera gives a sample when it detected this share of the joints")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Random seed")->capture_default_str();
  cmd->add_flag("!--no-report", o.write_html_report, "Do not write report.html");
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunLabelCommand(*args); })); });
}

}  // namespace epilabel::cli
