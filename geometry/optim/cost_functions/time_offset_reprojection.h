// Reprojection residuals with a camera time offset (bundle adjustment of unsynchronised
// cameras; header-only).
//
// Model. Every 3-D point is a joint at a reference frame g (the reference camera's timeline,
// in frames). Camera c's frame k shows what the reference shows at frame k + d_c (d_c: the
// camera's time offset in reference frames, the convention of geometry/sync/time_offsets.h),
// so camera c sees the point at its own (fractional) frame
//     t = (g - d_c) * rate,     rate = fps_c / fps_reference,
// and the observation is the camera's 2-D track linearly interpolated at t. The residual is
//     sqrt(w) * (pi(camera, X_g) - x_c(t)),
// x_c piecewise linear through the track's samples at whole frames.
//
// Why the 2-D track is interpolated (not the 3-D point between neighbouring reference frames):
// each residual keeps exactly one point block, so the points stay the eliminated blocks of the
// Schur complement (a residual on two points would couple them and defeat it); the points stay
// where the reference camera sees them (its observations are exact, not interpolated); and no
// point needs neighbours in time (BAProblemData's points have no temporal structure).
//
// The track near the observation is a window of kBATrackWindowSize samples at consecutive camera
// frames (BATrackWindow in bundle_adjustment.h). The parameter blocks of a Ceres residual are
// fixed, the samples are not parameters, so the window is what the offset can move through in
// one solve: t between the first and the last sample; beyond them (or where the segment's
// samples are missing) the nearest segment with both samples is extended linearly.
//
// Derivative in the offset: d x_c / d d_c = -rate * slope (slope: pixels per camera frame of
// the segment), so d residual / d d_c = sqrt(w) * rate * slope (a kink at whole frames).
#pragma once

#include <array>
#include <cmath>

#include <ceres/autodiff_cost_function.h>
#include <ceres/sized_cost_function.h>
#include <Eigen/Core>

#include "geometry/optim/bundle_adjustment.h"
#include "geometry/optim/cost_functions/reprojection.h"

namespace epilabel {

// The segment of `window` used at offset `offset_frames`: index i (samples i and i + 1, both
// present) and the position u along it (u in [0, 1] inside, outside when extended); false when
// no segment has both samples.
inline bool TrackSegment(const BATrackWindow& window, double offset_frames, int* segment, double* u) {
  const double t = (window.frame - offset_frames) * window.rate - window.first_frame;
  const int wanted = std::min(std::max(static_cast<int>(std::floor(t)), 0), kBATrackWindowSize - 2);
  int best = -1;
  for (int i = 0; i < kBATrackWindowSize - 1; ++i) {
    if (!(window.samples[i].z() > 0.0) || !(window.samples[i + 1].z() > 0.0)) continue;
    if (best < 0 || std::abs(i - wanted) < std::abs(best - wanted)) best = i;
  }
  if (best < 0) return false;
  *segment = best;
  *u = t - best;
  return true;
}

// The interpolated pixel of `window` at the offset and its derivative in the offset (pixels per
// reference frame); false when no segment has both samples.
inline bool InterpolateTrackWindow(const BATrackWindow& window, double offset_frames, Eigen::Vector2d* pixel,
                                   Eigen::Vector2d* d_offset = nullptr) {
  int i = 0;
  double u = 0.0;
  if (!TrackSegment(window, offset_frames, &i, &u)) return false;
  const Eigen::Vector2d a = window.samples[i].head<2>(), b = window.samples[i + 1].head<2>();
  *pixel = a + u * (b - a);
  if (d_offset != nullptr) *d_offset = -window.rate * (b - a);
  return true;
}

// True when the point is in front of the camera (where EvaluateReprojection has derivatives).
inline bool InFront(const double* pose, const double* point) {
  double p_cam[3];
  ceres::AngleAxisRotatePoint(pose, point, p_cam);
  return p_cam[2] + pose[5] > 1e-6;
}

// Analytic: blocks pose[6], point[3], offset[1] (reference frames), fixed intrinsics.
class TimeOffsetReprojectionCost : public ceres::SizedCostFunction<2, kPoseBlockSize, 3, 1> {
 public:
  TimeOffsetReprojectionCost(const double* intrinsics, const BATrackWindow& window, double weight, double aspect,
                             LensModel lens)
      : window_(window), sqrt_weight_(std::sqrt(weight)), aspect_(aspect), lens_(lens) {
    for (int i = 0; i < kIntrinsicsBlockSize; ++i) intrinsics_[i] = intrinsics[i];
  }

  bool Evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    Eigen::Vector2d observed, d_offset;
    if (!InterpolateTrackWindow(window_, parameters[2][0], &observed, &d_offset)) return false;
    EvaluateReprojection(parameters[0], intrinsics_, parameters[1], aspect_, lens_, sqrt_weight_, observed, residuals,
                         jacobians != nullptr ? jacobians[0] : nullptr, nullptr,
                         jacobians != nullptr ? jacobians[1] : nullptr);
    if (jacobians != nullptr && jacobians[2] != nullptr) {
      if (!InFront(parameters[0], parameters[1])) d_offset.setZero();
      jacobians[2][0] = -sqrt_weight_ * d_offset.x();
      jacobians[2][1] = -sqrt_weight_ * d_offset.y();
    }
    return true;
  }

