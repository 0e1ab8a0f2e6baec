#include "detection/synthetic/studio.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "detection/io/calibration_io.h"
#include "foundation/file_util.h"
#include "detection/io/keypoint_io.h"
#include "foundation/npz.h"
#include "detection/skeleton.h"
#include "detection/synthetic/bvh.h"
#include "detection/synthetic/motion.h"
#include "detection/synthetic/rigs.h"
#include "foundation/error.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

constexpr int kMaxFrames = 10'000'000;

SimulatedDetectorOptions DetectorOptions(const StudioOptions& options) {
  SimulatedDetectorOptions d;
  d.noise_px = options.noise_px;
  d.outlier_rate = options.outlier_rate;
  d.swap_rate = options.swap_rate;
  d.missing_rate = options.missing_rate;
  d.hip_offset_px = options.hip_offset_px;
  d.seed = options.seed;
  d.progress = options.progress;
  return d;
}

// The BVH files to play: the given ones, else DATA_DIR/motions/*.bvh sorted by name.
std::vector<std::string> MotionFiles(const StudioOptions& options) {
  if (!options.motion_files.empty()) return options.motion_files;
  const fs::path dir = fs::path(options.data_dir) / "motions";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw InputError(dir.string(), "motion folder not found (set --data-dir or EPILABEL_DATA_DIR to the data/ folder)");
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".bvh") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw InputError(dir.string(), "no .bvh motion clips in this folder");
  return files;
}

template <typename T>
NpyArray Scalar(T value) {
  return NpyArray::FromData(&value, {});
}

}  // namespace

void StudioOptions::Check() const {
  MakeStudioRig(rig);  // throws for unknown names
  if (num_frames < 1 || num_frames > kMaxFrames) {
    throw InputError("--frames", "must be between 1 and " + std::to_string(kMaxFrames) + ", got " +
                                     std::to_string(num_frames));
  }
  if (!(fps > 0.0 && fps <= 1000.0)) {
    std::ostringstream os;
    os << fps;
    throw InputError("--fps", "must be in (0, 1000], got " + os.str());
  }
  DetectorOptions(*this).Check();
  if (num_people != 1) {
    if (num_people > 1) {
      throw InputError("--people", std::to_string(num_people) + " people: not supported yet (only 1 for now)");
    }
    throw InputError("--people", "must be 1, got " + std::to_string(num_people));
  }
  if (motion_files.empty() && data_dir.empty()) {
    throw InputError("motion clips", "no motion clips: give motion files or the data folder");
  }
}

KeypointSequence SyntheticScene::ToKeypointSequence() const {
  std::vector<std::string> names;
  for (const Camera& camera : rig) names.push_back(camera.name);
  KeypointSequence seq = FromObservations(observations, frame_numbers, names, "coco17");
  for (size_t c = 0; c < rig.size(); ++c) {
    seq.cameras[c].width = rig[c].width;
    seq.cameras[c].height = rig[c].height;
  }
  return seq;
}

