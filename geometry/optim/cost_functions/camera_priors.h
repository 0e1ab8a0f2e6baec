// Priors on camera parameter blocks for Ceres (header-only; blocks as in reprojection.h).
//
//   BaselinePrior        (|C(pose) - C_fixed| - d0) / sigma   holds the scale of a reconstruction
//   FocalPrior           (f - f0) / (sigma_rel f0)            focal entry of an intrinsics block
//   PrincipalPointPrior  (c - c0) / sigma                     cx, cy of an intrinsics block (pixels)
//   DistortionPrior      k / sigma                            k1, k2 of an intrinsics block (toward 0)
// C(pose) = -R^T t is the camera centre in the world, in the reconstruction's units.
#pragma once

#include <ceres/autodiff_cost_function.h>
#include <ceres/rotation.h>
#include <Eigen/Core>

#include "geometry/optim/cost_functions/reprojection.h"

namespace epilabel {

// Camera centre of a pose block: C = -R^T t.
template <typename T>
void CenterOfPose(const T* pose, T* center) {
  const T minus_aa[3] = {-pose[0], -pose[1], -pose[2]};
  const T t[3] = {pose[3], pose[4], pose[5]};
  T rt[3];
  ceres::AngleAxisRotatePoint(minus_aa, t, rt);
  for (int i = 0; i < 3; ++i) center[i] = -rt[i];
}

struct BaselinePrior {
  BaselinePrior(const Eigen::Vector3d& fixed_center, double distance, double sigma)
      : fixed_center_(fixed_center), distance_(distance), inv_sigma_(1.0 / sigma) {}
  template <typename T>
  bool operator()(const T* pose, T* residual) const {
    T c[3];
    CenterOfPose(pose, c);
    const T dx = c[0] - T(fixed_center_.x()), dy = c[1] - T(fixed_center_.y()), dz = c[2] - T(fixed_center_.z());
    residual[0] = T(inv_sigma_) * (ceres::sqrt(dx * dx + dy * dy + dz * dz + T(1e-18)) - T(distance_));
    return true;
  }
  static ceres::CostFunction* Create(const Eigen::Vector3d& fixed_center, double distance, double sigma) {
    return new ceres::AutoDiffCostFunction<BaselinePrior, 1, kPoseBlockSize>(
        new BaselinePrior(fixed_center, distance, sigma));
  }

 private:
  const Eigen::Vector3d fixed_center_;
  const double distance_;
  const double inv_sigma_;
};

struct FocalPrior {
  FocalPrior(double f0, double sigma_rel) : f0_(f0), inv_sigma_(1.0 / (sigma_rel * f0)) {}
  template <typename T>
  bool operator()(const T* intrinsics, T* residual) const {
    residual[0] = T(inv_sigma_) * (intrinsics[0] - T(f0_));
    return true;
  }
  static ceres::CostFunction* Create(double f0, double sigma_rel) {
    return new ceres::AutoDiffCostFunction<FocalPrior, 1, kIntrinsicsBlockSize>(new FocalPrior(f0, sigma_rel));
  }

 private:
  const double f0_;
  const double inv_sigma_;
};

// Equal focal lengths of two cameras of the same model: (f_a - f_b) / (sigma * f0), a stiff tie
// that shares one focal length across a group (the chain a-b, b-c, ... of its cameras).
struct SharedFocalTie {
  SharedFocalTie(double f0, double sigma_rel) : inv_sigma_(1.0 / (sigma_rel * f0)) {}
  template <typename T>
  bool operator()(const T* intrinsics_a, const T* intrinsics_b, T* residual) const {
    residual[0] = T(inv_sigma_) * (intrinsics_a[0] - intrinsics_b[0]);
    return true;
  }
  static ceres::CostFunction* Create(double f0, double sigma_rel) {
    return new ceres::AutoDiffCostFunction<SharedFocalTie, 1, kIntrinsicsBlockSize, kIntrinsicsBlockSize>(
        new SharedFocalTie(f0, sigma_rel));
  }

 private:
  const double inv_sigma_;
};

struct PrincipalPointPrior {
  PrincipalPointPrior(const Eigen::Vector2d& c0, double sigma_px) : c0_(c0), inv_sigma_(1.0 / sigma_px) {}
  template <typename T>
  bool operator()(const T* intrinsics, T* residual) const {
    residual[0] = T(inv_sigma_) * (intrinsics[1] - T(c0_.x()));
    residual[1] = T(inv_sigma_) * (intrinsics[2] - T(c0_.y()));
    return true;
  }
  static ceres::CostFunction* Create(const Eigen::Vector2d& c0, double sigma_px) {
    return new ceres::AutoDiffCostFunction<PrincipalPointPrior, 2, kIntrinsicsBlockSize>(
        new PrincipalPointPrior(c0, sigma_px));
  }

 private:
  const Eigen::Vector2d c0_;
  const double inv_sigma_;
};

struct DistortionPrior {
  explicit DistortionPrior(double sigma) : inv_sigma_(1.0 / sigma) {}
  template <typename T>
  bool operator()(const T* intrinsics, T* residual) const {
    residual[0] = T(inv_sigma_) * intrinsics[3];
    residual[1] = T(inv_sigma_) * intrinsics[4];
    return true;
  }
  static ceres::CostFunction* Create(double sigma) {
    return new ceres::AutoDiffCostFunction<DistortionPrior, 2, kIntrinsicsBlockSize>(new DistortionPrior(sigma));
  }

 private:
  const double inv_sigma_;
};

}  // namespace epilabel
