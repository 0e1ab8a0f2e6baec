// Reprojection residuals for Ceres (header-only, templated for automatic differentiation).
//
// Parameter blocks:
//   pose[6]        cam_from_world as angle-axis (radians, 3) then translation (metres, 3)
//   intrinsics[8]  f (pixels), cx, cy (pixels), then the camera's Distortion: k1, k2, p1, p2, k3
//                  (pinhole) or k1, k2, k3, k4, unused (fisheye, the lens model fixed per
//                  camera); fy = aspect * f with the aspect ratio fixed per camera
//   point[3]       world point, metres
// Residuals are in pixels, scaled by sqrt(weight) (weight = detector confidence).
#pragma once

#include <algorithm>
#include <cmath>

#include <ceres/autodiff_cost_function.h>
#include <ceres/rotation.h>
#include <ceres/sized_cost_function.h>
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
inline bool ProjectWithBlocks(const T* pose, const T* intrinsics, const T* point, double aspect, LensModel lens,
                              T* pixel) {
  T p_cam[3];
  ceres::AngleAxisRotatePoint(pose, point, p_cam);
  p_cam[0] += pose[3];
  p_cam[1] += pose[4];
  p_cam[2] += pose[5];
  if (!(p_cam[2] > T(1e-6))) return false;
  const T x = p_cam[0] / p_cam[2];
  const T y = p_cam[1] / p_cam[2];
  T xd, yd;
  DistortNormalized(lens, intrinsics + 3, x, y, &xd, &yd);
  pixel[0] = intrinsics[0] * xd + intrinsics[1];
  pixel[1] = T(aspect) * intrinsics[0] * yd + intrinsics[2];
  return true;
}

// The weighted residual of one observation projected with ProjectWithBlocks: sqrt(weight) x
// (projection - observation), pixels; a point behind the camera (no projection) gets a large,
// smooth penalty (1000 px each, weighted) that keeps the solver away.
constexpr double kBehindCameraResidualPx = 1e3;
template <typename T>
bool ProjectedResidual(const T* pose, const T* intrinsics, const T* point, double aspect, LensModel lens,
                       const Eigen::Vector2d& observed_px, double sqrt_weight, T* residual) {
  T pixel[2];
  if (!ProjectWithBlocks(pose, intrinsics, point, aspect, lens, pixel)) {
    residual[0] = T(sqrt_weight * kBehindCameraResidualPx);
    residual[1] = T(sqrt_weight * kBehindCameraResidualPx);
    return true;
  }
  residual[0] = T(sqrt_weight) * (pixel[0] - T(observed_px.x()));
  residual[1] = T(sqrt_weight) * (pixel[1] - T(observed_px.y()));
  return true;
}

// Residual of one observation with camera pose, intrinsics and point all as parameters
// (bundle adjustment).
struct ReprojectionError {
  ReprojectionError(const Eigen::Vector2d& observed_px, double weight, double aspect,
                    LensModel lens = LensModel::kPinhole)
      : observed_px_(observed_px), sqrt_weight_(std::sqrt(weight)), aspect_(aspect), lens_(lens) {}

  template <typename T>
  bool operator()(const T* pose, const T* intrinsics, const T* point, T* residual) const {
    return ProjectedResidual(pose, intrinsics, point, aspect_, lens_, observed_px_, sqrt_weight_, residual);
  }

  static ceres::CostFunction* Create(const Eigen::Vector2d& observed_px, double weight, double aspect,
                                     LensModel lens = LensModel::kPinhole) {
    return new ceres::AutoDiffCostFunction<ReprojectionError, 2, kPoseBlockSize, kIntrinsicsBlockSize, 3>(
        new ReprojectionError(observed_px, weight, aspect, lens));
  }

 private:
  const Eigen::Vector2d observed_px_;
  const double sqrt_weight_;
  const double aspect_;
  const LensModel lens_;
};

