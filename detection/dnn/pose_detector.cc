#include "detection/dnn/pose_detector.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <tbb/parallel_for.h>

#include "detection/dnn/frame_source.h"
#include "detection/dnn/onnx_info.h"
#include "detection/dnn/person_crop.h"
#include "foundation/error.h"

namespace epilabel {

namespace fs = std::filesystem;

namespace {

constexpr int kCocoJoints = 17;
const char* const kMoveNetOutputs[] = {"center", "heatmaps", "regression", "offsets"};

double MeanScore(const std::vector<Eigen::Vector3d>& joints) {
  if (joints.empty()) return 0.0;
  double sum = 0.0;
  for (const Eigen::Vector3d& j : joints) sum += std::isfinite(j.z()) ? j.z() : 0.0;
  return sum / static_cast<double>(joints.size());
}

std::string DimsToString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  return s + "]";
}

// The part of `image` under `box` (continuous coordinates), resized to width x height, padded
// with black outside the image. The mapping is exactly u = (x - box.x0) * width / box.width
// (continuous coordinates) per axis. Shrinking uses area averaging (no aliasing when a
// full-HD frame becomes 256 pixels), then a bilinear warp places the result exactly.
cv::Mat CropToInput(const cv::Mat& image, const ImageBox& box, int width, int height) {
  const double sx = width / box.width, sy = height / box.height;
  const int rx0 = std::max(0, static_cast<int>(std::floor(box.x0)));
  const int ry0 = std::max(0, static_cast<int>(std::floor(box.y0)));
  const int rx1 = std::min(image.cols, static_cast<int>(std::ceil(box.x0 + box.width)));
  const int ry1 = std::min(image.rows, static_cast<int>(std::ceil(box.y0 + box.height)));
  if (rx1 <= rx0 || ry1 <= ry0) return cv::Mat::zeros(height, width, image.type());
  const cv::Mat roi = image(cv::Rect(rx0, ry0, rx1 - rx0, ry1 - ry0));
  cv::Mat source = roi;
  double fx = 1.0, fy = 1.0;
  if (sx < 1.0 || sy < 1.0) {
    const int nw = sx < 1.0 ? std::max(1, static_cast<int>(std::lround(roi.cols * sx))) : roi.cols;
    const int nh = sy < 1.0 ? std::max(1, static_cast<int>(std::lround(roi.rows * sy))) : roi.rows;
    cv::resize(roi, source, cv::Size(nw, nh), 0, 0, cv::INTER_AREA);
    fx = static_cast<double>(nw) / roi.cols;
    fy = static_cast<double>(nh) / roi.rows;
  }
  // Pixel-centre form of u = ((xs + 0.5) / fx + rx0 - x0) * sx - 0.5, xs a pixel of `source`.
  cv::Matx23d m(sx / fx, 0.0, (0.5 / fx + rx0 - box.x0) * sx - 0.5,  //
                0.0, sy / fy, (0.5 / fy + ry0 - box.y0) * sy - 0.5);
  cv::Mat out;
  cv::warpAffine(source, out, m, cv::Size(width, height), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  return out;
}

FeatureMap MapOf(const cv::Mat& blob, const std::string& model, const std::string& output) {
  if (blob.dims != 4 || blob.size[0] != 1 || blob.type() != CV_32F)
    throw InputError(model, "output '" + output + "' is not a [1, C, H, W] float tensor");
  return FeatureMap{blob.ptr<float>(), blob.size[1], blob.size[2], blob.size[3]};
}

}  // namespace

PoseModelLayout ParsePoseModelLayout(const std::string& name) {
  if (name == "auto") return PoseModelLayout::kAuto;
  if (name == "movenet") return PoseModelLayout::kMoveNet;
  if (name == "heatmap") return PoseModelLayout::kHeatmap;
  if (name == "simcc") return PoseModelLayout::kSimcc;
  throw InputError("--layout", "unknown model layout '" + name + "' (expected auto, movenet, heatmap or simcc)");
}

const char* PoseModelLayoutName(PoseModelLayout layout) {
  switch (layout) {
    case PoseModelLayout::kAuto: return "auto";
    case PoseModelLayout::kMoveNet: return "movenet";
    case PoseModelLayout::kHeatmap: return "heatmap";
    case PoseModelLayout::kSimcc: return "simcc";
  }
  return "?";
}

void PoseDetectorOptions::Check() const {
  if (model.path.empty()) throw InputError("--model", "no model file given");
  if (model.input_width < 0 || model.input_height < 0 || (model.input_width == 0) != (model.input_height == 0))
    throw InputError("--input-size", "expected a positive width and height (WxH)");
  for (double s : model.top_down.std)
    if (!(s > 0.0) || !std::isfinite(s)) throw InputError("--std", "standard deviations must be positive");
  for (double m : model.top_down.mean)
    if (!std::isfinite(m)) throw InputError("--mean", "means must be finite");
  if (!(model.top_down.simcc_split_ratio > 0.0)) throw InputError("--simcc-split", "must be positive");
  if (!(model.top_down.box_padding >= 1.0)) throw InputError("--box-padding", "must be at least 1");
  auto unit = [](double v) { return v >= 0.0 && v <= 1.0; };
  if (!unit(min_crop_keypoint_score)) throw InputError("--min-crop-score", "must be in [0, 1]");
  if (!unit(lost_mean_score)) throw InputError("--lost-score", "must be in [0, 1]");
  if (!(min_output_score >= 0.0)) throw InputError("--min-score", "must be non-negative");
}

std::string MoveNetModelPath(const std::string& models_dir, const std::string& variant) {
  if (variant != "thunder" && variant != "lightning")
    throw InputError("--model", "unknown MoveNet variant '" + variant + "' (expected thunder or lightning)");
  return (fs::path(models_dir) / ("movenet-" + variant + ".onnx")).string();
}

std::string DetectionResult::BriefReport() const {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  for (const CameraDetectionSummary& c : cameras) {
    out.precision(2);
    out << c.camera << ": " << c.frames << " frames " << c.width << "x" << c.height << ", mean score " << c.mean_score
        << ", " << c.lost_frames << " lost, " << c.inferences << " inferences (" << c.full_frame_runs
        << " on the full frame)";
    out.precision(1);
    out << ", " << c.FramesPerSecond() << " frames/s\n";
  }
  return out.str();
}

// ---------------------------------------------------------------------------------------------

struct PoseDetector::Impl {
  PoseDetectorOptions options;
  std::string path;
  PoseModelLayout layout = PoseModelLayout::kAuto;
  int input_width = 0, input_height = 0;
  cv::dnn::Net net;
  std::vector<cv::String> output_names;  // MoveNet: the 4 heads in kMoveNetOutputs order; SimCC: x, y
  int num_model_joints = 0;              // K of the model, when known from the file (0 = unknown)

