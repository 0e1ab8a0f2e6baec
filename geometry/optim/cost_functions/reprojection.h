// Reprojection residuals for Ceres (header-only, templated for automatic differentiation).
//
// Parameter blocks:
//   pose[6]        cam_from_world as angle-axis (radians, 3) then translation (metres, 3)
//   intrinsics[8]  f (pixels), cx, cy (pixels), k1, k2, p1, p2, k3 (OpenCV order);
//                  fy = aspect * f with the aspect ratio fixed per camera
//   point[3]       world point, metres
// Residuals are in pixels, scaled by sqrt(weight) (weight = detector confidence).
#pragma once

#include <ceres/autodiff_cost_function.h>
#include <ceres/rotation.h>
#include <Eigen/Core>

#include "geometry/core/camera.h"
#include "geometry/core/distortion.h"

namespace epilabel {

constexpr int kPoseBlockSize = 6;
constexpr int kIntrinsicsBlockSize = 8;

// Packs/unpacks a camera to the parameter blocks above.
inline void CameraToBlocks(const Camera& cam, double* pose, double* intrinsics) {
  const Eigen::AngleAxisd aa(cam.cam_from_world.rotation);
  const Eigen::Vector3d r = aa.angle() * aa.axis();
  for (int i = 0; i < 3; ++i) {
    pose[i] = r(i);
    pose[3 + i] = cam.cam_from_world.translation(i);
  }
  intrinsics[0] = cam.fx;
  intrinsics[1] = cam.cx;
  intrinsics[2] = cam.cy;
  for (int i = 0; i < 5; ++i) intrinsics[3 + i] = cam.distortion[i];
}

inline void BlocksToCamera(const double* pose, const double* intrinsics, Camera* cam) {
  const Eigen::Vector3d r(pose[0], pose[1], pose[2]);
  cam->cam_from_world = Rigid3d(RotationFromRodrigues(r), Eigen::Vector3d(pose[3], pose[4], pose[5]));
  const double aspect = cam->fx > 0 ? cam->fy / cam->fx : 1.0;
  cam->fx = intrinsics[0];
  cam->fy = aspect * intrinsics[0];
  cam->cx = intrinsics[1];
  cam->cy = intrinsics[2];
  for (int i = 0; i < 5; ++i) cam->distortion[i] = intrinsics[3 + i];
}

// Projects a world point with pose and intrinsics blocks; false when behind the camera.
template <typename T>
inline bool ProjectWithBlocks(const T* pose, const T* intrinsics, const T* point, double aspect, T* pixel) {
  T p_cam[3];
  ceres::AngleAxisRotatePoint(pose, point, p_cam);
  p_cam[0] += pose[3];
  p_cam[1] += pose[4];
  p_cam[2] += pose[5];
  if (!(p_cam[2] > T(1e-6))) return false;
  const T x = p_cam[0] / p_cam[2];
  const T y = p_cam[1] / p_cam[2];
  T xd, yd;
  DistortNormalized(intrinsics + 3, x, y, &xd, &yd);
  pixel[0] = intrinsics[0] * xd + intrinsics[1];
  pixel[1] = T(aspect) * intrinsics[0] * yd + intrinsics[2];
  return true;
}

// Residual of one observation with camera pose, intrinsics and point all as parameters
// (bundle adjustment).
struct ReprojectionError {
  ReprojectionError(const Eigen::Vector2d& observed_px, double weight, double aspect)
      : observed_px_(observed_px), sqrt_weight_(std::sqrt(weight)), aspect_(aspect) {}

  template <typename T>
  bool operator()(const T* pose, const T* intrinsics, const T* point, T* residual) const {
    T pixel[2];
    if (!ProjectWithBlocks(pose, intrinsics, point, aspect_, pixel)) {
      // Behind the camera: a large, smooth penalty keeps the solver away.
      residual[0] = T(sqrt_weight_ * 1e3);
      residual[1] = T(sqrt_weight_ * 1e3);
      return true;
    }
    residual[0] = T(sqrt_weight_) * (pixel[0] - T(observed_px_.x()));
    residual[1] = T(sqrt_weight_) * (pixel[1] - T(observed_px_.y()));
    return true;
  }

