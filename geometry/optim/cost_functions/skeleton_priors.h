// Skeleton and motion priors for Ceres (header-only).
//
//   BoneLengthError      (|a - b| - L) / sigma      points a, b (metres), length L (metres)
//   FixedBoneLengthError same with a known length
//   AccelerationError    (x[t-1] - 2 x[t] + x[t+1]) / sigma   three points of one joint (metres)
//   ScalarPriorError     (v - target) / sigma                  any scalar parameter
// sigma is the expected deviation in metres, so the residuals are dimensionless and combine
// with reprojection residuals divided by their pixel noise.
#pragma once

#include <cmath>

#include <ceres/autodiff_cost_function.h>

namespace epilabel {

struct BoneLengthError {
  explicit BoneLengthError(double sigma_m) : inv_sigma_(1.0 / sigma_m) {}
  template <typename T>
  bool operator()(const T* a, const T* b, const T* length, T* residual) const {
    const T dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    const T d2 = dx * dx + dy * dy + dz * dz;
    // sqrt has an infinite derivative at 0; coincident joints are not a real configuration.
    const T d = d2 > T(1e-12) ? ceres::sqrt(d2) : T(1e-6);
    residual[0] = T(inv_sigma_) * (d - length[0]);
    return true;
  }
  static ceres::CostFunction* Create(double sigma_m) {
    return new ceres::AutoDiffCostFunction<BoneLengthError, 1, 3, 3, 1>(new BoneLengthError(sigma_m));
  }

 private:
  const double inv_sigma_;
};

struct FixedBoneLengthError {
  FixedBoneLengthError(double length_m, double sigma_m) : length_(length_m), inv_sigma_(1.0 / sigma_m) {}
  template <typename T>
  bool operator()(const T* a, const T* b, T* residual) const {
    const T dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    const T d2 = dx * dx + dy * dy + dz * dz;
    const T d = d2 > T(1e-12) ? ceres::sqrt(d2) : T(1e-6);
    residual[0] = T(inv_sigma_) * (d - T(length_));
    return true;
  }
  static ceres::CostFunction* Create(double length_m, double sigma_m) {
    return new ceres::AutoDiffCostFunction<FixedBoneLengthError, 1, 3, 3>(new FixedBoneLengthError(length_m, sigma_m));
  }

 private:
  const double length_;
  const double inv_sigma_;
};

struct AccelerationError {
  explicit AccelerationError(double sigma_m) : inv_sigma_(1.0 / sigma_m) {}
  template <typename T>
  bool operator()(const T* prev, const T* cur, const T* next, T* residual) const {
    for (int i = 0; i < 3; ++i) residual[i] = T(inv_sigma_) * (prev[i] - T(2) * cur[i] + next[i]);
    return true;
  }
  static ceres::CostFunction* Create(double sigma_m) {
    return new ceres::AutoDiffCostFunction<AccelerationError, 3, 3, 3, 3>(new AccelerationError(sigma_m));
  }

 private:
  const double inv_sigma_;
};

// (value - target) / sigma on a scalar parameter (e.g. a bone length held near a median).
struct ScalarPriorError {
  ScalarPriorError(double target, double sigma) : target_(target), inv_sigma_(1.0 / sigma) {}
  template <typename T>
  bool operator()(const T* value, T* residual) const {
    residual[0] = T(inv_sigma_) * (value[0] - T(target_));
    return true;
  }
  static ceres::CostFunction* Create(double target, double sigma) {
    return new ceres::AutoDiffCostFunction<ScalarPriorError, 1, 1>(new ScalarPriorError(target, sigma));
  }

 private:
  const double target_;
  const double inv_sigma_;
};

}  // namespace epilabel
