// Rigid transformations and similarities in 3D.
//
// Naming follows the frames: `b_from_a` maps a point expressed in frame a to frame b, so
// `point_in_b = b_from_a * point_in_a`, and composition reads right to left:
// `c_from_a = c_from_b * b_from_a`. A camera's pose is `cam_from_world`
// (x_cam = R * X_world + t, OpenCV and Anipose convention).
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>

#include "geometry/core/types.h"

namespace epilabel {

struct Rigid3d {
  Eigen::Quaterniond rotation = Eigen::Quaterniond::Identity();  // unit quaternion
  Eigen::Vector3d translation = Eigen::Vector3d::Zero();          // metres (or scene units)

  Rigid3d() = default;
  Rigid3d(const Eigen::Quaterniond& r, const Eigen::Vector3d& t) : rotation(r.normalized()), translation(t) {}
  Rigid3d(const Eigen::Matrix3d& r, const Eigen::Vector3d& t) : rotation(Eigen::Quaterniond(r).normalized()), translation(t) {}

  Eigen::Matrix3d RotationMatrix() const { return rotation.toRotationMatrix(); }
  // [R | t] as a 3x4 matrix.
  Matrix3x4d ToMatrix() const {
    Matrix3x4d m;
    m.leftCols<3>() = RotationMatrix();
    m.col(3) = translation;
    return m;
  }
  Rigid3d Inverse() const {
    const Eigen::Quaterniond r_inv = rotation.conjugate();
    return Rigid3d(r_inv, -(r_inv * translation));
  }
  Eigen::Vector3d operator*(const Eigen::Vector3d& point) const { return rotation * point + translation; }
};

inline Rigid3d operator*(const Rigid3d& c_from_b, const Rigid3d& b_from_a) {
  return Rigid3d(c_from_b.rotation * b_from_a.rotation, c_from_b.rotation * b_from_a.translation + c_from_b.translation);
}

// A similarity: point_in_b = scale * R * point_in_a + t.
struct Sim3d {
  double scale = 1.0;
  Eigen::Quaterniond rotation = Eigen::Quaterniond::Identity();
  Eigen::Vector3d translation = Eigen::Vector3d::Zero();

  Eigen::Vector3d operator*(const Eigen::Vector3d& point) const { return scale * (rotation * point) + translation; }
  Sim3d Inverse() const {
    Sim3d inv;
    inv.scale = 1.0 / scale;
    inv.rotation = rotation.conjugate();
    inv.translation = -(inv.scale * (inv.rotation * translation));
    return inv;
  }
  // Maps a camera pose from frame a to frame b: given cam_from_a, returns cam_from_b
  // (the camera centre moves with the similarity, the rotation follows R).
  Rigid3d TransformCamFromWorld(const Rigid3d& cam_from_a) const {
    const Eigen::Quaterniond r = cam_from_a.rotation * rotation.conjugate();
    const Eigen::Vector3d center_in_a = cam_from_a.Inverse().translation;
    const Eigen::Vector3d center_in_b = (*this) * center_in_a;
    return Rigid3d(r, -(r * center_in_b));
  }
};

// Angle of a rotation in degrees (0 for identity).
inline double RotationAngleDeg(const Eigen::Quaterniond& q) {
  return Eigen::AngleAxisd(q.normalized()).angle() * 180.0 / EIGEN_PI;
}

// Rotation from a Rodrigues (angle-axis) vector, in radians.
inline Eigen::Matrix3d RotationFromRodrigues(const Eigen::Vector3d& rvec) {
  const double angle = rvec.norm();
  if (angle < 1e-15) return Eigen::Matrix3d::Identity();
  return Eigen::AngleAxisd(angle, rvec / angle).toRotationMatrix();
}
inline Eigen::Vector3d RodriguesFromRotation(const Eigen::Matrix3d& r) {
  const Eigen::AngleAxisd aa(r);
  return aa.angle() * aa.axis();
}

}  // namespace epilabel
