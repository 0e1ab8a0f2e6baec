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
#include "detection/io/calibration_io.h"
#include "detection/io/camera_matching.h"
#include "detection/io/keypoint_io.h"
#include "detection/io/points_io.h"
#include "detection/keypoints.h"
#include "foundation/error.h"
#include "training/lifter.h"

namespace fs = std::filesystem;

namespace epilabel::cli {

namespace {

struct LiftArgs {
  std::string run;
  std::string poses;
  std::string out;
  std::vector<std::string> cameras;
  std::string image_size;  // WxH
  std::string intrinsics;  // calibration or intrinsics TOML giving the image sizes
  std::string skeleton;
  bool flip_test = false;
};

bool ParseSize(const std::string& text, int* w, int* h) {
  const size_t x = text.find_first_of("xX");
  if (x == std::string::npos) return false;
  try {
    *w = std::stoi(text.substr(0, x));
    *h = std::stoi(text.substr(x + 1));
  } catch (const std::exception&) {
    return false;
  }
  return *w > 0 && *h > 0;
}

void RunLift(const LiftArgs& args) {
  const RunInfo info = ReadRunInfo(args.run);
  int forced_w = 0, forced_h = 0;
  if (!args.image_size.empty() && !ParseSize(args.image_size, &forced_w, &forced_h)) {
    throw InputError("--image-size", "expected WIDTHxHEIGHT in pixels, e.g. 1920x1080, got '" + args.image_size + "'");
  }
  KeypointReadOptions read;
  read.skeleton = args.skeleton.empty() ? info.skeleton : args.skeleton;
  read.cameras = args.cameras;
  ProgressBar bar;
  read.progress = bar.Callback();
  const KeypointSequence sequence = ReadKeypoints(args.poses, read);
  bar.Finish();
  if (sequence.num_joints != static_cast<int>(info.joint_names.size())) {
    throw InputError(args.poses, "the keypoints have " + std::to_string(sequence.num_joints) + " joints (" +
                                     sequence.skeleton + "), the lifter expects " +
                                     std::to_string(info.joint_names.size()) + " (" + info.skeleton + ")");
  }
  if (!info.skeleton.empty() && !sequence.skeleton.empty() && sequence.skeleton != info.skeleton) {
    throw InputError(args.poses, "skeleton '" + sequence.skeleton + "' differs from the lifter's '" + info.skeleton + "'");
  }
  const ObservationTable table = ToObservations(sequence);
  const Observations2d& obs = table.observations;
  InferenceOptions options;
  options.num_threads = NumThreads();
  options.test_time_flip = args.flip_test;

  const int num_cameras = obs.num_cameras();
  // Image sizes from a calibration / intrinsics file, matched by camera name.
  std::vector<Eigen::Vector2i> calibrated_size(num_cameras, Eigen::Vector2i::Zero());
  if (!args.intrinsics.empty()) {
    const Rig rig = ReadCalibrationToml(args.intrinsics);
    std::vector<std::string> folder_names, calibration_names;
    for (const CameraKeypoints& cam : sequence.cameras) folder_names.push_back(cam.name);
    for (const Camera& cam : rig) calibration_names.push_back(cam.name);
    const std::vector<int> match = MatchCameraNames(folder_names, calibration_names, args.poses + " / " + args.intrinsics);
    for (int c = 0; c < num_cameras; ++c) calibrated_size[c] = Eigen::Vector2i(rig[match[c]].width, rig[match[c]].height);
  }
  for (int c = 0; c < num_cameras; ++c) {
    const CameraKeypoints& cam = sequence.cameras[c];
    Track2d track;
    track.width = forced_w > 0 ? forced_w : (calibrated_size[c].x() > 0 ? calibrated_size[c].x() : cam.width);
    track.height = forced_h > 0 ? forced_h : (calibrated_size[c].y() > 0 ? calibrated_size[c].y() : cam.height);
    if (track.width <= 0 || track.height <= 0) {
      throw InputError(args.poses, "the image size of camera '" + cam.name +
                                       "' is unknown; give it with --image-size WxH or --intrinsics FILE (the 2D "
                                       "input is normalised by it)");
    }
    track.num_joints = obs.num_joints();
    track.keypoints.resize(static_cast<size_t>(obs.num_frames()) * obs.num_joints(), Eigen::Vector3d::Zero());
    for (int f = 0; f < obs.num_frames(); ++f) {
      for (int j = 0; j < obs.num_joints(); ++j) {
        if (obs.IsObserved(c, f, j)) track.keypoints[static_cast<size_t>(f) * obs.num_joints() + j] = obs.at(c, f, j);
      }
    }
    PointsFile file;
    file.points = LiftPoses(args.run, track, options);
    file.joint_names = info.joint_names;
    file.frame_numbers = table.frame_numbers;
    file.reproj_error_px = FrameJointArray<double>(obs.num_frames(), obs.num_joints(), kNaN);
    file.n_views = FrameJointArray<int32_t>(obs.num_frames(), obs.num_joints(), 0);
    int lifted_frames = 0;
    for (int f = 0; f < obs.num_frames(); ++f) {
      bool any = false;
      for (int j = 0; j < obs.num_joints(); ++j) {
        const bool seen = obs.IsObserved(c, f, j);
        file.n_views.at(f, j) = seen ? 1 : 0;
        any = any || file.points.IsValid(f, j);
      }
      lifted_frames += any ? 1 : 0;
    }
    std::string path = args.out;
    if (num_cameras > 1) {
      const fs::path p(args.out);
      path = (p.parent_path() / (p.stem().string() + "_" + cam.name + p.extension().string())).string();
    }
    WritePointsNpz(file, path);
    fmt::print("{}: {} of {} frames lifted -> {}\n", cam.name, lifted_frames, obs.num_frames(), path);
  }
}

}  // namespace

void AddLiftCommand(CLI::App& app) {
  auto args = std::make_shared<LiftArgs>();
  CLI::App* cmd = app.add_subcommand("lift", "Lift new 2D keypoints to 3D with a trained lifter (monocular)");
  cmd->footer(
      "Examples:\n"
      "  epilabel lift --run runs/mlp --poses clip/pose --intrinsics clip/intrinsics.toml --out points3d.npz\n"
      "  epilabel lift --run runs/mlp --poses keypoints2d.npz --camera cam2 --image-size 1920x1080 --out cam2.npz\n"
      "The points are root-relative, in each camera's frame (metres, x right, y down, z forward).\n"
      "With several cameras, one file per camera: OUT_<camera>.npz.");
  cmd->add_option("--run,-r", args->run, "Run folder written by epilabel train")->required();
  cmd->add_option("--poses,-p", args->poses, "2D keypoints: OpenPose folder, COCO JSON, keypoints2d.npz")->required();
  cmd->add_option("--out,-o", args->out, "Output points3d.npz")->required();
  cmd->add_option("--camera", args->cameras, "Only these cameras (repeat or comma-separate)")->delimiter(',');
  cmd->add_option("--image-size", args->image_size, "Image size WxH when the keypoint files do not give it");
  cmd->add_option("--intrinsics,--calib", args->intrinsics,
                  "Calibration or intrinsics TOML giving each camera's image size (matched by camera name)");
  cmd->add_option("--skeleton,-s", args->skeleton, "Skeleton of the keypoints (default: the lifter's)");
  cmd->add_flag("--flip-test", args->flip_test, "Average with the prediction of the mirrored input");
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunLift(*args); })); });
}

}  // namespace epilabel::cli
