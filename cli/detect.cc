// epilabel detect: 2D pose detection (one person, or several with --people) (COCO-17, or BlazePose's 33 joints) on
// videos or image folders, one per camera, written as OpenPose JSON folders (<out>/<camera>/...) for calibrate/triangulate.
#include <array>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "foundation/output_commit.h"
#include "detection/dnn/pose_detector.h"
#include "detection/io/keypoint_io.h"
#include "foundation/error.h"

namespace epilabel::cli {

namespace {

struct DetectArgs {
  std::vector<std::string> videos;
  std::vector<std::string> image_folders;
  std::string out;
  std::string model = "thunder";
  std::string models_dir;
  std::string input_size;
  std::string layout = "auto";
  std::vector<double> mean;
  std::vector<double> std;
  bool bgr = false;
  bool no_track = false;
  bool no_left_right_check = false;
  double min_score = 0.0;
  std::string people = "1";
  std::string people_model;
  bool no_refine_people = false;
  double min_person_score = 0.2;
  bool flip = false;
  std::vector<double> test_scales;
  int vote_radius = 0;
  double smooth = 0.0;
  double smooth_seconds = KeypointSmoothingOptions{}.sigma_s;
  int smooth_degree = KeypointSmoothingOptions{}.degree;
  bool no_smooth = false;
  double fps = 0.0;
  std::vector<double> crop_expansion;
  double upright_crop = 0.0;
  bool no_fit_body = false;
  double motion_frames = PoseDetectorOptions{}.crop_motion_frames;
  bool upright_along_body = false;
};

std::array<double, 3> Triple(const std::vector<double>& values, const char* flag) {
  if (values.size() != 3) throw InputError(flag, "expected three comma-separated values, one per channel");
  return {values[0], values[1], values[2]};
}

PoseDetectorOptions MakeOptions(const DetectArgs& args) {
  PoseDetectorOptions options;
  if (IsBundledModelName(args.model)) {
    options.model.path = MoveNetModelPath(ModelsDir(args.models_dir), args.model);
    options.model.layout = args.model.rfind("blazepose", 0) == 0 ? PoseModelLayout::kBlazePose : PoseModelLayout::kMoveNet;
  } else {
    options.model.path = args.model;
    options.model.layout = ParsePoseModelLayout(args.layout);
  }
  // BlazePose needs a crop: Thunder finds the person where there is none to track.
  if (options.model.layout == PoseModelLayout::kBlazePose)
    options.person_finder_path = MoveNetModelPath(ModelsDir(args.models_dir), "thunder");
  if (!args.input_size.empty()) {
    const size_t x = args.input_size.find_first_of("xX");
    char* end = nullptr;
    const long w = x == std::string::npos ? 0 : std::strtol(args.input_size.c_str(), &end, 10);
    const bool w_ok = x != std::string::npos && end == args.input_size.c_str() + x;
    const long h = w_ok ? std::strtol(args.input_size.c_str() + x + 1, &end, 10) : 0;
    if (!w_ok || *end != '\0' || w <= 0 || h <= 0 || w > 8192 || h > 8192)
      throw InputError("--input-size", "expected WIDTHxHEIGHT in pixels, e.g. 192x256; got '" + args.input_size + "'");
    options.model.input_width = static_cast<int>(w);
    options.model.input_height = static_cast<int>(h);
  }
  if (!args.mean.empty()) options.model.top_down.mean = Triple(args.mean, "--mean");
  if (!args.std.empty()) options.model.top_down.std = Triple(args.std, "--std");
  options.model.top_down.rgb = !args.bgr;
  options.track = !args.no_track;
  options.min_output_score = args.min_score;
  if (args.people == "auto") {
    options.people.max_people = 0;
  } else {
    char* end = nullptr;
    const long n = std::strtol(args.people.c_str(), &end, 10);
    if (args.people.empty() || *end != '\0' || n < 1 || n > 1000)
      throw InputError("--people", "expected a count of people (1, 2, ...) or auto; got '" + args.people + "'");
    options.people.max_people = static_cast<int>(n);
  }
  if (args.people_model.empty()) {
    const std::string models_dir = ModelsDir(args.models_dir);
    options.people.model_path = MoveNetMultiPoseModelPath(models_dir);
    std::error_code ec;
    if (std::filesystem::exists(MoveNetMultiPosePortraitModelPath(models_dir), ec))
      options.people.portrait_model_path = MoveNetMultiPosePortraitModelPath(models_dir);
  } else {
    options.people.model_path = args.people_model;
  }
  options.people.refine = !args.no_refine_people;
  options.people.min_person_score = args.min_person_score;
  options.model.flip_test = args.flip;
  options.model.test_scales = args.test_scales;
  options.model.movenet_decoding.vote_radius = args.vote_radius;
  options.left_right_check = !args.no_left_right_check;
  options.smoothing.sigma_frames = args.no_smooth ? 0.0 : args.smooth;
  options.smoothing.sigma_s = args.no_smooth ? 0.0 : args.smooth_seconds;
  options.smoothing.degree = args.smooth_degree;
  options.image_folder_fps = args.fps;
  options.crop_upright_min_tilt_deg = args.upright_crop;
  if (args.no_fit_body) options.crop_fit_seen_body = false;
  options.crop_motion_frames = args.motion_frames;
  if (args.upright_along_body) options.crop_upright_along_body = true;
  if (!args.crop_expansion.empty()) {
    if (args.crop_expansion.size() != 2) throw InputError("--crop-expansion", "expected TORSO,BODY (e.g. 1.9,1.2)");
    options.crop_torso_expansion = args.crop_expansion[0];
    options.crop_body_expansion = args.crop_expansion[1];
  }
  return options;
}

void RunDetect(const DetectArgs& args) {
  if (args.videos.empty() && args.image_folders.empty())
    throw InputError("", "give at least one --video FILE or --images FOLDER (one per camera)");
  std::vector<CameraInput> inputs;
  for (const std::string& v : args.videos) inputs.push_back({"", v});
  for (const std::string& d : args.image_folders) inputs.push_back({"", d});
  const PoseDetectorOptions options = MakeOptions(args);
  spdlog::info("detect: {} camera(s), model {}", inputs.size(), options.model.path);

  DetectionResult result;
  {
    ProgressBar bar;
    result = DetectCameras(inputs, options, bar.Callback());
  }
  for (const CameraDetectionSummary& c : result.cameras) {
    spdlog::info("{}: {} frames {}x{}, mean score {:.2f}, {} lost, {:.1f} frames/s", c.camera, c.frames, c.width,
                 c.height, c.mean_score, c.lost_frames, c.FramesPerSecond());
    if (c.smoothing_sigma_frames > 0.0)
      spdlog::info("{}: joints smoothed over time (sigma {:.2f} frames)", c.camera, c.smoothing_sigma_frames);
    else if (options.smoothing.Enabled() && c.frames > 1)
      spdlog::info("{}: not smoothed (no timestamps: give --fps for image folders, or --smooth in frames)", c.camera);
    if (c.left_right_swaps > 0)
      spdlog::info("{}: left and right swapped back in {} frame(s) (the model exchanged them against the "
                   "previous frames)",
                   c.camera, c.left_right_swaps);
    if (options.people.max_people != 1)
      spdlog::info("{}: {:.2f} people per frame, {} person tracks", c.camera,
                   c.frames > 0 ? static_cast<double>(c.people_detections) / c.frames : 0.0, c.tracks);
    if (c.timing.known()) {
      spdlog::info("{}: {:.3f} frames/s measured from the timestamps, {}", c.camera, c.timing.fps,
                   c.timing.variable ? fmt::format("variable rate (a frame up to {:.2f} frame off even spacing)",
                                                   c.timing.max_deviation_frames)
                                     : std::string("constant rate"));
    }
    if (!c.timing_note.empty()) spdlog::warn("{}: {}", c.camera, c.timing_note);
    if (c.frames > 0 && c.lost_frames == c.frames)
      spdlog::warn("{}: no person found in any frame of {}", c.camera, c.source);
  }
  RemoveStaleTemporaries(args.out);  // the staging folders of killed runs of the same output
  WriteOpenPoseFolder(result.keypoints, args.out);
  spdlog::info("wrote OpenPose JSON ({}) for {} camera(s) to {}", result.keypoints.skeleton,
               result.keypoints.cameras.size(), args.out);
}

}  // namespace

void AddDetectCommand(CLI::App& app) {
  auto args = std::make_shared<DetectArgs>();
  CLI::App* cmd = app.add_subcommand("detect", "Detect 2D poses (COCO-17, or 33 joints with the feet with BlazePose) in videos or image folders, one per camera");
  cmd->footer(
      "Examples:\n"
      "  epilabel detect --video cam01.mp4 --video cam02.mp4 --out pose/\n"
      "  epilabel detect --images frames/cam01 --images frames/cam02 --model lightning --out pose/\n"
      "  epilabel detect --video cam01.mp4 --video cam02.mp4 --model blazepose --out pose/   (heels and toes too)\n"
      "  epilabel detect --video cam01.mp4 --model rtmpose.onnx --layout simcc --input-size 192x256 --out pose/\n"
      "Camera names come from the file or folder names. MoveNet models are set up by\n"
      "scripts/setup-models.sh (scripts/setup.sh runs it).");
  cmd->add_option("--video", args->videos, "A video file of one camera (repeat per camera)")->check(CLI::ExistingFile);
  cmd->add_option("--images", args->image_folders, "A folder of one camera's images, in name order (repeat per camera)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out,-o", args->out, "Output folder: <out>/<camera>/<camera>_<frame>_keypoints.json")->required();
  cmd->add_option("--model,-m", args->model,
                  "thunder (MoveNet Thunder, 256x256, default), lightning (MoveNet Lightning, 192x192, faster), "
                  "blazepose (BlazePose full: 33 joints with heels and toes, skeleton blazepose33), blazepose-heavy "
                  "(slower) or an .onnx file")
      ->capture_default_str();
  cmd->add_option("--models-dir", args->models_dir,
                  "Folder of the bundled models (default: $EPILABEL_MODELS_DIR, else the source tree's models/)");
  cmd->add_option("--layout", args->layout,
                  "Output layout of an .onnx model: auto (MoveNet heads if present, BlazePose's landmarks/poseflag, "
                  "else heatmap), movenet, heatmap, simcc, blazepose")
      ->capture_default_str();
  cmd->add_option("--input-size", args->input_size, "Network input WIDTHxHEIGHT of an .onnx model (default: from the file)");
  cmd->add_option("--mean", args->mean, "Per-channel mean of a top-down model's input, 0-255 scale (default ImageNet)")
      ->delimiter(',')
      ->expected(3);
  cmd->add_option("--std", args->std, "Per-channel std of a top-down model's input, 0-255 scale (default ImageNet)")
      ->delimiter(',')
      ->expected(3);
  cmd->add_flag("--bgr", args->bgr, "A top-down model takes BGR input (default RGB)");
  cmd->add_flag("--no-track", args->no_track, "Search every frame on the full frame instead of around the last person");
  cmd->add_flag("--no-left-right-check", args->no_left_right_check,
                "Keep the model's left and right as they are (default: swap them back in a frame whose pose "
                "continues the previous frames much better exchanged)");
  cmd->add_option("--people", args->people,
                  "People per frame: 1 (the single-person detector), N (the N best) or auto (everyone found); "
                  "several people are found by MoveNet MultiPose, refined by --model on each, and tracked per camera "
                  "(person_id in the JSON)")
      ->capture_default_str();
  cmd->add_option("--people-model", args->people_model,
                  "The multi-person model for --people (default: movenet-multipose.onnx in the models folder, and "
                  "movenet-multipose-portrait.onnx for frames taller than wide when it is there)");
  cmd->add_option("--min-person-score", args->min_person_score,
                  "With --people: drop people whose multi-person score is below this")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--no-refine-people", args->no_refine_people,
                "With --people: keep MultiPose's joints instead of running --model on each person's crop");
  cmd->add_flag("--flip", args->flip,
                "Test-time flip averaging: also run each crop mirrored and average (twice the inference time)");
  cmd->add_option("--test-scales", args->test_scales,
                  "Test-time scales: run each crop once per scale (the crop scaled about its centre, e.g. "
                  "0.9,1,1.1) and merge the joints by score (one inference per scale, two with --flip)")
      ->delimiter(',');
  cmd->add_option("--vote-radius", args->vote_radius,
                  "MoveNet: each joint's position voted by the cells within this radius of its heatmap peak "
                  "(cell + offset, weighted by the heatmap; 0 = MoveNet's own decoding)")
      ->capture_default_str()
      ->check(CLI::Range(0, 3));
  cmd->add_option("--fps", args->fps,
                  "Frame rate of --images folders: their timestamps are frame index / fps (videos take theirs "
                  "from the container; 0 = image folders without timestamps)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--smooth-seconds", args->smooth_seconds,
                  "Confidence-weighted temporal smoothing of the joints: a local line fitted over a Gaussian "
                  "window of this sigma in seconds, on the frames' timestamps (videos, --images with --fps; "
                  "0 = off)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--smooth", args->smooth,
                  "The smoothing's sigma in frames instead of seconds (with or without timestamps; 0 = use "
                  "--smooth-seconds)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--smooth-degree", args->smooth_degree,
                  "Degree of the local polynomial of the smoothing: 0 = weighted mean, 1 = line (keeps uniform "
                  "motion), 2 = parabola (keeps acceleration, smooths least)")
      ->capture_default_str()
      ->check(CLI::Range(0, 2));
  cmd->add_flag("--no-smooth", args->no_smooth, "No temporal smoothing (the joints of each frame as detected)");
  cmd->add_option("--crop-expansion", args->crop_expansion,
                  "MoveNet crop around the last person: TORSO,BODY expansion factors (default 1.9,1.2)")
      ->delimiter(',')
      ->expected(2);
  cmd->add_option("--upright-crop", args->upright_crop,
                  "MoveNet: turn the crop so that the torso points up when it leans more than this many degrees "
                  "(0 = whenever it leans at all; negative = never, MoveNet's own upright square)")
      ->capture_default_str()
      ->check(CLI::Range(-1.0, 180.0));
  cmd->add_flag("--no-fit-body", args->no_fit_body,
                "MoveNet: its own crop factors (--crop-expansion) always (default: a tracked person seen whole, a "
                "face joint and an ankle, is cropped to the body's extent plus its measured motion)");
  cmd->add_option("--motion-frames", args->motion_frames,
                  "With the body fit: the crop's margin in frames of the person's measured motion")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_flag("--upright-along-body", args->upright_along_body,
                "MoveNet: turn the upright crop along the body (mid-ankle to mid-shoulder, when both ankles are "
                "seen) instead of the torso (mid-hip to mid-shoulder)");
  cmd->add_option("--min-score", args->min_score, "Write joints scoring below this as missing (0, 0, 0)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunDetect(*args); })); });
}

}  // namespace epilabel::cli
