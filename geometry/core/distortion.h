// The OpenCV "plumb bob" lens model with five coefficients (k1, k2, p1, p2, k3), as used by
// cv::projectPoints, cv::undistortPoints, Anipose and Pose2Sim calibration files.
//
// Normalised coordinates (x, y) = (X/Z, Y/Z) in the camera frame are distorted to
//   r2 = x^2 + y^2,  radial = 1 + k1 r2 + k2 r2^2 + k3 r2^3
//   xd = x radial + 2 p1 x y + p2 (r2 + 2 x^2)
//   yd = y radial + p1 (r2 + 2 y^2) + 2 p2 x y
// and then mapped to pixels with u = fx xd + cx, v = fy yd + cy.
// The template is used both on doubles and on Ceres jets.
#pragma once

#include <array>

#include <Eigen/Core>

namespace epilabel {

// Distortion coefficients in OpenCV order: k1, k2, p1, p2, k3.
using Distortion = std::array<double, 5>;

template <typename T>
inline void DistortNormalized(const T* dist, const T& x, const T& y, T* xd, T* yd) {
  const T r2 = x * x + y * y;
  const T radial = T(1) + r2 * (dist[0] + r2 * (dist[1] + r2 * dist[4]));
  const T xy = x * y;
  *xd = x * radial + T(2) * dist[2] * xy + dist[3] * (r2 + T(2) * x * x);
  *yd = y * radial + dist[2] * (r2 + T(2) * y * y) + T(2) * dist[3] * xy;
}

// Inverts DistortNormalized by Newton iterations (falling back to OpenCV's fixed-point
// scheme when a Newton step does not reduce the residual). Returns false when it did not
// converge to `tolerance` (in normalised units) within `max_iterations`.
bool UndistortNormalized(const Distortion& dist, const Eigen::Vector2d& distorted, Eigen::Vector2d* undistorted,
                         int max_iterations = 20, double tolerance = 1e-12);

inline bool IsZeroDistortion(const Distortion& dist) {
  for (double d : dist) {
    if (d != 0.0) return false;
  }
  return true;
}

}  // namespace epilabel