SyntheticScene Synthesize(const StudioOptions& options) {
  options.Check();
  StudioRig studio_rig = MakeStudioRig(options.rig);
  if (options.ideal_lenses) {
    for (Camera& cam : studio_rig.cameras) {
      cam.cx = (cam.width - 1) / 2.0;
      cam.cy = (cam.height - 1) / 2.0;
      cam.fy = cam.fx;
      cam.distortion = Distortion{};
    }
  }
  const std::vector<std::string> files = MotionFiles(options);
  std::vector<BvhMotion> clips;
  clips.reserve(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    clips.push_back(ReadBvh(files[i]));
    if (options.progress) options.progress("loading motion clips", i + 1, files.size());
  }

  MotionOptions motion_options;
  motion_options.num_frames = options.num_frames;
  motion_options.fps = options.fps;
  motion_options.area_center = studio_rig.area_center;
  motion_options.area_half_extents = studio_rig.area_half_extents;
  motion_options.seed = options.seed;
  MotionSequence motion = GenerateMotion(clips, motion_options);

  SimulatedDetection detection =
      SimulateDetector(studio_rig.cameras, motion.points3d, motion.subject_height, DetectorOptions(options));

  SyntheticScene scene;
  scene.options = options;
  scene.options.progress = nullptr;
  scene.rig = studio_rig.cameras;
  scene.points3d = std::move(motion.points3d);
  scene.observations = std::move(detection.observations);
  scene.frame_numbers.resize(options.num_frames);
  for (int f = 0; f < options.num_frames; ++f) scene.frame_numbers[f] = f;
  scene.outlier_mask = std::move(detection.outlier_mask);
  scene.swap_mask = std::move(detection.swap_mask);
  scene.missing_mask = std::move(detection.missing_mask);
  scene.invisible_mask = std::move(detection.invisible_mask);
  scene.bone_lengths = motion.bone_lengths;
  scene.subject_height = motion.subject_height;
  for (const ClipPlay& play : motion.plays) {
    scene.clip_names.push_back(play.clip);
    scene.clip_start_frames.push_back(play.first_frame);
  }
  scene.statistics = detection.statistics;
  return scene;
}

namespace {

void WriteGroundTruthNpz(const SyntheticScene& scene, const std::string& path) {
  const int num_cameras = static_cast<int>(scene.rig.size());
  const int num_frames = scene.points3d.num_frames();
  const int num_joints = scene.points3d.num_joints();
  NpzWriter npz(path, /*compress=*/true);
  std::vector<double> points;
  points.reserve(static_cast<size_t>(num_frames) * num_joints * 3);
  for (const Eigen::Vector3d& p : scene.points3d.data()) points.insert(points.end(), {p.x(), p.y(), p.z()});
  npz.Add("points3d", NpyArray::FromVector(points, {num_frames, num_joints, 3}));

  std::vector<double> k, dist, r, t;
  std::vector<int32_t> image_size;
  std::vector<std::string> camera_names;
  for (const Camera& camera : scene.rig) {
    const Eigen::Matrix3d km = camera.K();
    const Eigen::Matrix3d rm = camera.cam_from_world.RotationMatrix();
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        k.push_back(km(i, j));
        r.push_back(rm(i, j));
      }
      t.push_back(camera.cam_from_world.translation[i]);
    }
    dist.insert(dist.end(), camera.distortion.begin(), camera.distortion.end());
    image_size.push_back(camera.width);
    image_size.push_back(camera.height);
    camera_names.push_back(camera.name);
  }
  npz.Add("K", NpyArray::FromVector(k, {num_cameras, 3, 3}));
  npz.Add("dist", NpyArray::FromVector(dist, {num_cameras, 5}));
  npz.Add("R", NpyArray::FromVector(r, {num_cameras, 3, 3}));
  npz.Add("t", NpyArray::FromVector(t, {num_cameras, 3}));
  npz.Add("image_size", NpyArray::FromVector(image_size, {num_cameras, 2}));
  npz.Add("camera_names", NpyArray::FromStrings(camera_names));
  npz.Add("joint_names", NpyArray::FromStrings(GetSkeleton("coco17").joint_names));
  const std::vector<int64_t> mask_shape = {num_cameras, num_frames, num_joints};
  npz.Add("outlier_mask", NpyArray::FromVector(scene.outlier_mask, mask_shape));
  npz.Add("swap_mask", NpyArray::FromVector(scene.swap_mask, mask_shape));
  npz.Add("missing_mask", NpyArray::FromVector(scene.missing_mask, mask_shape));
  npz.Add("invisible_mask", NpyArray::FromVector(scene.invisible_mask, mask_shape));
  npz.Add("bone_lengths", NpyArray::FromVector(scene.bone_lengths, {static_cast<int64_t>(scene.bone_lengths.size())}));
  std::vector<int32_t> bones;
  for (const Bone& bone : GetSkeleton("coco17").bones) bones.insert(bones.end(), {bone.parent, bone.child});
  npz.Add("bones", NpyArray::FromVector(bones, {static_cast<int64_t>(bones.size() / 2), 2}));
  npz.Add("subject_height", Scalar(scene.subject_height));
  npz.Add("fps", Scalar(scene.options.fps));
  npz.Add("frame_numbers", NpyArray::FromVector(scene.frame_numbers, {num_frames}));
  npz.Close();
}

