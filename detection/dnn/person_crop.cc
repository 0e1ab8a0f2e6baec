#include "detection/dnn/person_crop.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace epilabel {

namespace {

// COCO-17 indices used by the crop rule.
constexpr int kNose = 0, kRightEar = 4, kLeftShoulder = 5, kRightShoulder = 6, kLeftHip = 11, kRightHip = 12,
              kLeftAnkle = 15, kRightAnkle = 16;
constexpr int kCocoJoints = 17;

}  // namespace

ImageBox FullFrameSquare(int image_width, int image_height) {
  const double side = std::max(image_width, image_height);
  return {0.5 * (image_width - side), 0.5 * (image_height - side), side, side};
}

ImageBox MoveNetCropRegion(const std::vector<Eigen::Vector3d>& keypoints, int image_width, int image_height,
                           const MoveNetCropOptions& options, bool* full_frame, double last_motion_px) {
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
  // The crop's axes in the image: x along `axis_x`, y along `axis_y` (y down).
  double angle = 0.0;
  if (options.upright_min_tilt_deg >= 0.0 && seen(kLeftHip) && seen(kRightHip) && seen(kLeftShoulder) &&
      seen(kRightShoulder)) {
    const Eigen::Vector2d shoulders = 0.5 * (point(kLeftShoulder) + point(kRightShoulder));
    const bool legs = options.upright_along_body && seen(kLeftAnkle) && seen(kRightAnkle);
    const Eigen::Vector2d down = (legs ? 0.5 * (point(kLeftAnkle) + point(kRightAnkle)) : center) - shoulders;
    const double tilt = std::atan2(-down.x(), down.y());  // 0 when the shoulders are straight above
    if (down.norm() > 1e-6 && std::abs(tilt) * 180.0 / M_PI > options.upright_min_tilt_deg) angle = tilt;
  }
  const Eigen::Vector2d axis_x(std::cos(angle), std::sin(angle)), axis_y(-std::sin(angle), std::cos(angle));
  auto along_axes = [&](int j) {
    const Eigen::Vector2d d = point(j) - center;
    return Eigen::Vector2d(std::abs(d.dot(axis_x)), std::abs(d.dot(axis_y)));
  };
  Eigen::Vector2d torso_range = Eigen::Vector2d::Zero(), body_range = Eigen::Vector2d::Zero();
  for (int j : {kLeftShoulder, kRightShoulder, kLeftHip, kRightHip}) torso_range = torso_range.cwiseMax(along_axes(j));
  for (int j = 0; j < kCocoJoints; ++j)
    if (seen(j)) body_range = body_range.cwiseMax(along_axes(j));

  bool face_seen = false;
  for (int j = kNose; j <= kRightEar; ++j) face_seen = face_seen || seen(j);
  const bool whole_body = face_seen && (seen(kLeftAnkle) || seen(kRightAnkle));
  double half = std::max(options.torso_expansion * torso_range.maxCoeff(), options.body_expansion * body_range.maxCoeff());
  if (options.fit_seen_body && whole_body && last_motion_px >= 0.0)
    half = body_range.maxCoeff() + options.motion_frames * last_motion_px;
  const double to_border = std::max({center.x(), image_width - center.x(), center.y(), image_height - center.y()});
  half = std::min(half, to_border);
  if (!(half > 0.0) || half > 0.5 * std::max(image_width, image_height)) return fallback();
  if (full_frame != nullptr) *full_frame = false;
  return {center.x() - half, center.y() - half, 2.0 * half, 2.0 * half, angle};
}

double LargestJointMotion(const std::vector<Eigen::Vector3d>& before, const std::vector<Eigen::Vector3d>& after,
                          double min_score) {
  double largest = -1.0;
  for (size_t j = 0; j < std::min(before.size(), after.size()); ++j) {
    const bool both = before[j].z() >= min_score && after[j].z() >= min_score && before[j].allFinite() &&
                      after[j].allFinite();
    if (both) largest = std::max(largest, (after[j].head<2>() - before[j].head<2>()).norm());
  }
  return largest;
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

std::optional<ImageBox> BlazePoseRegion(const std::vector<Eigen::Vector3d>& keypoints,
                                        const BlazePoseRegionOptions& options) {
  // blazepose33 indices.
  constexpr int kBpLeftShoulder = 11, kBpRightShoulder = 12, kBpLeftHip = 23, kBpRightHip = 24, kBpJoints = 33;
  if (static_cast<int>(keypoints.size()) < kBpJoints) return std::nullopt;
  const auto seen = [&](int j) { return keypoints[j].allFinite() && keypoints[j].z() >= options.min_keypoint_score; };
  const auto mid = [&](int a, int b) -> std::optional<Eigen::Vector2d> {
    if (seen(a) && seen(b)) return 0.5 * (keypoints[a].head<2>() + keypoints[b].head<2>());
    if (seen(a)) return keypoints[a].head<2>().eval();
    if (seen(b)) return keypoints[b].head<2>().eval();
    return std::nullopt;
  };
  const std::optional<Eigen::Vector2d> hips = mid(kBpLeftHip, kBpRightHip);
  const std::optional<Eigen::Vector2d> shoulders = mid(kBpLeftShoulder, kBpRightShoulder);
  if (!hips || !shoulders) return std::nullopt;
  double radius = 0.0;
  int confident = 0;
  for (int j = 0; j < kBpJoints; ++j) {
    if (!seen(j)) continue;
    ++confident;
    radius = std::max(radius, (keypoints[j].head<2>() - *hips).norm());
  }
  const Eigen::Vector2d up = *shoulders - *hips;
  if (confident < options.min_joints || !(radius > 1.0) || !(up.norm() > 1e-6)) return std::nullopt;
  // Pixel-centre keypoints to continuous coordinates (+0.5); the crop's y axis (down) is -up.
  const Eigen::Vector2d center = *hips + Eigen::Vector2d(0.5, 0.5);
  const double side = 2.0 * radius * options.head_extension * options.scale;
  ImageBox box;
  box.x0 = center.x() - 0.5 * side;
  box.y0 = center.y() - 0.5 * side;
  box.width = box.height = side;
  // The crop's x axis is its down axis turned by -90 degrees (y down): x = (down.y, -down.x).
  const Eigen::Vector2d down = -up.normalized();
  box.angle = std::atan2(-down.x(), down.y());
  return box;
}

}  // namespace epilabel
