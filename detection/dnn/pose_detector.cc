// PoseDetector's tracking and DetectCameras; the network runs in the image module
// (detector_module.h), loaded on the first detector.
#include "detection/dnn/pose_detector.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <set>

#include <tbb/parallel_for.h>

#include "detection/dnn/detector_module.h"
#include "detection/dnn/frame_source.h"
#include "detection/dnn/person_crop.h"
#include "foundation/error.h"

namespace epilabel {

namespace {

constexpr int kCocoJoints = 17;

double MeanScore(const std::vector<Eigen::Vector3d>& joints) {
  if (joints.empty()) return 0.0;
  double sum = 0.0;
  for (const Eigen::Vector3d& j : joints) sum += std::isfinite(j.z()) ? j.z() : 0.0;
  return sum / static_cast<double>(joints.size());
}

}  // namespace

// The tracking state around a network of the image module.
struct PoseDetector::Impl {
  PoseDetectorOptions options;
  std::unique_ptr<PoseNetwork> network;
  PoseModelLayout layout = PoseModelLayout::kAuto;  // the network's (never kAuto)
  int input_width = 0, input_height = 0;            // the network's input, pixels

  std::vector<Eigen::Vector3d> previous;  // last frame's joints (pixel-centre), empty = none
  bool lost = true;
  size_t inferences = 0, full_frame_runs = 0;

  explicit Impl(const PoseDetectorOptions& opts) : options(opts) {
    options.Check();
    const std::string& path = options.model.path;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      throw InputError(path, "model file not found; run scripts/setup-models.sh to download and convert the MoveNet "
                             "models into models/ (or give `models_dir` / $EPILABEL_MODELS_DIR)");
    if (std::filesystem::is_directory(path, ec)) throw InputError(path, "is a folder, expected an .onnx model file");
    network = DetectorModule().load_pose_network(options.model);
    layout = network->layout();
    input_width = network->input_width();
    input_height = network->input_height();
  }

  std::vector<Eigen::Vector3d> Run(const cv::Mat& image, const ImageBox& box) {
    std::vector<Eigen::Vector3d> joints = network->Run(image, box);
    ++inferences;
    return joints;
  }

  // The region to run on: around the previous person, or the full frame (sets *full).
  ImageBox Region(const std::vector<Eigen::Vector3d>& around, int w, int h, bool* full) const {
    *full = true;
    if (layout == PoseModelLayout::kMoveNet) {
      if (around.empty()) return FullFrameSquare(w, h);
      MoveNetCropOptions crop;
      crop.min_keypoint_score = options.min_crop_keypoint_score;
      return MoveNetCropRegion(around, w, h, crop, full);
    }
    const double padding = options.model.top_down.box_padding;
    if (!around.empty()) {
      if (const std::optional<ImageBox> box = KeypointBox(around, options.min_crop_keypoint_score)) {
        *full = false;
        return ExpandToAspect(*box, input_width, input_height, padding);
      }
    }
    return ExpandToAspect(ImageBox{0.0, 0.0, static_cast<double>(w), static_cast<double>(h)}, input_width,
                          input_height, 1.0);
  }