// Residual of one observation with fixed intrinsics; pose and point are parameters (bundle
// adjustment without intrinsics: 9 instead of 17 derivative dimensions).
struct FixedIntrinsicsReprojectionError {
  FixedIntrinsicsReprojectionError(const double* intrinsics, const Eigen::Vector2d& observed_px, double weight,
                                   double aspect, LensModel lens = LensModel::kPinhole)
      : observed_px_(observed_px), sqrt_weight_(std::sqrt(weight)), aspect_(aspect), lens_(lens) {
    for (int i = 0; i < kIntrinsicsBlockSize; ++i) intrinsics_[i] = intrinsics[i];
  }

  template <typename T>
  bool operator()(const T* pose, const T* point, T* residual) const {
    T intrinsics[kIntrinsicsBlockSize];
    for (int i = 0; i < kIntrinsicsBlockSize; ++i) intrinsics[i] = T(intrinsics_[i]);
    return ProjectedResidual(pose, intrinsics, point, aspect_, lens_, observed_px_, sqrt_weight_, residual);
  }

  static ceres::CostFunction* Create(const double* intrinsics, const Eigen::Vector2d& observed_px, double weight,
                                     double aspect, LensModel lens = LensModel::kPinhole) {
    return new ceres::AutoDiffCostFunction<FixedIntrinsicsReprojectionError, 2, kPoseBlockSize, 3>(
        new FixedIntrinsicsReprojectionError(intrinsics, observed_px, weight, aspect, lens));
  }

 private:
  const Eigen::Vector2d observed_px_;
  const double sqrt_weight_;
  const double aspect_;
  const LensModel lens_;
  double intrinsics_[kIntrinsicsBlockSize];
};

// d (xd, yd) / d (x, y) and d (xd, yd) / d (k1..k4) of DistortNormalizedFisheye, with
// s = theta_d / r:  d (xd, yd) / d (x, y) = s I + (s'(r) / r) (x, y)^T (x, y),
// s'(r) = (theta_d'(theta) r / (1 + r^2) - theta_d) / r^2,  d xd / d k_i = x theta^(2i+1) / r.
// Below r = 1e-8 the first-order model of DistortNormalizedFisheye.
inline void FisheyeDerivatives(const double* dist, double x, double y, Eigen::Matrix2d* d_xy,
                               Eigen::Matrix<double, 2, 4>* d_k) {
  const double r2 = x * x + y * y;
  const Eigen::Vector2d p(x, y);
  if (r2 < 1e-16) {
    *d_xy = (1.0 + (dist[0] - 1.0 / 3.0) * r2) * Eigen::Matrix2d::Identity() +
            2.0 * (dist[0] - 1.0 / 3.0) * p * p.transpose();
    d_k->setZero();
    d_k->col(0) = p * r2;
    return;
  }
  const double r = std::sqrt(r2);
  const double theta = std::atan(r);
  const double t2 = theta * theta;
  const double poly = 1.0 + t2 * (dist[0] + t2 * (dist[1] + t2 * (dist[2] + t2 * dist[3])));
  const double d_poly = 1.0 + t2 * (3.0 * dist[0] + t2 * (5.0 * dist[1] + t2 * (7.0 * dist[2] + t2 * 9.0 * dist[3])));
  const double theta_d = theta * poly;
  const double s = theta_d / r;
  const double ds_dr = (d_poly * r / (1.0 + r2) - theta_d) / r2;
  *d_xy = s * Eigen::Matrix2d::Identity() + (ds_dr / r) * p * p.transpose();
  double power = theta * t2;  // theta^3, ^5, ^7, ^9
  for (int i = 0; i < 4; ++i, power *= t2) d_k->col(i) = p * (power / r);
}

