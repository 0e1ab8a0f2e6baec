// The interface between the OpenCV image module (frame_source_opencv.cc, pose_network_opencv.cc
// and board_detection_opencv.cc, built as the shared module libepilabel_detector_dnn.so with OpenCV's
// dnn, videoio, imgcodecs and imgproc) and the rest of detection/dnn, which loads it with
// dlopen on first use: programs that never read an image or run a network start without
// OpenCV's codec, video and dnn libraries (and the 200 libraries they pull in). Internal to
// detection/dnn: users include frame_source.h and pose_detector.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <opencv2/core.hpp>

#include "detection/dnn/board.h"
#include "detection/dnn/frame_source.h"
#include "detection/dnn/person_crop.h"
#include "detection/dnn/pose_detector.h"

namespace epilabel {

// Bumped whenever DetectorModuleApi or the types it passes change.
constexpr int kDetectorModuleAbi = 5;

struct DetectedPose {
  std::vector<Eigen::Vector3d> joints;  // 17 COCO joints (x px, y px, score), pixel-centre
  double score = 0.0;                   // person score
};

// A loaded pose network (one model instance; not thread-safe).
class PoseNetwork {
 public:
  virtual ~PoseNetwork() = default;
  // One inference on the part of `image` (8-bit BGR) under `box`, resized to the network
  // input: 17 COCO joints (x px, y px, score) in the original image, pixel-centre coordinates.
  // Throws InputError naming the model when it fails to run or returns too few joints.
  // For a multi-person model (MoveNet MultiPose): the best person.
  virtual std::vector<Eigen::Vector3d> Run(const cv::Mat& image, const ImageBox& box) = 0;
  // Every person one inference finds on `box`, best first (joints as Run's, score in [0, 1]); a
  // single-person model gives its one person, scored by its mean joint score.
  virtual std::vector<DetectedPose> RunPeople(const cv::Mat& image, const ImageBox& box) = 0;
  // The layout the model file turned out to have (never kAuto) and its input size, pixels.
  virtual PoseModelLayout layout() const = 0;
  virtual int input_width() const = 0;
  virtual int input_height() const = 0;
};

struct DetectorModuleApi {
  int abi = 0;
  // FrameSource::Open for an existing path.
  std::unique_ptr<FrameSource> (*open_frame_source)(const std::string& path) = nullptr;
  // Loads an existing .onnx file as `model` describes; throws InputError naming the file when
  // it is not ONNX, does not fit the layout, or OpenCV's dnn cannot load it.
  std::unique_ptr<PoseNetwork> (*load_pose_network)(const PoseModelOptions& model) = nullptr;
  // DetectBoard of board.h.
  BoardDetection (*detect_board)(const cv::Mat& image, const BoardSpec& board,
                                 const BoardDetectionOptions& options) = nullptr;
};

// The module's implementations (defined in the module only).
std::unique_ptr<FrameSource> OpenFrameSourceWithOpenCv(const std::string& path);
std::unique_ptr<PoseNetwork> LoadPoseNetworkWithOpenCv(const PoseModelOptions& model);
BoardDetection DetectBoardWithOpenCv(const cv::Mat& image, const BoardSpec& board, const BoardDetectionOptions& options);

// Where the module is looked for, in order: $EPILABEL_DETECTOR_MODULE (when set), the path it
// was built at, then next to the running executable.
std::vector<std::string> DetectorModuleCandidates();

// Loads the first of `candidates` that is an EpiLabel detector module of this ABI version.
// Throws std::runtime_error naming every path tried and why it failed.
const DetectorModuleApi& LoadDetectorModule(const std::vector<std::string>& candidates);

// The module of DetectorModuleCandidates(), loaded on the first call (thread-safe); later calls
// return it, or throw the first call's error again.
const DetectorModuleApi& DetectorModule();

}  // namespace epilabel

// Exported by the module.
extern "C" const epilabel::DetectorModuleApi* epilabel_detector_module_api();
