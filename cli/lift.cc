// epilabel lift: monocular lifting of new 2D keypoints with a trained lifter. Each camera is
// lifted on its own; the output is a points3d.npz whose points are root-relative, in that
// camera's frame (metres, x right, y down, z forward).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "foundation/error.h"
#include "pseudolabel/stages/intrinsics.h"
#include "training/lift_run.h"

namespace epilabel::cli {

namespace {

struct LiftArgs {
  LiftRunOptions run;
  std::string image_size;  // WxH
};

void RunLiftCommand(LiftArgs& args) {
  if (!args.image_size.empty()) ParseImageSize(args.image_size, &args.run.image_width, &args.run.image_height);
  args.run.num_threads = NumThreads();
  ProgressBar bar;
  args.run.progress = bar.Callback();
  std::vector<LiftedCamera> lifted;
  try {
    lifted = RunLift(args.run);
  } catch (const InputError& e) {
    // The library says what is missing; the command line says which flags give it.
    if (std::string(e.what()).find("image size") == std::string::npos) throw;
    throw InputError(e.where(), std::string(e.what()).substr(e.where().size() + 2) +
                                    " (--image-size WxH or --intrinsics FILE)");
  }
  bar.Finish();
  for (const LiftedCamera& cam : lifted)
    fmt::print("{}: {} of {} frames lifted -> {}\n", cam.name, cam.lifted_frames, cam.frames, cam.path);
}

}  // namespace

void AddLiftCommand(CLI::App& app) {
  auto args = std::make_shared<LiftArgs>();
  CLI::App* cmd = app.add_subcommand("lift", "Lift new 2D keypoints to 3D with a trained lifter (monocular)");
  cmd->footer(
      "Examples:\n"
      "  epilabel lift --run runs/mlp --keypoints clip/pose --intrinsics clip/intrinsics.toml --out points3d.npz\n"
      "  epilabel lift --run runs/mlp --keypoints keypoints2d.npz --camera cam2 --image-size 1920x1080 --out cam2.npz\n"
      "The points are root-relative, in each camera's frame (metres, x right, y down, z forward).\n"
      "With several cameras, one file per camera: OUT_<camera>.npz.");
  cmd->add_option("--run,-r", args->run.run_dir, "Run folder written by epilabel train")->required();
  cmd->add_option("--keypoints,--poses,-p", args->run.keypoints_path, "2D keypoints: OpenPose folder, COCO JSON, keypoints2d.npz")->required();
  cmd->add_option("--out,-o", args->run.out_path, "Output points3d.npz")->required();
  cmd->add_option("--camera", args->run.cameras, "Only these cameras (repeat or comma-separate)")->delimiter(',');
  cmd->add_option("--image-size", args->image_size, "Image size WxH when the keypoint files do not give it");
  cmd->add_option("--intrinsics,--calib", args->run.calibration_path,
                  "Calibration or intrinsics TOML giving each camera's image size (matched by camera name)");
  cmd->add_option("--skeleton,-s", args->run.skeleton, "Skeleton of the keypoints (default: the lifter's)");
  cmd->add_flag("--flip-test", args->run.flip_test, "Average with the prediction of the mirrored input");
  cmd->add_option("--hypotheses", args->run.hypotheses,
                  "diffusion: hypotheses per pose, aggregated by JPMA (needs --intrinsics); their spread is written "
                  "as uncertainty_m")
      ->capture_default_str();
  cmd->add_option("--steps", args->run.steps, "diffusion: DDIM steps per hypothesis")->capture_default_str();
  cmd->add_flag("--no-jpma", args->run.no_jpma, "diffusion: average the hypotheses instead of JPMA");
  cmd->add_flag("--refine", args->run.refine,
                "UAO-style test-time refinement of each pose on its reprojection + the learnt prior (needs "
                "--intrinsics)");
  cmd->add_option("--refine-steps", args->run.refine_steps, "Gauss-Newton steps of --refine")->capture_default_str();
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunLiftCommand(*args); })); });
}

}  // namespace epilabel::cli