std::string SceneJson(const SyntheticScene& scene) {
  const StudioOptions& o = scene.options;
  const StudioRig studio_rig = MakeStudioRig(o.rig);
  nlohmann::ordered_json j;
  j["generator"] = "epilabel synth";
  nlohmann::ordered_json options;
  options["rig"] = o.rig;
  options["frames"] = o.num_frames;
  options["fps"] = o.fps;
  options["noise_px"] = o.noise_px;
  options["outlier_rate"] = o.outlier_rate;
  options["swap_rate"] = o.swap_rate;
  options["missing_rate"] = o.missing_rate;
  options["hip_offset_px"] = DetectorOptions(o).EffectiveHipOffsetPx();
  options["people"] = o.num_people;
  options["seed"] = o.seed;
  j["options"] = options;

  nlohmann::ordered_json rig;
  rig["name"] = o.rig;
  rig["cameras"] = nlohmann::json::array();
  for (const Camera& camera : scene.rig) rig["cameras"].push_back(camera.name);
  rig["capture_area_center_m"] = {studio_rig.area_center.x(), studio_rig.area_center.y()};
  rig["capture_area_size_m"] = {2.0 * studio_rig.area_half_extents.x(), 2.0 * studio_rig.area_half_extents.y()};
  j["rig"] = rig;

  j["skeleton"] = "coco17";
  j["subject_height_m"] = scene.subject_height;
  nlohmann::ordered_json clips = nlohmann::json::array();
  for (size_t i = 0; i < scene.clip_names.size(); ++i) {
    const int first = scene.clip_start_frames[i];
    const int end = i + 1 < scene.clip_start_frames.size() ? scene.clip_start_frames[i + 1] : scene.points3d.num_frames();
    clips.push_back({{"clip", scene.clip_names[i]}, {"first_frame", first}, {"frames", end - first}});
  }
  j["clips"] = clips;

  const DetectorStatistics& s = scene.statistics;
  int64_t swapped_points = 0;
  for (uint8_t m : scene.swap_mask) swapped_points += m;
  nlohmann::ordered_json stats;
  stats["points"] = s.points;
  stats["visible"] = s.visible;
  stats["invisible"] = s.invisible();
  stats["missing"] = s.missing;
  stats["outliers"] = s.outliers;
  stats["swap_eligible_pairs"] = s.swap_eligible_pairs;
  stats["swapped_pairs"] = s.swapped_pairs;
  stats["swapped_points"] = swapped_points;
  stats["missing_rate"] = s.missing_rate();
  stats["outlier_rate"] = s.outlier_rate();
  stats["swap_rate"] = s.swap_rate();
  j["statistics"] = stats;
  j["files"] = {{"calibration", "calibration.toml"}, {"intrinsics", "intrinsics.toml"},
                {"keypoints_openpose", "pose/<camera>/"}, {"keypoints_npz", "keypoints2d.npz"},
                {"ground_truth", "gt.npz"}};
  return j.dump(2) + "\n";
}

}  // namespace