  std::vector<Eigen::Vector3d> previous;  // last frame's joints (pixel-centre), empty = none
  bool lost = true;
  size_t inferences = 0, full_frame_runs = 0;

  explicit Impl(const PoseDetectorOptions& opts) : options(opts), path(opts.model.path) {
    options.Check();
    std::error_code ec;
    if (!fs::exists(path, ec))
      throw InputError(path, "model file not found; run scripts/setup-models.sh to download and convert the MoveNet "
                             "models into models/ (or pass --models-dir / $EPILABEL_MODELS_DIR)");
    if (fs::is_directory(path, ec)) throw InputError(path, "is a folder, expected an .onnx model file");
    const OnnxModelInfo info = ReadOnnxModelInfo(path);
    ResolveInput(info);
    ResolveOutputs(info);
    try {
      net = cv::dnn::readNetFromONNX(path);
    } catch (const cv::Exception& e) {
      throw InputError(path, std::string("OpenCV's dnn module cannot load this ONNX model: ") + e.err);
    }
    if (net.empty()) throw InputError(path, "OpenCV's dnn module loaded an empty network");
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  }

  void ResolveInput(const OnnxModelInfo& info) {
    if (info.inputs.size() != 1)
      throw InputError(path, "expected a model with one image input, it has " + std::to_string(info.inputs.size()));
    const std::vector<int64_t>& dims = info.inputs[0].dims;
    if (dims.size() != 4 || (dims[1] > 0 && dims[1] != 3))
      throw InputError(path, "expected an image input [1, 3, H, W], the model's input is " + DimsToString(dims));
    input_width = options.model.input_width > 0 ? options.model.input_width : static_cast<int>(dims[3]);
    input_height = options.model.input_height > 0 ? options.model.input_height : static_cast<int>(dims[2]);
    if (input_width <= 0 || input_height <= 0)
      throw InputError(path, "the model's input size is not fixed " + DimsToString(dims) + "; give it (--input-size WxH)");
    if ((dims[3] > 0 && dims[3] != input_width) || (dims[2] > 0 && dims[2] != input_height))
      throw InputError(path, "the model's input is " + DimsToString(dims) + ", not " + std::to_string(input_width) +
                                 "x" + std::to_string(input_height));
  }

