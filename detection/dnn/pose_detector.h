// The built-in 2D pose detector: single-person keypoints (COCO-17, or BlazePose's 33 joints with
// the feet) from videos or image folders, with OpenCV's dnn module on ONNX models, on the CPU.
//
// Models:
//  - MoveNet SinglePose (Google, Apache-2.0) Thunder (256x256 input) or Lightning (192x192),
//    converted from TensorFlow.js by scripts/setup-models.sh into models/movenet-*.onnx. The ONNX
//    graph ends at MoveNet's four output heads; the decoding is DecodeMoveNetSinglePose.
//  - BlazePose full / heavy (Google's MediaPipe pose landmark models, Apache-2.0, 256x256 input),
//    converted the same way into models/blazepose-*.onnx (outputs `landmarks`, `poseflag`;
//    DecodeBlazePoseLandmarks): 33 joints, COCO's plus heels, toes, hands and more face points.
//    Run on MediaPipe's region (a square on the mid-hip, turned upright along the body:
//    BlazePoseRegion) around the previous frame's joints; when there are none, the person is
//    found by a MoveNet model (`person_finder_path`) in place of MediaPipe's own detector.
//  - Any top-down ONNX model (RTMPose, ViTPose, HRNet exports, ...) with one image input
//    [1, 3, H, W] and either keypoint heatmaps [1, K, h, w] or SimCC vectors
//    ([1, K, W * split], [1, K, H * split]) as output, configured by TopDownModelOptions.
//
// Tracking: each frame is cropped around the person found in the previous frame (MoveNet's crop
// rule, or the keypoint box for top-down models); the full frame is used for the first frame
// and whenever the person was lost (mean score below `lost_mean_score`). After a full-frame pass
// that finds the person, the frame is run again on the crop around it (`refine_full_frame`).
//
// Output: keypoints (x, y, confidence) in pixels of the original image, pixel-centre convention
// (pixel (i, j) is centred at (i, j), as OpenPose), COCO-17 order (BlazePose: its blazepose33
// order, data/skeletons.toml), confidence in [0, 1] for MoveNet and BlazePose (the model's raw
// score for top-down models). One person per frame.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <opencv2/core.hpp>

#include "detection/dnn/keypoint_smoothing.h"
#include "detection/dnn/left_right_check.h"
#include "detection/dnn/person_tracker.h"
#include "detection/dnn/pose_decoding.h"
#include "detection/keypoint_timing.h"
#include "detection/keypoints.h"
#include "foundation/progress.h"

