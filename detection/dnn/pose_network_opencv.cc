// PoseNetwork on OpenCV's dnn module (ONNX, CPU), part of the image module: the crop to the
// network input, the forward pass and the decoding of MoveNet, heatmap, SimCC and BlazePose
// outputs.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "detection/dnn/area_resize.h"
#include "detection/dnn/detector_module.h"
#include "detection/dnn/onnx_info.h"
#include "detection/dnn/pose_augmentation.h"
#include "detection/dnn/pose_decoding.h"
#include "detection/skeleton.h"
#include "foundation/error.h"

namespace epilabel {

namespace {

constexpr int kCocoJoints = 17;
const char* const kMoveNetOutputs[] = {"center", "heatmaps", "regression", "offsets"};
const char* const kMultiPoseOutputs[] = {"center", "heatmaps", "regression", "offsets", "box_scale", "box_offset"};
const char* const kBlazePoseOutputs[] = {"landmarks", "poseflag"};

std::string DimsToString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  return s + "]";
}

// `roi` shrunk by area averaging to the factors (sx, sy) on the axes where they are below 1
// (the others kept), into *shrunk (its buffer reused); returns the image to warp (roi itself
// when nothing shrinks) and sets *fx, *fy to the factors applied. The same bytes as
// cv::resize(INTER_AREA), in less than half the time for non-integer factors.
cv::Mat ShrunkForWarp(const cv::Mat& roi, double sx, double sy, cv::Mat* shrunk, double* fx, double* fy) {
  *fx = *fy = 1.0;
  if (sx >= 1.0 && sy >= 1.0) return roi;
  const int nw = sx < 1.0 ? std::max(1, static_cast<int>(std::lround(roi.cols * sx))) : roi.cols;
  const int nh = sy < 1.0 ? std::max(1, static_cast<int>(std::lround(roi.rows * sy))) : roi.rows;
  if (OpenCvAreaFactorsAreIntegers(roi.size(), cv::Size(nw, nh))) {
    cv::resize(roi, *shrunk, cv::Size(nw, nh), 0, 0, cv::INTER_AREA);
  } else {
    ShrinkByAreaAveraging(roi, cv::Size(nw, nh), shrunk);
  }
  *fx = static_cast<double>(nw) / roi.cols;
  *fy = static_cast<double>(nh) / roi.rows;
  return *shrunk;
}

// The region [x0, x1) x [y0, y1) (continuous coordinates) clipped to the image, as pixel bounds;
// false when nothing of it is in the image (*out is then made black, width x height).
bool ClipToImage(const cv::Mat& image, double x0, double y0, double x1, double y1, int width, int height,
                 cv::Rect* rect, cv::Mat* out) {
  const int rx0 = std::max(0, static_cast<int>(std::floor(x0)));
  const int ry0 = std::max(0, static_cast<int>(std::floor(y0)));
  const int rx1 = std::min(image.cols, static_cast<int>(std::ceil(x1)));
  const int ry1 = std::min(image.rows, static_cast<int>(std::ceil(y1)));
  if (rx1 <= rx0 || ry1 <= ry0) {
    out->create(height, width, image.type());
    out->setTo(cv::Scalar::all(0));
    return false;
  }
  *rect = cv::Rect(rx0, ry0, rx1 - rx0, ry1 - ry0);
  return true;
}

// A turned box (box.angle != 0): as CropToInput, with the input's axes along the box's; the
// image under the box's axis-aligned bounds is shrunk first when the crop shrinks.
void CropTurnedToInput(const cv::Mat& image, const ImageBox& box, int width, int height, cv::Mat* shrunk,
                       cv::Mat* out) {
  const double sx = width / box.width, sy = height / box.height;
  const double c = std::cos(box.angle), s = std::sin(box.angle);
  const Eigen::Vector2d center = box.Center();
  const double half_x = 0.5 * (std::abs(c) * box.width + std::abs(s) * box.height);
  const double half_y = 0.5 * (std::abs(s) * box.width + std::abs(c) * box.height);
  cv::Rect r;
  if (!ClipToImage(image, center.x() - half_x, center.y() - half_y, center.x() + half_x, center.y() + half_y, width,
                   height, &r, out))
    return;
  const double shrink = std::max(sx, sy);
  double fx = 1.0, fy = 1.0;
  const cv::Mat source = ShrunkForWarp(image(r), shrink, shrink, shrunk, &fx, &fy);
  // Image point X = ((xs + 0.5) / fx + rx0, (ys + 0.5) / fy + ry0) for a pixel (xs, ys) of
  // `source`; input pixel-centre u = sx * (c (X - cx) + s (Y - cy)) + width / 2 - 0.5,
  // v = sy * (-s (X - cx) + c (Y - cy)) + height / 2 - 0.5.
  const double ox = 0.5 / fx + r.x - center.x(), oy = 0.5 / fy + r.y - center.y();
  cv::Matx23d m(sx * c / fx, sx * s / fy, sx * (c * ox + s * oy) + 0.5 * width - 0.5,  //
                -sy * s / fx, sy * c / fy, sy * (-s * ox + c * oy) + 0.5 * height - 0.5);
  cv::warpAffine(source, *out, m, cv::Size(width, height), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
}

// The part of `image` under `box` (continuous coordinates), resized to width x height, padded
// with black outside the image, written to *out (its buffer reused; *shrunk is scratch). The
// mapping is exactly u = (x - box.x0) * width / box.width (continuous coordinates) per axis.
// Shrinking averages areas (no aliasing when a full-HD frame becomes 256 pixels; only the
// region under the box is read), then a bilinear warp places the result exactly. A turned box:
// CropTurnedToInput.
void CropToInput(const cv::Mat& image, const ImageBox& box, int width, int height, cv::Mat* shrunk, cv::Mat* out) {
  if (box.angle != 0.0) {
    CropTurnedToInput(image, box, width, height, shrunk, out);
    return;
  }
  const double sx = width / box.width, sy = height / box.height;
  cv::Rect r;
  if (!ClipToImage(image, box.x0, box.y0, box.x0 + box.width, box.y0 + box.height, width, height, &r, out)) return;
  double fx = 1.0, fy = 1.0;
  const cv::Mat source = ShrunkForWarp(image(r), sx, sy, shrunk, &fx, &fy);
  // Pixel-centre form of u = ((xs + 0.5) / fx + rx0 - x0) * sx - 0.5, xs a pixel of `source`.
  cv::Matx23d m(sx / fx, 0.0, (0.5 / fx + r.x - box.x0) * sx - 0.5,  //
                0.0, sy / fy, (0.5 / fy + r.y - box.y0) * sy - 0.5);
  cv::warpAffine(source, *out, m, cv::Size(width, height), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
}

// An 8-bit BGR image as a float blob [1, 3, H, W] (RGB when `rgb`), values 0-255: what
// cv::dnn::blobFromImage(image, 1, {}, {}, rgb, false, CV_32F) gives, in a tenth of its time.
cv::Mat ToBlob(const cv::Mat& image, bool rgb) {
  CV_Assert(image.type() == CV_8UC3);
  const int sizes[] = {1, 3, image.rows, image.cols};
  cv::Mat blob(4, sizes, CV_32F);
  const size_t plane = static_cast<size_t>(image.rows) * image.cols;
  float* c0 = blob.ptr<float>();
  float* planes[3] = {c0, c0 + plane, c0 + 2 * plane};
  if (rgb) std::swap(planes[0], planes[2]);
  size_t i = 0;
  for (int y = 0; y < image.rows; ++y) {
    const uint8_t* row = image.ptr<uint8_t>(y);
    for (int x = 0; x < image.cols; ++x, ++i) {
      planes[0][i] = row[3 * x];
      planes[1][i] = row[3 * x + 1];
      planes[2][i] = row[3 * x + 2];
    }
  }
  return blob;
}

// Each output joint's mirror (the joint on the other side of the body; centre joints and joints
// beyond the skeleton are their own): the layout's skeleton's left/right pairs (data/skeletons.toml).
std::vector<joint_t> MirrorOf(PoseModelLayout layout) {
  return GetSkeleton(layout == PoseModelLayout::kBlazePose ? "blazepose33" : "coco17").FlipPermutation();
}

FeatureMap MapOf(const cv::Mat& blob, const std::string& model, const std::string& output) {
  if (blob.dims != 4 || blob.size[0] != 1 || blob.type() != CV_32F)
    throw InputError(model, "output '" + output + "' is not a [1, C, H, W] float tensor");
  return FeatureMap{blob.ptr<float>(), blob.size[1], blob.size[2], blob.size[3]};
}

class OpenCvPoseNetwork : public PoseNetwork {
 public:
  // `model` names an existing file (PoseDetector checks).
  explicit OpenCvPoseNetwork(const PoseModelOptions& model) : options_(model), path_(model.path) {
    const std::string bytes = ReadOnnxFile(path_);
    const OnnxModelInfo info = ParseOnnxModelInfo(bytes, path_);
    ResolveInput(info);
    ResolveOutputs(info);
    try {
      net_ = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
    } catch (const cv::Exception& e) {
      throw InputError(path_, std::string("OpenCV's dnn module cannot load this ONNX model: ") + e.err);
    }
    if (net_.empty()) throw InputError(path_, "OpenCV's dnn module loaded an empty network");
    net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  }

  // One run on `box`; joints in original-image pixel-centre coordinates.
  std::vector<Eigen::Vector3d> Run(const cv::Mat& image, const ImageBox& box) override {
    if (layout_ == PoseModelLayout::kMoveNetMultiPose) {
      std::vector<DetectedPose> people = RunPeople(image, box);
      if (people.empty()) return std::vector<Eigen::Vector3d>(kCocoJoints, Eigen::Vector3d::Zero());
      return people.front().joints;
    }
    if (options_.test_scales.empty()) return RunOnCrop(image, box);
    std::vector<std::vector<Eigen::Vector3d>> estimates;
    for (double scale : options_.test_scales) estimates.push_back(RunOnCrop(image, ScaleAboutCenter(box, scale)));
    return MergePoseEstimates(estimates, options_.flip_max_disagreement * box.width);
  }

  // One crop (and its mirror with flip_test); joints in original-image pixel-centre coordinates.
  std::vector<Eigen::Vector3d> RunOnCrop(const cv::Mat& image, const ImageBox& box) {
    CropToInput(image, box, input_width_, input_height_, &shrunk_, &input_);
    std::vector<Eigen::Vector3d> in_input = Infer(input_);
    if (options_.flip_test) {
      cv::Mat flipped;
      cv::flip(input_, flipped, 1);
      in_input = MergeFlipped(std::move(in_input), Infer(flipped));
    }
    return ToImage(std::move(in_input), box);
  }

  // One forward pass on a network-sized input: (x, y, score) per joint in continuous
  // network-input coordinates.
  std::vector<Eigen::Vector3d> Infer(const cv::Mat& input) {
    std::vector<Eigen::Vector3d> in_input;
    if (layout_ == PoseModelLayout::kMoveNet) {
      // The graph normalises itself: RGB, 0..255.
      const cv::Mat blob = ToBlob(input, true);
      const std::vector<cv::Mat> outs = Forward(blob);
      MoveNetHeads heads{MapOf(outs[0], path_, "center"), MapOf(outs[1], path_, "heatmaps"),
                         MapOf(outs[2], path_, "regression"), MapOf(outs[3], path_, "offsets")};
      std::vector<Eigen::Vector3d> normalised;
      try {
        normalised = DecodeMoveNetSinglePose(heads, options_.movenet_decoding);
      } catch (const std::invalid_argument& e) {
        throw InputError(path_, e.what());
      }
      for (const Eigen::Vector3d& k : normalised)
        in_input.emplace_back(k.x() * input_width_, k.y() * input_height_, k.z());
    } else if (layout_ == PoseModelLayout::kBlazePose) {
      // MediaPipe's input: RGB scaled to [0, 1].
      cv::Mat blob = ToBlob(input, true);
      blob *= 1.0 / 255.0;
      const std::vector<cv::Mat> outs = Forward(blob);
      const cv::Mat& landmarks = outs[0];
      const cv::Mat& flag = outs[1];
      if (landmarks.type() != CV_32F || flag.type() != CV_32F || flag.total() < 1)
        throw InputError(path_, "BlazePose outputs 'landmarks' and 'poseflag' must be float tensors");
      try {
        in_input = DecodeBlazePoseLandmarks(landmarks.ptr<float>(), static_cast<int>(landmarks.total()),
                                            flag.ptr<float>()[0]);
      } catch (const std::invalid_argument& e) {
        throw InputError(path_, e.what());
      }
    } else {
      const TopDownModelOptions& td = options_.top_down;
      cv::Mat blob = ToBlob(input, td.rgb);
      const size_t plane = static_cast<size_t>(input_width_) * input_height_;
      for (int c = 0; c < 3; ++c) {
        float* p = blob.ptr<float>() + c * plane;
        const float mean = static_cast<float>(td.mean[c]), inv_std = static_cast<float>(1.0 / td.std[c]);
        for (size_t i = 0; i < plane; ++i) p[i] = (p[i] - mean) * inv_std;
      }
      const std::vector<cv::Mat> outs = Forward(blob);
      if (layout_ == PoseModelLayout::kHeatmap) {
        const FeatureMap map = MapOf(outs[0], path_, output_names_[0]);
        const double stride_x = static_cast<double>(input_width_) / map.width;
        const double stride_y = static_cast<double>(input_height_) / map.height;
        for (const Eigen::Vector3d& k : DecodeHeatmaps(map, td.refinement))  // pixel-centre -> continuous
          in_input.emplace_back(k.x() * stride_x + 0.5, k.y() * stride_y + 0.5, k.z());
      } else {
        const cv::Mat& x = outs[0];
        const cv::Mat& y = outs[1];
        if (x.dims != 3 || y.dims != 3 || x.size[0] != 1 || y.size[0] != 1 || x.size[1] != y.size[1])
          throw InputError(path_, "SimCC outputs must be [1, K, Lx] and [1, K, Ly] with the same K");
        for (const Eigen::Vector3d& k : DecodeSimcc(x.ptr<float>(), x.size[2], y.ptr<float>(), y.size[2], x.size[1],
                                                    td.simcc_split_ratio))
          in_input.emplace_back(k.x() + 0.5, k.y() + 0.5, k.z());
      }
    }
    return in_input;
  }

  // Test-time flip averaging: `flipped` (joints found on the mirrored input) mirrored back, left
  // and right exchanged, averaged with `direct` weighted by the scores; where the two disagree by
  // more than flip_max_disagreement of the input width, the better-scored one is kept.
  std::vector<Eigen::Vector3d> MergeFlipped(std::vector<Eigen::Vector3d> direct,
                                            const std::vector<Eigen::Vector3d>& flipped) const {
    const size_t n = std::min(direct.size(), flipped.size());
    for (size_t j = 0; j < n; ++j) {
      const size_t m = j < mirror_.size() ? static_cast<size_t>(mirror_[j]) : j;
      if (m >= flipped.size()) continue;
      Eigen::Vector3d f = flipped[m];
      f.x() = input_width_ - f.x();
      Eigen::Vector3d& d = direct[j];
      if (!f.allFinite() || !d.allFinite()) continue;
      if ((f.head<2>() - d.head<2>()).norm() > options_.flip_max_disagreement * input_width_) {
        if (f.z() > d.z()) d = f;
        continue;
      }
      const double wd = std::max(d.z(), 1e-6), wf = std::max(f.z(), 1e-6);
      d = Eigen::Vector3d((wd * d.x() + wf * f.x()) / (wd + wf), (wd * d.y() + wf * f.y()) / (wd + wf),
                          0.5 * (d.z() + f.z()));
    }
    return direct;
  }

  std::vector<DetectedPose> RunPeople(const cv::Mat& image, const ImageBox& box) override {
    if (layout_ != PoseModelLayout::kMoveNetMultiPose) {
      DetectedPose person{Run(image, box), 0.0};
      for (const Eigen::Vector3d& j : person.joints) person.score += j.z() / person.joints.size();
      return {person};
    }
    CropToInput(image, box, input_width_, input_height_, &shrunk_, &input_);
    const cv::Mat blob = ToBlob(input_, true);
    const std::vector<cv::Mat> outs = Forward(blob);
    MoveNetMultiPoseHeads heads{MapOf(outs[0], path_, "center"),     MapOf(outs[1], path_, "heatmaps"),
                                MapOf(outs[2], path_, "regression"), MapOf(outs[3], path_, "offsets"),
                                MapOf(outs[4], path_, "box_scale"),  MapOf(outs[5], path_, "box_offset")};
    std::vector<MultiPoseCandidate> candidates;
    try {
      candidates = DecodeMoveNetMultiPose(heads);
    } catch (const std::invalid_argument& e) {
      throw InputError(path_, e.what());
    }
    std::vector<DetectedPose> people;
    for (const MultiPoseCandidate& c : candidates) {
      std::vector<Eigen::Vector3d> in_input;
      for (const Eigen::Vector3d& k : c.keypoints) in_input.emplace_back(k.x() * input_width_, k.y() * input_height_, k.z());
      people.push_back({ToImage(std::move(in_input), box), c.score});
    }
    return people;
  }

  PoseModelLayout layout() const override { return layout_; }
  int input_width() const override { return input_width_; }
  int input_height() const override { return input_height_; }

 private:
  // Network-input keypoints (continuous coordinates) to the original image (pixel-centre).
  std::vector<Eigen::Vector3d> ToImage(std::vector<Eigen::Vector3d> in_input, const ImageBox& box) const {
    const int wanted = layout_ == PoseModelLayout::kBlazePose ? kBlazePoseJoints : kCocoJoints;
    if (static_cast<int>(in_input.size()) < wanted)
      throw InputError(path_, "the model returned " + std::to_string(in_input.size()) + " keypoints, " +
                                 std::to_string(wanted) + " needed");
    // COCO-17 first: COCO-WholeBody (133) and Halpe (26) start with the 17 COCO joints.
    in_input.resize(wanted);
    std::vector<Eigen::Vector3d> joints;
    joints.reserve(wanted);
    const double c = std::cos(box.angle), s = std::sin(box.angle);
    const Eigen::Vector2d center = box.Center();
    for (const Eigen::Vector3d& k : in_input) {
      // Along the box's axes from its centre, turned into the image; pixel-centre (-0.5).
      const double lx = (k.x() / input_width_ - 0.5) * box.width, ly = (k.y() / input_height_ - 0.5) * box.height;
      joints.emplace_back(center.x() + c * lx - s * ly - 0.5, center.y() + s * lx + c * ly - 0.5, k.z());
    }
    return joints;
  }

  void ResolveInput(const OnnxModelInfo& info) {
    if (info.inputs.size() != 1)
      throw InputError(path_, "expected a model with one image input, it has " + std::to_string(info.inputs.size()));
    const std::vector<int64_t>& dims = info.inputs[0].dims;
    if (dims.size() != 4 || (dims[1] > 0 && dims[1] != 3))
      throw InputError(path_, "expected an image input [1, 3, H, W], the model's input is " + DimsToString(dims));
    input_width_ = options_.input_width > 0 ? options_.input_width : static_cast<int>(dims[3]);
    input_height_ = options_.input_height > 0 ? options_.input_height : static_cast<int>(dims[2]);
    if (input_width_ <= 0 || input_height_ <= 0)
      throw InputError(path_, "the model's input size is not fixed " + DimsToString(dims) + "; give it (`input_size` WxH)");
    if ((dims[3] > 0 && dims[3] != input_width_) || (dims[2] > 0 && dims[2] != input_height_))
      throw InputError(path_, "the model's input is " + DimsToString(dims) + ", not " + std::to_string(input_width_) +
                                 "x" + std::to_string(input_height_));
  }

  void ResolveOutputs(const OnnxModelInfo& info) {
    bool movenet_heads = true, multipose_heads = true, blazepose_heads = true;
    for (const char* name : kMoveNetOutputs) movenet_heads = movenet_heads && info.Output(name) != nullptr;
    for (const char* name : kMultiPoseOutputs) multipose_heads = multipose_heads && info.Output(name) != nullptr;
    for (const char* name : kBlazePoseOutputs) blazepose_heads = blazepose_heads && info.Output(name) != nullptr;
    layout_ = options_.layout;
    if (layout_ == PoseModelLayout::kAuto)
      layout_ = multipose_heads   ? PoseModelLayout::kMoveNetMultiPose
                : movenet_heads   ? PoseModelLayout::kMoveNet
                : blazepose_heads ? PoseModelLayout::kBlazePose
                                  : PoseModelLayout::kHeatmap;
    mirror_ = MirrorOf(layout_);
    switch (layout_) {
      case PoseModelLayout::kBlazePose:
        if (!blazepose_heads)
          throw InputError(path_, "not a BlazePose landmark model converted by scripts/tfjs_to_onnx.py (outputs "
                                 "landmarks and poseflag expected)");
        for (const char* name : kBlazePoseOutputs) output_names_.emplace_back(name);
        num_model_joints_ = kBlazePoseJoints;
        break;
      case PoseModelLayout::kMoveNetMultiPose:
        if (!multipose_heads)
          throw InputError(path_, "not a MoveNet MultiPose model converted by scripts/tfjs_to_onnx.py (outputs center, "
                                 "heatmaps, regression, offsets, box_scale and box_offset expected)");
        for (const char* name : kMultiPoseOutputs) output_names_.emplace_back(name);
        num_model_joints_ = static_cast<int>(info.Output("heatmaps")->dims.size() == 4 ? info.Output("heatmaps")->dims[1] : 0);
        break;
      case PoseModelLayout::kMoveNet:
        if (!movenet_heads)
          throw InputError(path_, "not a MoveNet model converted by scripts/tfjs_to_onnx.py (outputs center, heatmaps, "
                                 "regression and offsets expected)");
        for (const char* name : kMoveNetOutputs) output_names_.emplace_back(name);
        num_model_joints_ = static_cast<int>(info.Output("heatmaps")->dims.size() == 4 ? info.Output("heatmaps")->dims[1] : 0);
        break;
      case PoseModelLayout::kHeatmap: {
        const OnnxTensorInfo& out = info.outputs[0];
        if (out.dims.size() != 4)
          throw InputError(path_, "heatmap layout: the first output '" + out.name + "' is " + DimsToString(out.dims) +
                                     ", expected [1, K, h, w] (use `layout` simcc for SimCC models)");
        output_names_.emplace_back(out.name);
        num_model_joints_ = static_cast<int>(std::max<int64_t>(0, out.dims[1]));
        break;
      }
      case PoseModelLayout::kSimcc: {
        std::vector<const OnnxTensorInfo*> outs;
        for (const OnnxTensorInfo& o : info.outputs)
          if (o.dims.size() == 3) outs.push_back(&o);
        if (outs.size() < 2) throw InputError(path_, "SimCC layout_: expected two outputs [1, K, L]");
        const OnnxTensorInfo* x = outs[0];
        const OnnxTensorInfo* y = outs[1];
        for (const OnnxTensorInfo* o : outs) {
          if (o->name.find("simcc_x") != std::string::npos) x = o;
          if (o->name.find("simcc_y") != std::string::npos) y = o;
        }
        output_names_ = {x->name, y->name};
        num_model_joints_ = static_cast<int>(std::max<int64_t>(0, x->dims[1]));
        break;
      }
      case PoseModelLayout::kAuto: break;
    }
    if (num_model_joints_ > 0 && num_model_joints_ < kCocoJoints)
      throw InputError(path_, "the model outputs " + std::to_string(num_model_joints_) +
                                 " keypoints; at least the 17 COCO joints are needed");
  }

  std::vector<cv::Mat> Forward(const cv::Mat& blob) {
    std::vector<cv::Mat> outs;
    try {
      net_.setInput(blob);
      net_.forward(outs, output_names_);
    } catch (const cv::Exception& e) {
      throw InputError(path_, "the model failed to run on a " + std::to_string(input_width_) + "x" +
                                 std::to_string(input_height_) + " input: " + e.err);
    }
    return outs;
  }

  PoseModelOptions options_;
  std::string path_;
  PoseModelLayout layout_ = PoseModelLayout::kAuto;
  std::vector<joint_t> mirror_;  // MirrorOf(layout_), for test-time flip averaging
  int input_width_ = 0, input_height_ = 0;
  cv::dnn::Net net_;
  std::vector<cv::String> output_names_;  // MoveNet: the 4 heads in kMoveNetOutputs order; SimCC: x, y
  int num_model_joints_ = 0;              // K of the model, when known from the file (0 = unknown)
  cv::Mat shrunk_, input_;                // CropToInput's buffers, reused from run to run
};

}  // namespace

std::unique_ptr<PoseNetwork> LoadPoseNetworkWithOpenCv(const PoseModelOptions& model) {
  return std::make_unique<OpenCvPoseNetwork>(model);
}

}  // namespace epilabel

extern "C" __attribute__((visibility("default"))) const epilabel::DetectorModuleApi* epilabel_detector_module_api() {
  static const epilabel::DetectorModuleApi api{epilabel::kDetectorModuleAbi, &epilabel::OpenFrameSourceWithOpenCv,
                                               &epilabel::LoadPoseNetworkWithOpenCv, &epilabel::DetectBoardWithOpenCv};
  return &api;
}