  void ResolveOutputs(const OnnxModelInfo& info) {
    bool movenet_heads = true;
    for (const char* name : kMoveNetOutputs) movenet_heads = movenet_heads && info.Output(name) != nullptr;
    layout = options.model.layout;
    if (layout == PoseModelLayout::kAuto) layout = movenet_heads ? PoseModelLayout::kMoveNet : PoseModelLayout::kHeatmap;
    switch (layout) {
      case PoseModelLayout::kMoveNet:
        if (!movenet_heads)
          throw InputError(path, "not a MoveNet model converted by scripts/tfjs_to_onnx.py (outputs center, heatmaps, "
                                 "regression and offsets expected)");
        for (const char* name : kMoveNetOutputs) output_names.emplace_back(name);
        num_model_joints = static_cast<int>(info.Output("heatmaps")->dims.size() == 4 ? info.Output("heatmaps")->dims[1] : 0);
        break;
      case PoseModelLayout::kHeatmap: {
        const OnnxTensorInfo& out = info.outputs[0];
        if (out.dims.size() != 4)
          throw InputError(path, "heatmap layout: the first output '" + out.name + "' is " + DimsToString(out.dims) +
                                     ", expected [1, K, h, w] (use --layout simcc for SimCC models)");
        output_names.emplace_back(out.name);
        num_model_joints = static_cast<int>(std::max<int64_t>(0, out.dims[1]));
        break;
      }
      case PoseModelLayout::kSimcc: {
        std::vector<const OnnxTensorInfo*> outs;
        for (const OnnxTensorInfo& o : info.outputs)
          if (o.dims.size() == 3) outs.push_back(&o);
        if (outs.size() < 2) throw InputError(path, "SimCC layout: expected two outputs [1, K, L]");
        const OnnxTensorInfo* x = outs[0];
        const OnnxTensorInfo* y = outs[1];
        for (const OnnxTensorInfo* o : outs) {
          if (o->name.find("simcc_x") != std::string::npos) x = o;
          if (o->name.find("simcc_y") != std::string::npos) y = o;
        }
        output_names = {x->name, y->name};
        num_model_joints = static_cast<int>(std::max<int64_t>(0, x->dims[1]));
        break;
      }
      case PoseModelLayout::kAuto: break;
    }
    if (num_model_joints > 0 && num_model_joints < kCocoJoints)
      throw InputError(path, "the model outputs " + std::to_string(num_model_joints) +
                                 " keypoints; at least the 17 COCO joints are needed");
  }

  std::vector<cv::Mat> Forward(const cv::Mat& blob) {
    std::vector<cv::Mat> outs;
    try {
      net.setInput(blob);
      net.forward(outs, output_names);
    } catch (const cv::Exception& e) {
      throw InputError(path, "the model failed to run on a " + std::to_string(input_width) + "x" +
                                 std::to_string(input_height) + " input: " + e.err);
    }
    ++inferences;
    return outs;
  }