  static ceres::CostFunction* Create(const double* intrinsics, const BATrackWindow& window, double weight, double aspect,
                                     LensModel lens = LensModel::kPinhole) {
    return new TimeOffsetReprojectionCost(intrinsics, window, weight, aspect, lens);
  }

 private:
  const BATrackWindow window_;
  const double sqrt_weight_;
  const double aspect_;
  const LensModel lens_;
  double intrinsics_[kIntrinsicsBlockSize];
};

// Analytic: blocks pose[6], intrinsics[8], point[3], offset[1] (intrinsics refined too).
class TimeOffsetIntrinsicsReprojectionCost
    : public ceres::SizedCostFunction<2, kPoseBlockSize, kIntrinsicsBlockSize, 3, 1> {
 public:
  TimeOffsetIntrinsicsReprojectionCost(const BATrackWindow& window, double weight, double aspect, LensModel lens)
      : window_(window), sqrt_weight_(std::sqrt(weight)), aspect_(aspect), lens_(lens) {}

  bool Evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    Eigen::Vector2d observed, d_offset;
    if (!InterpolateTrackWindow(window_, parameters[3][0], &observed, &d_offset)) return false;
    EvaluateReprojection(parameters[0], parameters[1], parameters[2], aspect_, lens_, sqrt_weight_, observed, residuals,
                         jacobians != nullptr ? jacobians[0] : nullptr, jacobians != nullptr ? jacobians[1] : nullptr,
                         jacobians != nullptr ? jacobians[2] : nullptr);
    if (jacobians != nullptr && jacobians[3] != nullptr) {
      if (!InFront(parameters[0], parameters[2])) d_offset.setZero();
      jacobians[3][0] = -sqrt_weight_ * d_offset.x();
      jacobians[3][1] = -sqrt_weight_ * d_offset.y();
    }
    return true;
  }

  static ceres::CostFunction* Create(const BATrackWindow& window, double weight, double aspect,
                                     LensModel lens = LensModel::kPinhole) {
    return new TimeOffsetIntrinsicsReprojectionCost(window, weight, aspect, lens);
  }

 private:
  const BATrackWindow window_;
  const double sqrt_weight_;
  const double aspect_;
  const LensModel lens_;
};

// The same residual by automatic differentiation (blocks pose[6], point[3], offset[1]; fixed
// intrinsics), for the tests of the analytic costs. The segment is chosen from the offset's
// value, so the derivative is that of the segment in use.
struct TimeOffsetReprojectionError {
  TimeOffsetReprojectionError(const double* intrinsics, const BATrackWindow& window, double weight, double aspect,
                              LensModel lens = LensModel::kPinhole)
      : window_(window), sqrt_weight_(std::sqrt(weight)), aspect_(aspect), lens_(lens) {
    for (int i = 0; i < kIntrinsicsBlockSize; ++i) intrinsics_[i] = intrinsics[i];
  }

  template <typename T>
  bool operator()(const T* pose, const T* point, const T* offset, T* residual) const {
    int i = 0;
    double u = 0.0;
    if (!TrackSegment(window_, Value(offset[0]), &i, &u)) return false;
    const T t = (T(window_.frame) - offset[0]) * T(window_.rate) - T(window_.first_frame) - T(i);
    T intrinsics[kIntrinsicsBlockSize];
    for (int k = 0; k < kIntrinsicsBlockSize; ++k) intrinsics[k] = T(intrinsics_[k]);
    T pixel[2];
    if (!ProjectWithBlocks(pose, intrinsics, point, aspect_, lens_, pixel)) {
      residual[0] = T(sqrt_weight_ * 1e3);
      residual[1] = T(sqrt_weight_ * 1e3);
      return true;
    }
    for (int a = 0; a < 2; ++a) {
      const T observed = T(window_.samples[i](a)) + t * T(window_.samples[i + 1](a) - window_.samples[i](a));
      residual[a] = T(sqrt_weight_) * (pixel[a] - observed);
    }
    return true;
  }

  static ceres::CostFunction* Create(const double* intrinsics, const BATrackWindow& window, double weight, double aspect,
                                     LensModel lens = LensModel::kPinhole) {
    return new ceres::AutoDiffCostFunction<TimeOffsetReprojectionError, 2, kPoseBlockSize, 3, 1>(
        new TimeOffsetReprojectionError(intrinsics, window, weight, aspect, lens));
  }

 private:
  static double Value(double v) { return v; }
  template <typename J>
  static double Value(const J& jet) {
    return jet.a;
  }

  const BATrackWindow window_;
  const double sqrt_weight_;
  const double aspect_;
  const LensModel lens_;
  double intrinsics_[kIntrinsicsBlockSize];
};

// A weak prior on an offset: (d - d0) / sigma (reference frames), for cameras whose people barely
// move (the offset is then unobservable and would drift).
struct TimeOffsetPrior {
  TimeOffsetPrior(double start_frames, double sigma_frames) : start_(start_frames), sigma_(sigma_frames) {}
  template <typename T>
  bool operator()(const T* offset, T* residual) const {
    residual[0] = (offset[0] - T(start_)) / T(sigma_);
    return true;
  }
  static ceres::CostFunction* Create(double start_frames, double sigma_frames) {
    return new ceres::AutoDiffCostFunction<TimeOffsetPrior, 1, 1>(new TimeOffsetPrior(start_frames, sigma_frames));
  }

 private:
  const double start_;
  const double sigma_;
};

}  // namespace epilabel
