#include "geometry/core/camera.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace epilabel {

bool UndistortNormalized(const Distortion& dist, const Eigen::Vector2d& distorted, Eigen::Vector2d* undistorted,
                         int max_iterations, double tolerance) {
  if (IsZeroDistortion(dist)) {
    *undistorted = distorted;
    return true;
  }
  const double k1 = dist[0], k2 = dist[1], p1 = dist[2], p2 = dist[3], k3 = dist[4];
  // Newton iterations on distort(p) = distorted, from p = distorted; a step that does not lower
  // the residual is replaced by OpenCV's fixed-point step.
  // The start is one fixed-point step from the distorted point (radial part only), which
  // leaves Newton two or three iterations on ordinary lenses.
  Eigen::Vector2d p = distorted;
  {
    const double r2 = distorted.squaredNorm();
    const double radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
    if (radial > 0.1 && std::isfinite(radial)) p = distorted / radial;
  }
  const double tolerance2 = tolerance * tolerance;
  double prev_norm2 = std::numeric_limits<double>::infinity();
  for (int it = 0; it <= max_iterations; ++it) {
    const double x = p.x(), y = p.y();
    const double r2 = x * x + y * y;
    const double radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
    const double xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
    const double yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
    const double rx = xd - distorted.x(), ry = yd - distorted.y();
    const double norm2 = rx * rx + ry * ry;
    if (norm2 <= tolerance2) {
      *undistorted = p;
      return true;
    }
    if (it == max_iterations || !std::isfinite(norm2)) break;
    Eigen::Vector2d next;
    if (norm2 < prev_norm2) {
      const double dradial_dr2 = k1 + r2 * (2 * k2 + 3 * k3 * r2);
      const double j00 = radial + 2 * x * x * dradial_dr2 + 2 * p1 * y + 6 * p2 * x;
      const double j01 = 2 * x * y * dradial_dr2 + 2 * p1 * x + 2 * p2 * y;
      const double j10 = 2 * x * y * dradial_dr2 + 2 * p1 * x + 2 * p2 * y;
      const double j11 = radial + 2 * y * y * dradial_dr2 + 6 * p1 * y + 2 * p2 * x;
      const double det = j00 * j11 - j01 * j10;
      next = Eigen::Vector2d(x - (j11 * rx - j01 * ry) / det, y - (-j10 * rx + j00 * ry) / det);
    } else {
      next = Eigen::Vector2d((distorted.x() - (xd - x * radial)) / radial, (distorted.y() - (yd - y * radial)) / radial);
    }
    if (!next.allFinite()) break;
    prev_norm2 = norm2;
    p = next;
  }
  *undistorted = p;
  return false;
}

bool UndistortNormalizedFisheye(const Distortion& dist, const Eigen::Vector2d& distorted,
                                Eigen::Vector2d* undistorted, int max_iterations, double tolerance) {
  const double theta_d = distorted.norm();
  if (theta_d < 1e-12) {  // theta_d / r -> 1 at the centre
    *undistorted = distorted;
    return true;
  }
  const double k1 = dist[0], k2 = dist[1], k3 = dist[2], k4 = dist[3];
  // Newton on g(theta) = theta (1 + k1 t2 + k2 t2^2 + k3 t2^3 + k4 t2^4) - theta_d from
  // theta = min(theta_d, pi/2), as OpenCV does.
  double theta = std::min(theta_d, 0.5 * M_PI);
  bool converged = false;
  for (int it = 0; it < max_iterations; ++it) {
    const double t2 = theta * theta;
    const double g = theta * (1 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4)))) - theta_d;
    const double dg = 1 + t2 * (3 * k1 + t2 * (5 * k2 + t2 * (7 * k3 + t2 * 9 * k4)));
    const double step = g / dg;
    if (!std::isfinite(step)) break;
    theta -= step;
    if (std::abs(step) <= tolerance * std::max(1.0, theta)) {
      converged = true;
      break;
    }
  }
  const bool in_range = theta >= 0.0 && theta < 0.5 * M_PI;
  *undistorted = in_range ? Eigen::Vector2d(distorted * (std::tan(theta) / theta_d)) : distorted;
  return converged && in_range;
}

Eigen::Matrix3d Camera::K() const {
  Eigen::Matrix3d k = Eigen::Matrix3d::Identity();
  k(0, 0) = fx;
  k(1, 1) = fy;
  k(0, 2) = cx;
  k(1, 2) = cy;
  return k;
}

void Camera::SetK(const Eigen::Matrix3d& k) {
  fx = k(0, 0);
  fy = k(1, 1);
  cx = k(0, 2);
  cy = k(1, 2);
}

Eigen::Vector3d Camera::CenterInWorld() const { return cam_from_world.Inverse().translation; }

Matrix3x4d Camera::ProjectionMatrix() const { return K() * cam_from_world.ToMatrix(); }

Eigen::Vector2d Camera::ImageFromNormalized(const Eigen::Vector2d& normalized) const {
  double xd, yd;
  DistortNormalized(lens, distortion.data(), normalized.x(), normalized.y(), &xd, &yd);
  return Eigen::Vector2d(fx * xd + cx, fy * yd + cy);
}

std::optional<Eigen::Vector2d> Camera::ImageFromCam(const Eigen::Vector3d& point_in_cam) const {
  if (!(point_in_cam.z() > 0.0)) return std::nullopt;
  return ImageFromNormalized(point_in_cam.hnormalized());
}

std::optional<Eigen::Vector2d> Camera::ImageFromWorld(const Eigen::Vector3d& point_in_world) const {
  return ImageFromCam(cam_from_world * point_in_world);
}

Eigen::Vector2d Camera::NormalizedFromImage(const Eigen::Vector2d& pixel) const {
  const Eigen::Vector2d distorted((pixel.x() - cx) / fx, (pixel.y() - cy) / fy);
  Eigen::Vector2d undistorted;
  if (lens == LensModel::kFisheye) {
    UndistortNormalizedFisheye(distortion, distorted, &undistorted);
  } else {
    UndistortNormalized(distortion, distorted, &undistorted);
  }
  return undistorted;
}

}  // namespace epilabel