namespace epilabel {

enum class PoseModelLayout {
  kAuto,     // MoveNet when the outputs are named center/heatmaps/regression/offsets (MultiPose
             // when also box_scale/box_offset), else kHeatmap
  kMoveNet,  // MoveNet SinglePose heads (as written by scripts/tfjs_to_onnx.py)
  kMoveNetMultiPose,  // MoveNet MultiPose heads (the SinglePose ones + box_scale, box_offset)
  kHeatmap,  // top-down keypoint heatmaps [1, K, h, w]
  kSimcc,    // top-down SimCC vectors: two outputs [1, K, Lx], [1, K, Ly]
  kBlazePose,  // BlazePose's landmark model: outputs landmarks [1, 195, 1, 1] and poseflag [1, 1, 1, 1]
};

// Parses "auto", "movenet", "multipose", "heatmap", "simcc", "blazepose"; throws InputError
// otherwise.
PoseModelLayout ParsePoseModelLayout(const std::string& name);
const char* PoseModelLayoutName(PoseModelLayout layout);
// The skeleton (data/skeletons.toml) of the keypoints a model of this layout gives: "blazepose33"
// for kBlazePose, else "coco17" (top-down models are cut to their first 17 joints).
const char* PoseModelSkeleton(PoseModelLayout layout);

// Pre- and post-processing of top-down models (ignored for MoveNet, whose graph normalises its
// input itself: RGB, 0-255).
struct TopDownModelOptions {
  // Per-channel normalisation of the 0-255 input, in the network's channel order:
  // (pixel - mean) / std. The defaults are ImageNet's, as RTMPose/ViTPose/HRNet use.
  std::array<double, 3> mean = {123.675, 116.28, 103.53};
  std::array<double, 3> std = {58.395, 57.12, 57.375};
  // Channel order of the network input.
  bool rgb = true;
  // Heatmap layout: sub-pixel refinement of the argmax. Heatmap pixel (i, j) maps to input pixel
  // (i, j) * stride (MMPose's MSRA/DARK heatmap codecs).
  HeatmapRefinement refinement = HeatmapRefinement::kTaylor;
  // SimCC layout: bins per input pixel (RTMPose: 2).
  double simcc_split_ratio = 2.0;
  // The person box (joints of the previous frame) is brought to the input's aspect ratio and
  // scaled by this factor. Larger than MMPose's 1.25 for detector boxes because a box around
  // the joints misses the top of the head and the feet.
  double box_padding = 1.4;
};

struct PoseModelOptions {
  // The .onnx file.
  std::string path;
  PoseModelLayout layout = PoseModelLayout::kAuto;
  // Network input size in pixels; 0 = read from the model file (required when the model's
  // input has symbolic dimensions).
  int input_width = 0;
  int input_height = 0;
  TopDownModelOptions top_down;
  // Test-time flip averaging: each crop is also run mirrored; the two results are averaged per
  // joint, weighted by score (twice the inference time). Where they disagree by more than
  // flip_max_disagreement of the input width (a left/right confusion), the better-scored wins.
  bool flip_test = false;
  double flip_max_disagreement = 0.1;
  // Test-time scales (single-person models): each crop is run once per scale, the box scaled by
  // it about its centre (with the flip, if on, at every scale), and the estimates merged per joint
  // (MergePoseEstimates: score-weighted mean of those within flip_max_disagreement of the box
  // width of their weighted medoid). Empty = the crop as it is, once. Costs one inference (two
  // with the flip) per scale.
  std::vector<double> test_scales;
  // MoveNet: the neighbours' vote on each joint's position (MoveNetDecodingOptions; 0 = MoveNet's
  // own decoding).
  MoveNetDecodingOptions movenet_decoding;
};

// Several people per frame (DetectPeople): a multi-person model finds the people on the whole
// frame, each is optionally detected again by the single-person model on the crop around it
// (top-down), and a per-camera tracker gives each a stable id.
struct PeopleDetectionOptions {
  // Most people per frame: 1 = the single-person detector (Detect; every other option here is
  // then unused), 0 = every person found, N > 1 = the N best.
  int max_people = 1;
  // The multi-person model: MoveNet MultiPose as converted by scripts/setup-models.sh
  // (models/movenet-multipose.onnx). Run on the whole frame, brought to its input's aspect ratio.
  std::string model_path;
  // Optional: a second multi-person model with another input aspect ratio (setup-models.sh's
  // models/movenet-multipose-portrait.onnx, 320x576). Each frame then goes through the model whose
  // input aspect ratio is closest to the frame's (a portrait phone video through the portrait
  // model instead of being shrunk into the middle third of a square). Empty: model_path only.
  std::string portrait_model_path;
  // A person whose multi-person score (centre score x mean score of its seen joints) is below
  // this is dropped.
  double min_person_score = 0.2;
  // Detect each person again with the single-person model (`model`) on MoveNet's crop around it;
  // the refined joints are kept when they stay on that person (mean joint distance at most
  // max_refine_shift of its keypoint-box diagonal).
  bool refine = true;
  double max_refine_shift = 0.3;
  // Two people whose mean joint distance is below this fraction of the better one's keypoint-box
  // diagonal are one person (the lower-scored is dropped).
  double duplicate_distance = 0.15;
  PersonTrackerOptions tracking;
};

struct PoseDetectorOptions {
  PoseModelOptions model;
  PeopleDetectionOptions people;

