#include "detection/dnn/person_crop.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace epilabel {

namespace {

// COCO-17 indices used by the crop rule.
constexpr int kLeftShoulder = 5, kRightShoulder = 6, kLeftHip = 11, kRightHip = 12;
constexpr int kCocoJoints = 17;

}  // namespace

ImageBox FullFrameSquare(int image_width, int image_height) {
  const double side = std::max(image_width, image_height);
  return {0.5 * (image_width - side), 0.5 * (image_height - side), side, side};
}

ImageBox MoveNetCropRegion(const std::vector<Eigen::Vector3d>& keypoints, int image_width, int image_height,
                           const MoveNetCropOptions& options, bool* full_frame) {
  auto fallback = [&]() {
    if (full_frame != nullptr) *full_frame = true;
    return FullFrameSquare(image_width, image_height);
  };
  if (static_cast<int>(keypoints.size()) < kCocoJoints) return fallback();
  auto seen = [&](int j) { return keypoints[j].z() >= options.min_keypoint_score && keypoints[j].allFinite(); };
  const bool torso_visible = (seen(kLeftHip) || seen(kRightHip)) && (seen(kLeftShoulder) || seen(kRightShoulder));
  if (!torso_visible) return fallback();

  // Continuous coordinates (+0.5) so that the box is exact in the crop's own convention.
  auto point = [&](int j) { return Eigen::Vector2d(keypoints[j].x() + 0.5, keypoints[j].y() + 0.5); };
  const Eigen::Vector2d center = 0.5 * (point(kLeftHip) + point(kRightHip));
  Eigen::Vector2d torso_range = Eigen::Vector2d::Zero(), body_range = Eigen::Vector2d::Zero();
  for (int j : {kLeftShoulder, kRightShoulder, kLeftHip, kRightHip})
    torso_range = torso_range.cwiseMax((center - point(j)).cwiseAbs());
  for (int j = 0; j < kCocoJoints; ++j)
    if (seen(j)) body_range = body_range.cwiseMax((center - point(j)).cwiseAbs());

  double half = std::max(options.torso_expansion * torso_range.maxCoeff(), options.body_expansion * body_range.maxCoeff());
  const double to_border = std::max({center.x(), image_width - center.x(), center.y(), image_height - center.y()});
  half = std::min(half, to_border);
  if (!(half > 0.0) || half > 0.5 * std::max(image_width, image_height)) return fallback();
  if (full_frame != nullptr) *full_frame = false;
  return {center.x() - half, center.y() - half, 2.0 * half, 2.0 * half};
}

std::optional<ImageBox> KeypointBox(const std::vector<Eigen::Vector3d>& keypoints, double min_keypoint_score,
                                    int min_joints) {
  Eigen::Vector2d lo = Eigen::Vector2d::Constant(std::numeric_limits<double>::infinity());
  Eigen::Vector2d hi = -lo;
  int count = 0;
  for (const Eigen::Vector3d& k : keypoints) {
    if (!(k.z() >= min_keypoint_score) || !k.allFinite()) continue;
    lo = lo.cwiseMin(k.head<2>());
    hi = hi.cwiseMax(k.head<2>());
    ++count;
  }
  if (count < std::max(min_joints, 1)) return std::nullopt;
  // Pixel-centre extents to continuous: the box covers the pixels of the extreme joints.
  const Eigen::Vector2d size = hi - lo + Eigen::Vector2d::Ones();
  if (size.minCoeff() <= 1.0) return std::nullopt;
  return ImageBox{lo.x(), lo.y(), size.x(), size.y()};
}

ImageBox ExpandToAspect(const ImageBox& box, double input_width, double input_height, double padding) {
  const double aspect = input_width / input_height;
  double w = box.width, h = box.height;
  if (w > aspect * h) {
    h = w / aspect;
  } else {
    w = h * aspect;
  }
  w *= padding;
  h *= padding;
  const Eigen::Vector2d c = box.Center();
  return {c.x() - 0.5 * w, c.y() - 0.5 * h, w, h};
}

}  // namespace epilabel
