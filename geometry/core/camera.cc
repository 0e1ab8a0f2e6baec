#include "geometry/core/camera.h"

#include <cmath>

namespace epilabel {

bool UndistortNormalized(const Distortion& dist, const Eigen::Vector2d& distorted, Eigen::Vector2d* undistorted,
                         int max_iterations, double tolerance) {
  Eigen::Vector2d p = distorted;
  if (IsZeroDistortion(dist)) {
    *undistorted = p;
    return true;
  }
  auto residual = [&](const Eigen::Vector2d& q) {
    double xd, yd;
    DistortNormalized(dist.data(), q.x(), q.y(), &xd, &yd);
    return Eigen::Vector2d(xd - distorted.x(), yd - distorted.y());
  };
  Eigen::Vector2d r = residual(p);
  for (int it = 0; it < max_iterations && r.norm() > tolerance; ++it) {
    // Analytic Jacobian of the distortion at p.
    const double x = p.x(), y = p.y();
    const double k1 = dist[0], k2 = dist[1], p1 = dist[2], p2 = dist[3], k3 = dist[4];
    const double r2 = x * x + y * y;
    const double radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
    const double dradial_dr2 = k1 + r2 * (2 * k2 + 3 * k3 * r2);
    Eigen::Matrix2d j;
    j(0, 0) = radial + x * dradial_dr2 * 2 * x + 2 * p1 * y + p2 * 6 * x;
    j(0, 1) = x * dradial_dr2 * 2 * y + 2 * p1 * x + p2 * 2 * y;
    j(1, 0) = y * dradial_dr2 * 2 * x + p1 * 2 * x + 2 * p2 * y;
    j(1, 1) = radial + y * dradial_dr2 * 2 * y + p1 * 6 * y + 2 * p2 * x;
    Eigen::Vector2d candidate = p - j.partialPivLu().solve(r);
    Eigen::Vector2d r_candidate = residual(candidate);
    if (!candidate.allFinite() || !(r_candidate.norm() < r.norm())) {
      // Fixed-point step as in OpenCV's undistortPoints.
      double xd, yd;
      DistortNormalized(dist.data(), p.x(), p.y(), &xd, &yd);
      const double icdist = 1.0 / radial;
      const double dx = xd - p.x() * radial, dy = yd - p.y() * radial;  // tangential part
      candidate = Eigen::Vector2d((distorted.x() - dx) * icdist, (distorted.y() - dy) * icdist);
      r_candidate = residual(candidate);
      if (!candidate.allFinite()) break;
    }
    p = candidate;
    r = r_candidate;
  }
  *undistorted = p;
  return r.norm() <= std::max(tolerance, 1e-9);
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
  DistortNormalized(distortion.data(), normalized.x(), normalized.y(), &xd, &yd);
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
  UndistortNormalized(distortion, distorted, &undistorted);
  return undistorted;
}

}  // namespace epilabel