// Analytic evaluation of the reprojection residual and its Jacobians (the bundle adjustment's
// evaluation time is mostly here; autodiff of the angle-axis rotation and the distortion
// polynomial costs ~4x more, `BM_ReprojectionCost`). Checked against the autodiff functors in
// tests/geometry/optim/bundle_adjustment_test.cc.
//   d pixel / d P_cam  from the pinhole division and the OpenCV distortion polynomial,
//   d P_cam / d r  = -R [X]x J_r(r)   (J_r: right Jacobian of SO(3) at the angle-axis r),
//   d P_cam / d t  = I,   d P_cam / d X = R,
//   d pixel / d intrinsics  (f, cx, cy, then the distortion entries) in closed form;
//   the fisheye in FisheyeDerivatives.
// Row-major Jacobians; any of them may be null. Behind the camera: the autodiff functors'
// constant penalty and zero derivatives.
inline void EvaluateReprojection(const double* pose, const double* intrinsics, const double* point_ptr, double aspect,
                                 LensModel lens, double sqrt_weight, const Eigen::Vector2d& observed_px,
                                 double* residuals, double* j_pose, double* j_intrinsics, double* j_point) {
  const auto hat = [](const Eigen::Vector3d& v) {
    Eigen::Matrix3d m;
    m << 0.0, -v.z(), v.y(), v.z(), 0.0, -v.x(), -v.y(), v.x(), 0.0;
    return m;
  };
  const Eigen::Map<const Eigen::Vector3d> point(point_ptr);
  const Eigen::Vector3d r(pose[0], pose[1], pose[2]);
  const double theta2 = r.squaredNorm();
  // R and J_r share one sin/cos (RotationFromRodrigues would compute them a second time).
  Eigen::Matrix3d rotation;
  Eigen::Matrix3d right_jacobian;  // J_r(r)
  const Eigen::Matrix3d r_hat = hat(r);
  if (theta2 > 1e-12) {
    const double theta = std::sqrt(theta2);
    const double s = std::sin(theta), c = std::cos(theta);
    rotation = Eigen::Matrix3d::Identity() + (s / theta) * r_hat + ((1.0 - c) / theta2) * r_hat * r_hat;
    right_jacobian = Eigen::Matrix3d::Identity() - ((1.0 - c) / theta2) * r_hat +
                     ((theta - s) / (theta2 * theta)) * r_hat * r_hat;
  } else {  // first order: exact to rounding for |r| < 1e-6
    rotation = Eigen::Matrix3d::Identity() + r_hat;
    right_jacobian = Eigen::Matrix3d::Identity() - 0.5 * r_hat;
  }
  const Eigen::Vector3d p_cam = rotation * point + Eigen::Vector3d(pose[3], pose[4], pose[5]);
  if (!(p_cam.z() > 1e-6)) {
    residuals[0] = residuals[1] = sqrt_weight * kBehindCameraResidualPx;
    if (j_pose != nullptr) std::fill(j_pose, j_pose + 2 * kPoseBlockSize, 0.0);
    if (j_intrinsics != nullptr) std::fill(j_intrinsics, j_intrinsics + 2 * kIntrinsicsBlockSize, 0.0);
    if (j_point != nullptr) std::fill(j_point, j_point + 6, 0.0);
    return;
  }
  const double inv_z = 1.0 / p_cam.z();
  const double x = p_cam.x() * inv_z, y = p_cam.y() * inv_z;
  const double* dist = intrinsics + 3;  // k1, k2, p1, p2, k3 or k1..k4
  double xd, yd;
  DistortNormalized(lens, dist, x, y, &xd, &yd);
  const double f = intrinsics[0];
  residuals[0] = sqrt_weight * (f * xd + intrinsics[1] - observed_px.x());
  residuals[1] = sqrt_weight * (aspect * f * yd + intrinsics[2] - observed_px.y());

  const double r2 = x * x + y * y;
  Eigen::Matrix2d d_distorted;  // d (xd, yd) / d (x, y)
  if (lens == LensModel::kFisheye) {
    Eigen::Matrix<double, 2, 4> d_k;
    FisheyeDerivatives(dist, x, y, &d_distorted, &d_k);
    if (j_intrinsics != nullptr) {
      Eigen::Map<Eigen::Matrix<double, 2, kIntrinsicsBlockSize, Eigen::RowMajor>> j(j_intrinsics);
      j.setZero();
      j(0, 0) = sqrt_weight * xd;
      j(1, 0) = sqrt_weight * aspect * yd;
      j(0, 1) = sqrt_weight;
      j(1, 2) = sqrt_weight;
      j.block<1, 4>(0, 3) = sqrt_weight * f * d_k.row(0);
      j.block<1, 4>(1, 3) = sqrt_weight * aspect * f * d_k.row(1);
    }
  } else if (j_intrinsics != nullptr) {
    Eigen::Map<Eigen::Matrix<double, 2, kIntrinsicsBlockSize, Eigen::RowMajor>> j(j_intrinsics);
    const double fx = sqrt_weight * f, fy = sqrt_weight * aspect * f;
    j(0, 0) = sqrt_weight * xd;
    j(1, 0) = sqrt_weight * aspect * yd;
    j(0, 1) = sqrt_weight, j(1, 1) = 0.0;  // cx
    j(0, 2) = 0.0, j(1, 2) = sqrt_weight;  // cy
    j(0, 3) = fx * x * r2, j(1, 3) = fy * y * r2;                        // k1
    j(0, 4) = fx * x * r2 * r2, j(1, 4) = fy * y * r2 * r2;              // k2
    j(0, 5) = fx * 2.0 * x * y, j(1, 5) = fy * (r2 + 2.0 * y * y);       // p1
    j(0, 6) = fx * (r2 + 2.0 * x * x), j(1, 6) = fy * 2.0 * x * y;       // p2
    j(0, 7) = fx * x * r2 * r2 * r2, j(1, 7) = fy * y * r2 * r2 * r2;    // k3
  }
  if (j_pose == nullptr && j_point == nullptr) return;

  if (lens == LensModel::kPinhole) {  // d (xd, yd) / d (x, y) of DistortNormalized
    const double radial = 1.0 + r2 * (dist[0] + r2 * (dist[1] + r2 * dist[4]));
    const double d_radial = dist[0] + r2 * (2.0 * dist[1] + 3.0 * r2 * dist[4]);  // d radial / d r2
    d_distorted(0, 0) = radial + 2.0 * x * x * d_radial + 2.0 * dist[2] * y + 6.0 * dist[3] * x;
    d_distorted(0, 1) = 2.0 * x * y * d_radial + 2.0 * dist[2] * x + 2.0 * dist[3] * y;
    d_distorted(1, 0) = d_distorted(0, 1);
    d_distorted(1, 1) = radial + 2.0 * y * y * d_radial + 6.0 * dist[2] * y + 2.0 * dist[3] * x;
  }
  Eigen::Matrix<double, 2, 3> d_normalized;  // d (x, y) / d P_cam
  d_normalized << inv_z, 0.0, -x * inv_z, 0.0, inv_z, -y * inv_z;
  const Eigen::Vector2d scale(sqrt_weight * f, sqrt_weight * aspect * f);
  const Eigen::Matrix<double, 2, 3> d_pcam = scale.asDiagonal() * d_distorted * d_normalized;
  if (j_pose != nullptr) {
    Eigen::Map<Eigen::Matrix<double, 2, kPoseBlockSize, Eigen::RowMajor>> j(j_pose);
    j.leftCols<3>() = -d_pcam * rotation * hat(point) * right_jacobian;
    j.rightCols<3>() = d_pcam;
  }
  if (j_point != nullptr) {
    Eigen::Map<Eigen::Matrix<double, 2, 3, Eigen::RowMajor>> j(j_point);
    j = d_pcam * rotation;
  }
}