  // One run on `box`; joints in original-image pixel-centre coordinates.
  std::vector<Eigen::Vector3d> Run(const cv::Mat& image, const ImageBox& box) {
    const cv::Mat input = CropToInput(image, box, input_width, input_height);
    std::vector<Eigen::Vector3d> in_input;  // (x, y, score), continuous network-input coordinates
    if (layout == PoseModelLayout::kMoveNet) {
      // The graph normalises itself: RGB, 0..255.
      const cv::Mat blob = cv::dnn::blobFromImage(input, 1.0, cv::Size(), cv::Scalar(), true, false, CV_32F);
      const std::vector<cv::Mat> outs = Forward(blob);
      MoveNetHeads heads{MapOf(outs[0], path, "center"), MapOf(outs[1], path, "heatmaps"),
                         MapOf(outs[2], path, "regression"), MapOf(outs[3], path, "offsets")};
      std::vector<Eigen::Vector3d> normalised;
      try {
        normalised = DecodeMoveNetSinglePose(heads);
      } catch (const std::invalid_argument& e) {
        throw InputError(path, e.what());
      }
      for (const Eigen::Vector3d& k : normalised)
        in_input.emplace_back(k.x() * input_width, k.y() * input_height, k.z());
    } else {
      const TopDownModelOptions& td = options.model.top_down;
      cv::Mat blob = cv::dnn::blobFromImage(input, 1.0, cv::Size(), cv::Scalar(), td.rgb, false, CV_32F);
      const size_t plane = static_cast<size_t>(input_width) * input_height;
      for (int c = 0; c < 3; ++c) {
        float* p = blob.ptr<float>() + c * plane;
        const float mean = static_cast<float>(td.mean[c]), inv_std = static_cast<float>(1.0 / td.std[c]);
        for (size_t i = 0; i < plane; ++i) p[i] = (p[i] - mean) * inv_std;
      }
      const std::vector<cv::Mat> outs = Forward(blob);
      if (layout == PoseModelLayout::kHeatmap) {
        const FeatureMap map = MapOf(outs[0], path, output_names[0]);
        const double stride_x = static_cast<double>(input_width) / map.width;
        const double stride_y = static_cast<double>(input_height) / map.height;
        for (const Eigen::Vector3d& k : DecodeHeatmaps(map, td.refinement))  // pixel-centre -> continuous
          in_input.emplace_back(k.x() * stride_x + 0.5, k.y() * stride_y + 0.5, k.z());
      } else {
        const cv::Mat& x = outs[0];
        const cv::Mat& y = outs[1];
        if (x.dims != 3 || y.dims != 3 || x.size[0] != 1 || y.size[0] != 1 || x.size[1] != y.size[1])
          throw InputError(path, "SimCC outputs must be [1, K, Lx] and [1, K, Ly] with the same K");
        for (const Eigen::Vector3d& k : DecodeSimcc(x.ptr<float>(), x.size[2], y.ptr<float>(), y.size[2], x.size[1],
                                                    td.simcc_split_ratio))
          in_input.emplace_back(k.x() + 0.5, k.y() + 0.5, k.z());
      }
    }
    if (static_cast<int>(in_input.size()) < kCocoJoints)
      throw InputError(path, "the model returned " + std::to_string(in_input.size()) + " keypoints, 17 needed");
    // COCO-17 first: COCO-WholeBody (133) and Halpe (26) start with the 17 COCO joints.
    in_input.resize(kCocoJoints);
    std::vector<Eigen::Vector3d> joints;
    joints.reserve(kCocoJoints);
    for (const Eigen::Vector3d& k : in_input) {
      const double x = box.x0 + k.x() * box.width / input_width - 0.5;
      const double y = box.y0 + k.y() * box.height / input_height - 0.5;
      joints.emplace_back(x, y, k.z());
    }
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