  static ceres::CostFunction* Create(const Eigen::Vector2d& observed_px, double weight, double aspect) {
    return new ceres::AutoDiffCostFunction<ReprojectionError, 2, kPoseBlockSize, kIntrinsicsBlockSize, 3>(
        new ReprojectionError(observed_px, weight, aspect));
  }

 private:
  const Eigen::Vector2d observed_px_;
  const double sqrt_weight_;
  const double aspect_;
};

// Residual of one observation with fixed intrinsics; pose and point are parameters (bundle
// adjustment without intrinsics: 9 instead of 17 derivative dimensions).
struct FixedIntrinsicsReprojectionError {
  FixedIntrinsicsReprojectionError(const double* intrinsics, const Eigen::Vector2d& observed_px, double weight,
                                   double aspect)
      : observed_px_(observed_px), sqrt_weight_(std::sqrt(weight)), aspect_(aspect) {
    for (int i = 0; i < kIntrinsicsBlockSize; ++i) intrinsics_[i] = intrinsics[i];
  }

  template <typename T>
  bool operator()(const T* pose, const T* point, T* residual) const {
    T intrinsics[kIntrinsicsBlockSize];
    for (int i = 0; i < kIntrinsicsBlockSize; ++i) intrinsics[i] = T(intrinsics_[i]);
    T pixel[2];
    if (!ProjectWithBlocks(pose, intrinsics, point, aspect_, pixel)) {
      residual[0] = T(sqrt_weight_ * 1e3);
      residual[1] = T(sqrt_weight_ * 1e3);
      return true;
    }
    residual[0] = T(sqrt_weight_) * (pixel[0] - T(observed_px_.x()));
    residual[1] = T(sqrt_weight_) * (pixel[1] - T(observed_px_.y()));
    return true;
  }

  static ceres::CostFunction* Create(const double* intrinsics, const Eigen::Vector2d& observed_px, double weight,
                                     double aspect) {
    return new ceres::AutoDiffCostFunction<FixedIntrinsicsReprojectionError, 2, kPoseBlockSize, 3>(
        new FixedIntrinsicsReprojectionError(intrinsics, observed_px, weight, aspect));
  }

 private:
  const Eigen::Vector2d observed_px_;
  const double sqrt_weight_;
  const double aspect_;
  double intrinsics_[kIntrinsicsBlockSize];
};

// Residual of one observation with a fixed camera; only the point is a parameter
// (triangulation and sequence smoothing).
struct FixedCameraReprojectionError {
  FixedCameraReprojectionError(const Camera& camera, const Eigen::Vector2d& observed_px, double weight)
      : observed_px_(observed_px), sqrt_weight_(std::sqrt(weight)), aspect_(camera.fx > 0 ? camera.fy / camera.fx : 1.0) {
    CameraToBlocks(camera, pose_, intrinsics_);
  }

  template <typename T>
  bool operator()(const T* point, T* residual) const {
    T pose[kPoseBlockSize], intrinsics[kIntrinsicsBlockSize];
    for (int i = 0; i < kPoseBlockSize; ++i) pose[i] = T(pose_[i]);
    for (int i = 0; i < kIntrinsicsBlockSize; ++i) intrinsics[i] = T(intrinsics_[i]);
    T pixel[2];
    if (!ProjectWithBlocks(pose, intrinsics, point, aspect_, pixel)) {
      residual[0] = T(sqrt_weight_ * 1e3);
      residual[1] = T(sqrt_weight_ * 1e3);
      return true;
    }
    residual[0] = T(sqrt_weight_) * (pixel[0] - T(observed_px_.x()));
    residual[1] = T(sqrt_weight_) * (pixel[1] - T(observed_px_.y()));
    return true;
  }

  static ceres::CostFunction* Create(const Camera& camera, const Eigen::Vector2d& observed_px, double weight) {
    return new ceres::AutoDiffCostFunction<FixedCameraReprojectionError, 2, 3>(
        new FixedCameraReprojectionError(camera, observed_px, weight));
  }

 private:
  const Eigen::Vector2d observed_px_;
  const double sqrt_weight_;
  const double aspect_;
  double pose_[kPoseBlockSize];
  double intrinsics_[kIntrinsicsBlockSize];
};

}  // namespace epilabel