// FixedIntrinsicsReprojectionError with analytic derivatives: blocks pose[6], point[3].
class FixedIntrinsicsReprojectionCost : public ceres::SizedCostFunction<2, kPoseBlockSize, 3> {
 public:
  FixedIntrinsicsReprojectionCost(const double* intrinsics, const Eigen::Vector2d& observed_px, double weight,
                                  double aspect, LensModel lens = LensModel::kPinhole)
      : observed_px_(observed_px), sqrt_weight_(std::sqrt(weight)), aspect_(aspect), lens_(lens) {
    for (int i = 0; i < kIntrinsicsBlockSize; ++i) intrinsics_[i] = intrinsics[i];
  }

  bool Evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    EvaluateReprojection(parameters[0], intrinsics_, parameters[1], aspect_, lens_, sqrt_weight_, observed_px_,
                         residuals,
                         jacobians != nullptr ? jacobians[0] : nullptr, nullptr,
                         jacobians != nullptr ? jacobians[1] : nullptr);
    return true;
  }

  static ceres::CostFunction* Create(const double* intrinsics, const Eigen::Vector2d& observed_px, double weight,
                                     double aspect, LensModel lens = LensModel::kPinhole) {
    return new FixedIntrinsicsReprojectionCost(intrinsics, observed_px, weight, aspect, lens);
  }

 private:
  const Eigen::Vector2d observed_px_;
  const double sqrt_weight_;
  const double aspect_;
  const LensModel lens_;
  double intrinsics_[kIntrinsicsBlockSize];
};

