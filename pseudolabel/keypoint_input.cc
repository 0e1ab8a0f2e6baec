#include "pseudolabel/keypoint_input.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "detection/io/calibration_io.h"
#include "detection/io/camera_matching.h"
#include "detection/io/keypoint_io.h"
#include "foundation/error.h"

namespace epilabel {

KeypointInput LoadKeypointInput(const std::string& path, const std::string& skeleton, int min_cameras,
                                const ProgressCallback& progress) {
  KeypointInput in;
  in.path = path;
  KeypointReadOptions ro;
  ro.skeleton = skeleton;
  ro.progress = progress;
  in.keypoints = ReadKeypoints(path, ro);
  if (in.keypoints.cameras.empty()) throw InputError(path, "no camera found");
  if (static_cast<int>(in.keypoints.cameras.size()) < min_cameras) {
    std::string names;
    for (const auto& c : in.keypoints.cameras) names += (names.empty() ? "" : ", ") + c.name;
    throw InputError(path, "needs at least " + std::to_string(min_cameras) + " cameras, found " +
                               std::to_string(in.keypoints.cameras.size()) + " (" + names + ")");
  }
  if (in.keypoints.AllFrameNumbers().empty()) throw InputError(path, "no frame found");
  in.skeleton = &GetSkeleton(in.keypoints.skeleton);
  for (CameraKeypoints& c : in.keypoints.cameras) {
    in.camera_names.push_back(c.name);
    in.timing.push_back(MeasureFrameTiming(c.timestamps_s));
    if (in.timing.back().variable) c = OnEvenlySpacedFrames(c, in.timing.back().fps);
  }
  return in;
}

namespace {

// The index of `name` among `names`: the same name, else the only one with the same number
// (CameraNameNumber); -1 when none (a camera new to the pooled input).
int FindTakeCamera(const std::vector<std::string>& names, const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  const std::optional<long long> number = CameraNameNumber(name);
  if (!number) return -1;
  int found = -1;
  for (size_t i = 0; i < names.size(); ++i) {
    if (CameraNameNumber(names[i]) != number) continue;
    if (found >= 0) return -1;
    found = static_cast<int>(i);
  }
  return found;
}

std::string ImageSizeText(int width, int height) { return std::to_string(width) + "x" + std::to_string(height); }

// The first take read: skeleton and joints of the pooled input.
void StartPooledInput(const KeypointInput& take, KeypointInput* pooled) {
  pooled->skeleton = take.skeleton;
  pooled->keypoints.skeleton = take.keypoints.skeleton;
  pooled->keypoints.num_joints = take.keypoints.num_joints;
}

void CheckSameSkeleton(const KeypointInput& take, const KeypointInput& pooled) {
  if (take.skeleton == pooled.skeleton && take.keypoints.num_joints == pooled.keypoints.num_joints) return;
  throw InputError(take.path, "the keypoints are " + take.keypoints.skeleton + " (" +
                                  std::to_string(take.keypoints.num_joints) + " joints), those of the first take (" +
                                  pooled.takes.front().path + ") " + pooled.keypoints.skeleton + " (" +
                                  std::to_string(pooled.keypoints.num_joints) +
                                  " joints): every take must come from the same detector");
}

// Appends a take's frames (shifted by take->frame_shift) to the pooled input, its cameras matched
// to the pooled ones or added; `size_from[c]` is the take that gave pooled camera c its size.
void AppendTake(KeypointInput&& take, const Take& where, KeypointInput* pooled, std::vector<std::string>* size_from) {
  for (size_t c = 0; c < take.keypoints.cameras.size(); ++c) {
    CameraKeypoints& cam = take.keypoints.cameras[c];
    int index = FindTakeCamera(pooled->camera_names, cam.name);
    if (index < 0) {
      index = static_cast<int>(pooled->camera_names.size());
      pooled->camera_names.push_back(cam.name);
      pooled->timing.push_back(take.timing[c]);
      pooled->keypoints.cameras.emplace_back();
      pooled->keypoints.cameras.back().name = cam.name;
      size_from->emplace_back();
    }
    CameraKeypoints& into = pooled->keypoints.cameras[index];
    if (cam.width > 0 && cam.height > 0) {
      if (into.width > 0 && (into.width != cam.width || into.height != cam.height))
        throw InputError(where.path, "camera '" + cam.name + "' has " + ImageSizeText(cam.width, cam.height) +
                                         " images here but " + ImageSizeText(into.width, into.height) + " in " +
                                         (*size_from)[index] + ": takes of one rig must share each camera's image size");
      into.width = cam.width;
      into.height = cam.height;
      (*size_from)[index] = where.path;
    }
    for (size_t i = 0; i < cam.frame_numbers.size(); ++i) {
      into.frame_numbers.push_back(cam.frame_numbers[i] + where.frame_shift);
      into.people.push_back(std::move(cam.people[i]));
    }
  }
}

}  // namespace

KeypointInput LoadTakes(const std::vector<std::string>& paths, const std::string& skeleton, int min_cameras,
                        const ProgressCallback& progress) {
  if (paths.empty()) throw std::invalid_argument("LoadTakes: no path");
  if (paths.size() == 1) return LoadKeypointInput(paths.front(), skeleton, min_cameras, progress);
  KeypointInput pooled;
  std::vector<std::string> size_from;
  for (const std::string& path : paths) {
    KeypointInput take = LoadKeypointInput(path, skeleton, min_cameras, progress);
    if (pooled.takes.empty()) {
      StartPooledInput(take, &pooled);
    } else {
      CheckSameSkeleton(take, pooled);
    }
    const std::vector<int64_t> frames = take.keypoints.AllFrameNumbers();
    Take t;
    t.path = path;
    t.frame_shift = pooled.takes.empty() ? 0 : pooled.takes.back().end_frame - frames.front();
    t.first_frame = frames.front() + t.frame_shift;
    t.end_frame = frames.back() + 1 + t.frame_shift;
    t.num_frames = static_cast<int>(frames.size());
    t.num_cameras = take.num_cameras();
    AppendTake(std::move(take), t, &pooled, &size_from);
    pooled.takes.push_back(t);
    pooled.path += (pooled.path.empty() ? "" : " + ") + path;
  }
  return pooled;
}

KeypointInput TakeInput(const KeypointInput& input, size_t take) {
  if (input.takes.empty()) {
    if (take != 0) throw std::out_of_range("TakeInput: the input holds one take");
    return input;
  }
  const Take& t = input.takes.at(take);
  KeypointInput out;
  out.path = t.path;
  out.skeleton = input.skeleton;
  out.camera_names = input.camera_names;
  out.timing = input.timing;
  out.keypoints.skeleton = input.keypoints.skeleton;
  out.keypoints.num_joints = input.keypoints.num_joints;
  for (const CameraKeypoints& cam : input.keypoints.cameras) {
    CameraKeypoints part;
    part.name = cam.name;
    part.width = cam.width;
    part.height = cam.height;
    for (size_t i = 0; i < cam.frame_numbers.size(); ++i) {
      if (cam.frame_numbers[i] < t.first_frame || cam.frame_numbers[i] >= t.end_frame) continue;
      part.frame_numbers.push_back(cam.frame_numbers[i]);
      part.people.push_back(cam.people[i]);
      if (i < cam.timestamps_s.size()) part.timestamps_s.push_back(cam.timestamps_s[i]);
    }
    out.keypoints.cameras.push_back(std::move(part));
  }
  return out;
}

int TakeOfFrame(const KeypointInput& input, int64_t frame_number) {
  for (size_t k = 0; k < input.takes.size(); ++k)
    if (frame_number >= input.takes[k].first_frame && frame_number < input.takes[k].end_frame) return static_cast<int>(k);
  return -1;
}

namespace {

// Every detected person of one take, as (camera, joints) bytes.
std::set<std::string> TakeDetections(const KeypointInput& input, size_t take, int64_t* count) {
  std::set<std::string> found;
  const Take& t = input.takes[take];
  for (size_t c = 0; c < input.keypoints.cameras.size(); ++c) {
    const CameraKeypoints& cam = input.keypoints.cameras[c];
    for (size_t i = 0; i < cam.frame_numbers.size(); ++i) {
      if (cam.frame_numbers[i] < t.first_frame || cam.frame_numbers[i] >= t.end_frame) continue;
      for (const Person2d& p : cam.people[i]) {
        if (std::none_of(p.joints.begin(), p.joints.end(), [](const Eigen::Vector3d& j) { return j.z() > 0.0; }))
          continue;
        std::string key(reinterpret_cast<const char*>(&c), sizeof(c));
        key.append(reinterpret_cast<const char*>(p.joints.data()), p.joints.size() * sizeof(Eigen::Vector3d));
        found.insert(std::move(key));
        ++*count;
      }
    }
  }
  return found;
}

}  // namespace

std::vector<std::string> RepeatedTakeNotes(const KeypointInput& input, double min_share) {
  std::vector<std::string> notes;
  std::vector<std::set<std::string>> takes;
  for (size_t k = 0; k < input.takes.size(); ++k) {
    int64_t count = 0;
    takes.push_back(TakeDetections(input, k, &count));
    for (size_t earlier = 0; earlier < k; ++earlier) {
      int64_t repeated = 0;
      for (const std::string& d : takes[k]) repeated += takes[earlier].count(d);
      const double share = count > 0 ? static_cast<double>(repeated) / static_cast<double>(count) : 0.0;
      if (share <= min_share) continue;
      char text[64];
      std::snprintf(text, sizeof(text), "%.0f %%", 100.0 * share);
      notes.push_back("take " + input.takes[k].path + " repeats " + text + " of its detections bit for bit from take " +
                      input.takes[earlier].path + ": the same recording given twice (or made from it) counts its "
                      "people twice and makes their errors look like agreement");
    }
  }
  return notes;
}

KeypointInput KeypointInputFromMemory(KeypointSequence keypoints, const std::string& origin) {
  KeypointInput in;
  in.path = origin;
  in.keypoints = std::move(keypoints);
  in.skeleton = &GetSkeleton(in.keypoints.skeleton);
  for (const CameraKeypoints& c : in.keypoints.cameras) in.camera_names.push_back(c.name);
  return in;
}

std::vector<double> KeypointInput::MeasuredFps() const {
  std::vector<double> fps(camera_names.size(), 0.0);
  for (size_t c = 0; c < timing.size() && c < fps.size(); ++c) fps[c] = timing[c].fps;
  return fps;
}

Rig MatchCalibration(const Rig& calibration, const std::string& calibration_path,
                     const std::vector<std::string>& camera_names, const std::string& keypoints_path,
                     CalibrationNeed need) {
  const std::vector<int> match = MatchRigCameras(camera_names, calibration, calibration_path + " vs " + keypoints_path);
  Rig rig;
  for (size_t i = 0; i < match.size(); ++i) {
    Camera cam = calibration[match[i]];
    const bool has_k = cam.fx > 0 && cam.fy > 0;
    if (need != CalibrationNeed::kImageSize && !has_k)
      throw InputError(calibration_path, "camera '" + cam.name + "' has no camera matrix");
    if (need == CalibrationNeed::kIntrinsicsAndExtrinsics && !cam.has_extrinsics)
      throw InputError(calibration_path, "camera '" + cam.name + "' has no rotation/translation (an intrinsics-only file?); "
                                         "run `epilabel calibrate` first or give a full calibration");
    if (need == CalibrationNeed::kImageSize && !has_k && (cam.width <= 0 || cam.height <= 0))
      throw InputError(calibration_path, "camera '" + cam.name + "' has neither a camera matrix nor an image size");
    // Keep the keypoint folder's name: outputs name cameras as the user's data does.
    rig.push_back(std::move(cam));
  }
  return rig;
}

Rig MatchCalibration(const Rig& calibration, const std::string& calibration_path, const KeypointInput& input,
                     CalibrationNeed need, std::vector<std::string>* warnings) {
  Rig rig = MatchCalibration(calibration, calibration_path, input.camera_names, input.path, need);
  std::vector<std::string> found = CheckImageSizes(rig, calibration_path, input);
  if (need == CalibrationNeed::kIntrinsicsAndExtrinsics) {
    if (std::optional<std::string> units = CheckRigUnits(rig, calibration_path)) found.push_back(*units);
  }
  if (warnings != nullptr) warnings->insert(warnings->end(), found.begin(), found.end());
  return rig;
}

namespace {

std::string SizeText(int width, int height) { return std::to_string(width) + "x" + std::to_string(height); }

// The bounding box of a camera's detected joints (confidence > 0), pixels; false when none.
bool DetectionExtent(const CameraKeypoints& cam, Eigen::Vector2d* lo, Eigen::Vector2d* hi) {
  bool any = false;
  for (const auto& frame : cam.people)
    for (const Person2d& person : frame)
      for (const Eigen::Vector3d& j : person.joints) {
        if (!(j.z() > 0.0) || !j.head<2>().allFinite()) continue;
        *lo = any ? Eigen::Vector2d(lo->cwiseMin(j.head<2>())) : Eigen::Vector2d(j.head<2>());
        *hi = any ? Eigen::Vector2d(hi->cwiseMax(j.head<2>())) : Eigen::Vector2d(j.head<2>());
        any = true;
      }
  return any;
}

}  // namespace

std::optional<std::string> CheckRigUnits(const Rig& rig, const std::string& calibration_path) {
  const double spacing = MedianCameraSpacing(rig);
  if (!(spacing > kImplausibleCameraSpacingM)) return std::nullopt;
  char text[64];
  std::snprintf(text, sizeof(text), "%.0f", spacing);
  return calibration_path + ": the cameras are a median " + text +
         " m apart; if the file is in millimetres (a plain Anipose file from a board measured in mm), convert it: "
         "epilabel convert " + calibration_path + " calibration_m.toml --units mm";
}

std::vector<std::string> CheckImageSizes(const Rig& rig, const std::string& calibration_path,
                                         const KeypointInput& input) {
  std::vector<std::string> warnings;
  for (size_t c = 0; c < rig.size() && c < input.keypoints.cameras.size(); ++c) {
    const Camera& cal = rig[c];
    const CameraKeypoints& kp = input.keypoints.cameras[c];
    if (cal.width <= 0 || cal.height <= 0) continue;
    Eigen::Vector2d lo, hi;
    if (DetectionExtent(kp, &lo, &hi)) {
      const Eigen::Vector2d size(cal.width, cal.height);
      const Eigen::Vector2d margin = kImageSizeMargin * size;
      if ((lo.array() < -margin.array()).any() || (hi.array() > (size + margin).array()).any()) {
        char extent[96];
        std::snprintf(extent, sizeof(extent), "x %.0f..%.0f, y %.0f..%.0f px", lo.x(), hi.x(), lo.y(), hi.y());
        throw InputError(input.path, "camera '" + kp.name + "': the keypoints reach " + extent +
                                         ", far outside the " + SizeText(cal.width, cal.height) + " image of " +
                                         calibration_path + ": they were detected on other images (another "
                                         "resolution or a crop); give the calibration of those images");
      }
    }
    if (kp.width > 0 && kp.height > 0 && (kp.width != cal.width || kp.height != cal.height)) {
      warnings.push_back("camera '" + kp.name + "': the keypoints come from " + SizeText(kp.width, kp.height) +
                         " images, " + calibration_path + " is for " + SizeText(cal.width, cal.height) +
                         ": a cropped or padded video shifts every pixel (README, Known limits: image sizes)");
    }
  }
  return warnings;
}

WorldFrameOptions WorldFrameOptionsFor(const Skeleton& s) {
  WorldFrameOptions o;
  o.height_model.legs = s.height_legs;
  if (s.height_torso.size() == 2) {
    o.height_model.torso_bottom = s.height_torso[0];
    o.height_model.torso_top = s.height_torso[1];
  }
  o.height_model.ratio = s.height_ratio;
  o.stature_model.legs = s.height_legs;
  o.stature_model.head = s.height_head;
  if (!s.height_torso.empty()) o.stature_model.hips = s.height_torso[0];
  o.stature_model.ankle_height_m = s.height_ankle;
  o.stature_model.head_top_m = s.height_head_top;
  o.stature_model.soles = s.height_soles;
  o.stature_model.sole_height_m = s.foot_height;
  o.stature_model.crown = s.height_crown;
  o.stature_model.crown_top_m = s.height_crown_top;
  o.arm_model.legs = s.height_arms;
  o.arm_model.ratio = s.height_arms.empty() ? 0.0 : s.height_arm_ratio;
  for (int k = 0; k < 5; ++k)  // nose, eyes, ears where the skeleton has them
    if (s.to_coco17.size() == 17 && s.to_coco17[k] >= 0) o.head_joints.push_back(s.to_coco17[k]);
  o.foot_joints = s.feet;
  o.foot_height_m = s.foot_height;
  o.root_joints = s.root;
  o.shoulder_joints = s.shoulders;
  return o;
}

std::array<joint_t, 4> TorsoJoints(const Skeleton& skeleton) {
  std::array<joint_t, 4> out{kInvalidJointId, kInvalidJointId, kInvalidJointId, kInvalidJointId};
  if (skeleton.to_coco17.size() != 17) return out;
  const int coco[4] = {5, 6, 11, 12};  // left shoulder, right shoulder, left hip, right hip
  for (int k = 0; k < 4; ++k) out[k] = skeleton.to_coco17[coco[k]];
  return out;
}

}  // namespace epilabel
