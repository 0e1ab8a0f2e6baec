// Two lens models, both as OpenCV defines them; the coefficients live in one array of five.
//
// kPinhole: the "plumb bob" model (k1, k2, p1, p2, k3) of cv::projectPoints and
// cv::undistortPoints, Anipose and Pose2Sim calibration files. Normalised coordinates
// (x, y) = (X/Z, Y/Z) in the camera frame are distorted to
//   r2 = x^2 + y^2,  radial = 1 + k1 r2 + k2 r2^2 + k3 r2^3
//   xd = x radial + 2 p1 x y + p2 (r2 + 2 x^2)
//   yd = y radial + p1 (r2 + 2 y^2) + 2 p2 x y
// kFisheye: the equidistant model of cv::fisheye (k1, k2, k3, k4 in the first four entries,
// the fifth unused and 0), Anipose's `fisheye = true`:
//   r = sqrt(x^2 + y^2),  theta = atan(r)  (angle from the optical axis, radians)
//   theta_d = theta (1 + k1 theta^2 + k2 theta^4 + k3 theta^6 + k4 theta^8)
//   (xd, yd) = (theta_d / r) (x, y)
// Either is then mapped to pixels with u = fx xd + cx, v = fy yd + cy. The templates are used
// both on doubles and on Ceres jets.
#pragma once

#include <array>
#include <cmath>

#include <Eigen/Core>

namespace epilabel {

// Distortion coefficients in OpenCV order: k1, k2, p1, p2, k3 (pinhole) or k1, k2, k3, k4, 0
// (fisheye).
using Distortion = std::array<double, 5>;

enum class LensModel { kPinhole, kFisheye };

template <typename T>
inline void DistortNormalized(const T* dist, const T& x, const T& y, T* xd, T* yd) {
  const T r2 = x * x + y * y;
  const T radial = T(1) + r2 * (dist[0] + r2 * (dist[1] + r2 * dist[4]));
  const T xy = x * y;
  *xd = x * radial + T(2) * dist[2] * xy + dist[3] * (r2 + T(2) * x * x);
  *yd = y * radial + dist[2] * (r2 + T(2) * y * y) + T(2) * dist[3] * xy;
}

// The equidistant fisheye model (cv::fisheye) with dist = k1..k4. Below r = 1e-8 the factor
// theta_d / r is taken to first order in r^2, 1 + (k1 - 1/3) r^2 (OpenCV takes 1), which keeps
// the Jacobian of a Ceres jet finite at the image centre.
template <typename T>
inline void DistortNormalizedFisheye(const T* dist, const T& x, const T& y, T* xd, T* yd) {
  using std::atan;
  using std::sqrt;
  const T r2 = x * x + y * y;
  T scale;
  if (r2 < T(1e-16)) {
    scale = T(1) + (dist[0] - T(1.0 / 3.0)) * r2;
  } else {
    const T r = sqrt(r2);
    const T theta = atan(r);
    const T t2 = theta * theta;
    scale = theta * (T(1) + t2 * (dist[0] + t2 * (dist[1] + t2 * (dist[2] + t2 * dist[3])))) / r;
  }
  *xd = x * scale;
  *yd = y * scale;
}

// DistortNormalized or DistortNormalizedFisheye by `lens`.
template <typename T>
inline void DistortNormalized(LensModel lens, const T* dist, const T& x, const T& y, T* xd, T* yd) {
  if (lens == LensModel::kFisheye) {
    DistortNormalizedFisheye(dist, x, y, xd, yd);
  } else {
    DistortNormalized(dist, x, y, xd, yd);
  }
}

// Inverts DistortNormalizedFisheye: Newton on theta_d(theta) = |distorted| as in
// cv::fisheye::undistortPoints, then r = tan(theta). False when it does not converge or the
// angle leaves [0, pi/2) (a pixel beyond the lens' field of view, or a non-monotonic lens).
bool UndistortNormalizedFisheye(const Distortion& dist, const Eigen::Vector2d& distorted,
                                Eigen::Vector2d* undistorted, int max_iterations = 20, double tolerance = 1e-14);

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