  // Crop around the previous frame's person (false: every frame on the full frame).
  bool track = true;
  // A MoveNet SinglePose model (.onnx) that finds the person when there is none to crop around
  // (the first frame, a lost person, track = false) for a model that needs a crop (BlazePose,
  // whose own person detector MediaPipe runs first): its joints, in BlazePose's skeleton, place
  // the crop. Empty: such frames go to the model whole.
  std::string person_finder_path;
  // Left/right consistency of each tracked person (with `track`): a frame whose pose continues
  // the previous frames much better with its left and right exchanged is swapped back
  // (LeftRightCheck; BlazePose full swaps a front view it takes for a back view). Reset when the
  // person is lost (several people: per track id, afresh when a track was missing a frame).
  bool left_right_check = true;
  LeftRightCheckOptions left_right;
  // Joints with a score at least this are used to place the crop (MoveNet: 0.2).
  double min_crop_keypoint_score = 0.2;
  // Mean joint score below which the person counts as lost (next frame: full frame).
  double lost_mean_score = 0.2;
  // After a full-frame pass that found the person, run again on the crop around it.
  bool refine_full_frame = true;
  // Joints scoring below this are written as missing (0, 0, 0); 0 keeps every joint.
  double min_output_score = 0.0;
  // MoveNet's crop around the previous person (MoveNetCropOptions): half side = the largest of
  // crop_torso_expansion x the torso extent and crop_body_expansion x the body extent.
  double crop_torso_expansion = 1.9;
  double crop_body_expansion = 1.2;
  // MoveNet's crop turned upright when the torso leans more than this (degrees; negative = never,
  // MoveNet's own axis-aligned crop): MoveNetCropOptions::upright_min_tilt_deg. On the balancing
  // trial (a person leaning 10-60 degrees) turning always (0) brought the median error against
  // OpenPose from 1.74 to 1.62 % of the body height and the worst joint from 3.68 to 2.35 %
  // (docs/detector.md, *Accuracy against OpenPose*).
  double crop_upright_min_tilt_deg = 0.0;
  // MoveNetCropOptions::fit_seen_body / motion_frames / upright_along_body: a person seen whole
  // (a face joint and an ankle) and tracked is cropped to the body's extent plus motion_frames x
  // its motion over the last frame, instead of MoveNet's fixed factors (default on: balancing
  // trial, with the smoothing, 1.58 -> 1.53 % of the body height against OpenPose, and the
  // calibration from those detections 1.74 -> 1.03 degrees). crop_upright_along_body turns the
  // upright crop along mid-ankle -> mid-shoulder: 1.52 %, the ankles 0.05-0.1 points better,
  // but that calibration 1.39 degrees; off by default.
  bool crop_fit_seen_body = true;
  double crop_motion_frames = 2.0;
  bool crop_upright_along_body = false;
  // Confidence-weighted temporal smoothing of each person's joints after detection (DetectCameras
  // only; KeypointSmoothingOptions): a local parabola fitted over a Gaussian window of sigma
  // 0.05 s on the frames' timestamps by default (videos; image folders with image_folder_fps),
  // none without timestamps; smoothing.sigma_s = 0 (and sigma_frames = 0) turns it off. Scores
  // are kept.
  KeypointSmoothingOptions smoothing;
  // Frame rate of image folders: their timestamps are frame index / image_folder_fps (0: image
  // folders get no timestamps). Videos take their timestamps from the container.
  double image_folder_fps = 0.0;