void WriteSyntheticScene(const SyntheticScene& scene, const std::string& out_dir) {
  fs::path out = fs::path(out_dir).lexically_normal();
  if (out.empty()) throw InputError("--out", "no output folder given");
  if (!out.has_filename() && out.has_parent_path()) out = out.parent_path();
  std::error_code ec;
  if (fs::exists(out, ec)) {
    if (!fs::is_directory(out, ec)) throw InputError(out.string(), "exists and is not a folder");
    // Replace a previous scene, never an unrelated folder.
    if (!fs::is_empty(out, ec) && !fs::exists(out / "scene.json", ec)) {
      throw InputError(out.string(), "folder exists and is not a synthetic scene (no scene.json); choose a new folder");
    }
  }
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  fs::create_directories(parent);
  const fs::path tmp = parent / ("." + out.filename().string() + ".tmp." + std::to_string(::getpid()));
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp);
  try {
    WriteCalibrationToml(scene.rig, (tmp / "calibration.toml").string());
    Rig intrinsics = scene.rig;
    for (Camera& camera : intrinsics) camera.has_extrinsics = false;
    WriteCalibrationToml(intrinsics, (tmp / "intrinsics.toml").string());
    const KeypointSequence sequence = scene.ToKeypointSequence();
    WriteOpenPoseFolder(sequence, (tmp / "pose").string());
    WriteKeypointsNpz(sequence, (tmp / "keypoints2d.npz").string());
    WriteGroundTruthNpz(scene, (tmp / "gt.npz").string());
    WriteFileAtomic((tmp / "scene.json").string(), SceneJson(scene));
    CommitDirectory(tmp.string(), out.string());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

GroundTruth ReadGroundTruth(const std::string& gt_npz_path) {
  const auto npz = ReadNpz(gt_npz_path);
  const NpyArray& points = RequireArray(npz, "points3d", 3, gt_npz_path);
  if (points.shape[2] != 3 || points.shape[0] < 1 || points.shape[1] < 1) {
    throw InputError(gt_npz_path, "'points3d' must have shape [frames, joints, 3]");
  }
  GroundTruth gt;
  const int num_frames = static_cast<int>(points.shape[0]);
  const int num_joints = static_cast<int>(points.shape[1]);
  std::vector<double> values;
  try {
    values = points.ToDoubles();
  } catch (const std::exception& e) {
    throw InputError(gt_npz_path, std::string("'points3d': ") + e.what());
  }
  gt.points3d = Points3d(num_frames, num_joints);
  for (int f = 0; f < num_frames; ++f) {
    for (int j = 0; j < num_joints; ++j) {
      const size_t i = (static_cast<size_t>(f) * num_joints + j) * 3;
      gt.points3d.at(f, j) = Eigen::Vector3d(values[i], values[i + 1], values[i + 2]);
    }
  }
  if (npz.count("K")) gt.num_cameras = static_cast<int>(RequireArray(npz, "K", 3, gt_npz_path).shape[0]);
  auto read_mask = [&](const std::string& name, std::vector<uint8_t>* mask) {
    if (!npz.count(name)) return;
    const NpyArray& a = RequireArray(npz, name, 3, gt_npz_path);
    if (a.shape[1] != num_frames || a.shape[2] != num_joints || (gt.num_cameras > 0 && a.shape[0] != gt.num_cameras)) {
      throw InputError(gt_npz_path, "'" + name + "' must have shape [cameras, " + std::to_string(num_frames) + ", " +
                                        std::to_string(num_joints) + "]");
    }
    gt.num_cameras = static_cast<int>(a.shape[0]);
    std::vector<int64_t> v;
    try {
      v = a.ToInt64();
    } catch (const std::exception& e) {
      throw InputError(gt_npz_path, "'" + name + "': " + e.what());
    }
    mask->assign(v.begin(), v.end());
  };
  read_mask("outlier_mask", &gt.outlier_mask);
  read_mask("swap_mask", &gt.swap_mask);
  read_mask("missing_mask", &gt.missing_mask);
  read_mask("invisible_mask", &gt.invisible_mask);
  try {
    if (npz.count("bone_lengths")) gt.bone_lengths = RequireArray(npz, "bone_lengths", 1, gt_npz_path).ToDoubles();
    if (npz.count("subject_height")) {
      const std::vector<double> h = npz.at("subject_height").ToDoubles();
      if (h.size() != 1) throw InputError(gt_npz_path, "'subject_height' must be a single number");
      gt.subject_height = h[0];
    }
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(gt_npz_path, e.what());
  }
  return gt;
}

}  // namespace epilabel
