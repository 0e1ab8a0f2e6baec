// The OpenCV-free parts of pose_detector.h: option parsing and checks, model paths, reports.
#include <cmath>
#include <filesystem>
#include <sstream>

#include "detection/dnn/pose_detector.h"
#include "foundation/error.h"

namespace epilabel {

PoseModelLayout ParsePoseModelLayout(const std::string& name) {
  if (name == "auto") return PoseModelLayout::kAuto;
  if (name == "movenet") return PoseModelLayout::kMoveNet;
  if (name == "multipose") return PoseModelLayout::kMoveNetMultiPose;
  if (name == "heatmap") return PoseModelLayout::kHeatmap;
  if (name == "simcc") return PoseModelLayout::kSimcc;
  if (name == "blazepose") return PoseModelLayout::kBlazePose;
  throw InputError("layout", "unknown model layout '" + name +
                                 "' (expected auto, movenet, multipose, heatmap, simcc or blazepose)");
}

const char* PoseModelLayoutName(PoseModelLayout layout) {
  switch (layout) {
    case PoseModelLayout::kAuto: return "auto";
    case PoseModelLayout::kMoveNet: return "movenet";
    case PoseModelLayout::kMoveNetMultiPose: return "multipose";
    case PoseModelLayout::kHeatmap: return "heatmap";
    case PoseModelLayout::kSimcc: return "simcc";
    case PoseModelLayout::kBlazePose: return "blazepose";
  }
  return "?";
}

const char* PoseModelSkeleton(PoseModelLayout layout) {
  return layout == PoseModelLayout::kBlazePose ? "blazepose33" : "coco17";
}

void PoseDetectorOptions::Check() const {
  if (model.path.empty()) throw InputError("model", "no model file given");
  if (model.input_width < 0 || model.input_height < 0 || (model.input_width == 0) != (model.input_height == 0))
    throw InputError("input_size", "expected a positive width and height (WxH)");
  for (double s : model.top_down.std)
    if (!(s > 0.0) || !std::isfinite(s)) throw InputError("std", "standard deviations must be positive");
  for (double m : model.top_down.mean)
    if (!std::isfinite(m)) throw InputError("mean", "means must be finite");
  if (!(model.top_down.simcc_split_ratio > 0.0)) throw InputError("simcc_split", "must be positive");
  if (!(model.top_down.box_padding >= 1.0)) throw InputError("box_padding", "must be at least 1");
  auto unit = [](double v) { return v >= 0.0 && v <= 1.0; };
  if (!unit(min_crop_keypoint_score)) throw InputError("min_crop_score", "must be in [0, 1]");
  if (!unit(lost_mean_score)) throw InputError("lost_score", "must be in [0, 1]");
  if (!(min_output_score >= 0.0)) throw InputError("min_score", "must be non-negative");
  if (!(model.flip_max_disagreement > 0.0)) throw InputError("flip_max_disagreement", "must be positive");
  for (double s : model.test_scales)
    if (!(s >= 0.5 && s <= 2.0)) throw InputError("test_scales", "each scale must be in [0.5, 2]");
  if (model.movenet_decoding.vote_radius < 0 || !(model.movenet_decoding.max_vote_spread > 0.0))
    throw InputError("vote_radius", "the radius must be non-negative and the spread positive");
  if (!(crop_upright_min_tilt_deg <= 180.0)) throw InputError("upright_crop", "must be at most 180 degrees");
  if (!(crop_torso_expansion > 0.0) || !(crop_body_expansion > 0.0))
    throw InputError("crop_expansion", "must be positive");
  smoothing.Check();
  if (!(crop_motion_frames >= 0.0) || !std::isfinite(crop_motion_frames))
    throw InputError("motion_frames", "must be a non-negative number of frames");
  if (!(image_folder_fps >= 0.0) || !std::isfinite(image_folder_fps))
    throw InputError("fps", "the frame rate of image folders must be a non-negative number (0: none)");
  left_right.Check();
  if (people.max_people < 0) throw InputError("people", "must be 0 (every person found) or a positive count");
  if (people.max_people != 1) {
    if (people.model_path.empty()) throw InputError("people_model", "several people need a multi-person model file");
    if (!unit(people.min_person_score)) throw InputError("min_person_score", "must be in [0, 1]");
    if (!(people.max_refine_shift > 0.0)) throw InputError("max_refine_shift", "must be positive");
    if (!(people.duplicate_distance >= 0.0)) throw InputError("duplicate_distance", "must be non-negative");
    people.tracking.Check();
  }
}

bool IsBundledModelName(const std::string& name) {
  return name == "thunder" || name == "lightning" || name == "blazepose" || name == "blazepose-heavy";
}

std::string MoveNetModelPath(const std::string& models_dir, const std::string& variant) {
  if (!IsBundledModelName(variant))
    throw InputError("model", "unknown model '" + variant + "' (expected thunder, lightning, blazepose or blazepose-heavy)");
  const std::string file = variant == "blazepose" ? "blazepose-full.onnx"
                           : variant == "blazepose-heavy" ? "blazepose-heavy.onnx"
                                                          : "movenet-" + variant + ".onnx";
  return (std::filesystem::path(models_dir) / file).string();
}

std::string MoveNetMultiPoseModelPath(const std::string& models_dir) {
  return (std::filesystem::path(models_dir) / "movenet-multipose.onnx").string();
}

std::string MoveNetMultiPosePortraitModelPath(const std::string& models_dir) {
  return (std::filesystem::path(models_dir) / "movenet-multipose-portrait.onnx").string();
}

std::string DetectionResult::BriefReport() const {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  for (const CameraDetectionSummary& c : cameras) {
    out.precision(2);
    out << c.camera << ": " << c.frames << " frames " << c.width << "x" << c.height << ", mean score " << c.mean_score
        << ", " << c.lost_frames << " lost, " << c.left_right_swaps << " left/right swapped back, " << c.inferences << " inferences (" << c.full_frame_runs
        << " on the full frame)";
    out.precision(1);
    out << ", " << c.FramesPerSecond() << " frames/s\n";
  }
  return out.str();
}

}  // namespace epilabel