  // Throws InputError for invalid values (naming the option).
  void Check() const;
};

// Paths of the bundled single-person models in `models_dir`: "thunder", "lightning" (MoveNet),
// "blazepose" (BlazePose full) or "blazepose-heavy"; throws InputError for another name.
std::string MoveNetModelPath(const std::string& models_dir, const std::string& variant);
// True for the names MoveNetModelPath knows.
bool IsBundledModelName(const std::string& name);
// Path of the bundled MoveNet MultiPose model in `models_dir` (square input), and of its
// portrait variant (320x576 input).
std::string MoveNetMultiPoseModelPath(const std::string& models_dir);
std::string MoveNetMultiPosePortraitModelPath(const std::string& models_dir);

// Per-camera figures of a detection run.
struct CameraDetectionSummary {
  size_t people_detections = 0;  // people written over all frames
  size_t tracks = 0;             // person tracks started (several-people mode)
  std::string camera;
  std::string source;  // video file or image folder
  int width = 0, height = 0;
  size_t frames = 0;
  size_t inferences = 0;        // network runs (frames + refinement passes)
  size_t full_frame_runs = 0;   // runs on the whole frame (first frame, person lost)
  size_t lost_frames = 0;       // frames whose mean joint score was below lost_mean_score
  size_t left_right_swaps = 0;  // frames whose left and right were swapped back (left_right_check)
  double mean_score = 0.0;      // mean joint score over all frames
  double seconds = 0.0;         // wall time of the camera (decoding + inference)
  // The frames' timestamps (keypoint_timing.h): measured rate, and whether it is variable;
  // timing.known() false when the camera has none (an image folder without image_folder_fps,
  // a single frame, or a video whose timestamps were not increasing: see timing_note). Frames
  // the container gives no timestamp (FFmpeg's 0 after the first frame, e.g. the decoder's last
  // frames) get one interpolated by index or extrapolated at the mean rate (timing_note says
  // how many).
  FrameTiming timing;
  std::string timing_note;
  // The temporal smoothing's sigma in this camera's frames (PoseDetectorOptions::smoothing);
  // 0 = not smoothed (off, or a window in seconds without timestamps).
  double smoothing_sigma_frames = 0.0;
  double FramesPerSecond() const { return seconds > 0.0 ? frames / seconds : 0.0; }
};

struct DetectionResult {
  // COCO-17 (BlazePose models: blazepose33), one person per frame (several with options.people); frame numbers 0, 1, ... in
  // reading order; timestamps_s per camera when known (see CameraDetectionSummary::timing).
  KeypointSequence keypoints;
  std::vector<CameraDetectionSummary> cameras;
  std::string BriefReport() const;
};

// One camera's input: a video file or a folder of images.
struct CameraInput {
  std::string name;  // camera name; empty = from the path (see CameraNameFromPath)
  std::string path;
};

// A loaded model with its tracking state; not thread-safe (one per thread/camera).
class PoseDetector {
 public:
  // Loads the model; throws InputError when the file is missing (suggesting
  // scripts/setup-models.sh), not ONNX, or does not fit the layout. The network runs in the
  // image module (libepilabel_detector_dnn.so, see detector_module.h), loaded with the first
  // detector; std::runtime_error naming the files tried when it cannot be loaded.
  explicit PoseDetector(const PoseDetectorOptions& options);
  ~PoseDetector();
  PoseDetector(const PoseDetector&) = delete;
  PoseDetector& operator=(const PoseDetector&) = delete;

  // Detects the person in an 8-bit BGR image, cropping around the previous call's person when
  // tracking. Returns the joints of skeleton() (17 for COCO-17; x px, y px, score).
  Person2d Detect(const cv::Mat& bgr_image);
  // Several people (options.people, max_people != 1): everyone found in the frame, ordered by
  // track id (Person2d::track_id, stable over the calls of this detector). With max_people ==
  // 1, Detect's person with track_id -1.
  std::vector<Person2d> DetectPeople(const cv::Mat& bgr_image);
  // Forgets the tracked people (the next frame is searched on the full frame).
  void Reset();

  // Statistics since construction or the last Reset.
  size_t inferences() const;
  size_t full_frame_runs() const;
  // Person tracks started (several-people mode; 0 otherwise).
  size_t tracks_started() const;
  // Frames whose left and right were swapped back (options.left_right_check).
  size_t left_right_swaps() const;

  // What the model file turned out to be, and the skeleton of the joints it gives.
  PoseModelLayout layout() const;
  const char* skeleton() const;
  int input_width() const;
  int input_height() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs the detector over every frame of each camera, the cameras in parallel (TBB; one model
// instance per camera running at a time, reused for the next camera; OpenCV's own threads are
// off while there are at least as many cameras as threads). `progress` is called with stage "detect" and frames done / total over
// all cameras (the total grows if a video holds more frames than its header says). Camera
// names must be distinct (InputError otherwise). Results do not depend on the thread count.
DetectionResult DetectCameras(const std::vector<CameraInput>& inputs, const PoseDetectorOptions& options,
                              const ProgressCallback& progress = {});

}  // namespace epilabel