  Person2d Detect(const cv::Mat& image) {
    if (image.empty() || image.type() != CV_8UC3)
      throw std::invalid_argument("PoseDetector::Detect expects a non-empty 8-bit BGR image");
    const bool use_previous = options.track && !lost && !previous.empty();
    bool full = true;
    const ImageBox box = Region(use_previous ? previous : std::vector<Eigen::Vector3d>{}, image.cols, image.rows, &full);
    if (full) ++full_frame_runs;
    std::vector<Eigen::Vector3d> joints = Run(image, box);
    if (full && options.refine_full_frame && MeanScore(joints) >= options.lost_mean_score) {
      bool refined_full = true;
      const ImageBox refined = Region(joints, image.cols, image.rows, &refined_full);
      if (!refined_full) joints = Run(image, refined);
    }
    previous = joints;
    lost = MeanScore(joints) < options.lost_mean_score;
    Person2d person;
    person.joints = joints;
    for (Eigen::Vector3d& j : person.joints)
      if (!j.allFinite() || j.z() < options.min_output_score) j.setZero();
    return person;
  }
};

PoseDetector::PoseDetector(const PoseDetectorOptions& options) : impl_(std::make_unique<Impl>(options)) {}
PoseDetector::~PoseDetector() = default;

Person2d PoseDetector::Detect(const cv::Mat& bgr_image) { return impl_->Detect(bgr_image); }

void PoseDetector::Reset() {
  impl_->previous.clear();
  impl_->lost = true;
  impl_->inferences = 0;
  impl_->full_frame_runs = 0;
}

size_t PoseDetector::inferences() const { return impl_->inferences; }
size_t PoseDetector::full_frame_runs() const { return impl_->full_frame_runs; }
PoseModelLayout PoseDetector::layout() const { return impl_->layout; }
int PoseDetector::input_width() const { return impl_->input_width; }
int PoseDetector::input_height() const { return impl_->input_height; }

// ---------------------------------------------------------------------------------------------

DetectionResult DetectCameras(const std::vector<CameraInput>& inputs, const PoseDetectorOptions& options,
                              const ProgressCallback& progress) {
  options.Check();
  if (inputs.empty()) throw InputError("", "no camera input given (a video file or an image folder per camera)");
  DetectionResult result;
  result.keypoints.skeleton = "coco17";
  result.keypoints.num_joints = kCocoJoints;
  result.keypoints.cameras.resize(inputs.size());
  result.cameras.resize(inputs.size());

  // Open every source first so that a bad input fails before any long work.
  std::vector<std::unique_ptr<FrameSource>> sources;
  std::set<std::string> names;
  std::atomic<size_t> total{0}, done{0};
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string name = inputs[i].name.empty() ? CameraNameFromPath(inputs[i].path) : inputs[i].name;
    if (name.empty()) throw InputError(inputs[i].path, "cannot derive a camera name from this path");
    if (!names.insert(name).second)
      throw InputError(inputs[i].path, "camera name '" + name + "' is used by two inputs; camera names must differ");
    sources.push_back(FrameSource::Open(inputs[i].path));
    result.keypoints.cameras[i].name = name;
    result.cameras[i].camera = name;
    result.cameras[i].source = inputs[i].path;
    total += static_cast<size_t>(std::max<int64_t>(0, sources.back()->FrameCountHint()));
  }

  std::mutex progress_mutex;
  auto report = [&](size_t frames_done) {
    if (!progress) return;
    std::lock_guard<std::mutex> lock(progress_mutex);
    progress("detect", frames_done, std::max(total.load(), frames_done));
  };
  report(0);

  tbb::parallel_for(size_t{0}, inputs.size(), size_t{1}, [&](size_t i) {
    const auto start = std::chrono::steady_clock::now();
    PoseDetector detector(options);
    CameraKeypoints& camera = result.keypoints.cameras[i];
    CameraDetectionSummary& summary = result.cameras[i];
    const int64_t hint = sources[i]->FrameCountHint();
    cv::Mat frame;
    double score_sum = 0.0;
    while (sources[i]->Read(&frame)) {
      if (camera.width == 0) {
        camera.width = summary.width = frame.cols;
        camera.height = summary.height = frame.rows;
      }
      const int64_t index = static_cast<int64_t>(camera.frame_numbers.size());
      if (hint >= 0 && index >= hint) ++total;  // the header under-counted the frames
      Person2d person = detector.Detect(frame);
      const double mean = MeanScore(person.joints);
      score_sum += mean;
      if (mean < options.lost_mean_score) ++summary.lost_frames;
      camera.frame_numbers.push_back(index);
      camera.people.push_back({std::move(person)});
      report(++done);
    }
    summary.frames = camera.frame_numbers.size();
    summary.inferences = detector.inferences();
    summary.full_frame_runs = detector.full_frame_runs();
    summary.mean_score = summary.frames > 0 ? score_sum / summary.frames : 0.0;
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (hint > static_cast<int64_t>(summary.frames)) total -= static_cast<size_t>(hint) - summary.frames;
  });
  report(done.load());
  return result;
}

}  // namespace epilabel