// ReprojectionError with analytic derivatives: blocks pose[6], intrinsics[8], point[3] (the
// bundle adjustment that refines focal lengths and distortion).
class ReprojectionCost : public ceres::SizedCostFunction<2, kPoseBlockSize, kIntrinsicsBlockSize, 3> {
 public:
  ReprojectionCost(const Eigen::Vector2d& observed_px, double weight, double aspect,
                   LensModel lens = LensModel::kPinhole)
      : observed_px_(observed_px), sqrt_weight_(std::sqrt(weight)), aspect_(aspect), lens_(lens) {}

  bool Evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    EvaluateReprojection(parameters[0], parameters[1], parameters[2], aspect_, lens_, sqrt_weight_, observed_px_,
                         residuals,
                         jacobians != nullptr ? jacobians[0] : nullptr, jacobians != nullptr ? jacobians[1] : nullptr,
                         jacobians != nullptr ? jacobians[2] : nullptr);
    return true;
  }

  static ceres::CostFunction* Create(const Eigen::Vector2d& observed_px, double weight, double aspect,
                                     LensModel lens = LensModel::kPinhole) {
    return new ReprojectionCost(observed_px, weight, aspect, lens);
  }

 private:
  const Eigen::Vector2d observed_px_;
  const double sqrt_weight_;
  const double aspect_;
  const LensModel lens_;
};

// Residual of one observation with a fixed camera; only the point is a parameter
// (triangulation and sequence smoothing).
struct FixedCameraReprojectionError {
  FixedCameraReprojectionError(const Camera& camera, const Eigen::Vector2d& observed_px, double weight)
      : observed_px_(observed_px),
        sqrt_weight_(std::sqrt(weight)),
        aspect_(camera.fx > 0 ? camera.fy / camera.fx : 1.0),
        lens_(camera.lens) {
    CameraToBlocks(camera, pose_, intrinsics_);
  }

  template <typename T>
  bool operator()(const T* point, T* residual) const {
    T pose[kPoseBlockSize], intrinsics[kIntrinsicsBlockSize];
    for (int i = 0; i < kPoseBlockSize; ++i) pose[i] = T(pose_[i]);
    for (int i = 0; i < kIntrinsicsBlockSize; ++i) intrinsics[i] = T(intrinsics_[i]);
    return ProjectedResidual(pose, intrinsics, point, aspect_, lens_, observed_px_, sqrt_weight_, residual);
  }

  static ceres::CostFunction* Create(const Camera& camera, const Eigen::Vector2d& observed_px, double weight) {
    return new ceres::AutoDiffCostFunction<FixedCameraReprojectionError, 2, 3>(
        new FixedCameraReprojectionError(camera, observed_px, weight));
  }

 private:
  const Eigen::Vector2d observed_px_;
  const double sqrt_weight_;
  const double aspect_;
  const LensModel lens_;
  double pose_[kPoseBlockSize];
  double intrinsics_[kIntrinsicsBlockSize];
};

}  // namespace epilabel
