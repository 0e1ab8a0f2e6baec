#include "geometry/sfm/rig_comparison.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <optional>

#include <Eigen/Eigenvalues>
#include <Eigen/Geometry>
#include <Eigen/SVD>

namespace epilabel {

namespace {

// The similarity of the camera centres (Umeyama); nullopt for fewer than three cameras or
// centres (nearly) on a line.
std::optional<Sim3d> CentreAlignment(const Rig& reference, const Rig& estimate) {
  const size_t n = reference.size();
  if (n < 3) return std::nullopt;
  Eigen::Matrix3Xd src(3, n), dst(3, n);
  for (size_t i = 0; i < n; ++i) {
    src.col(static_cast<Eigen::Index>(i)) = estimate[i].CenterInWorld();
    dst.col(static_cast<Eigen::Index>(i)) = reference[i].CenterInWorld();
  }
  const Eigen::Matrix3Xd centred = src.colwise() - src.rowwise().mean();
  Eigen::JacobiSVD<Eigen::Matrix3d> svd(centred * centred.transpose());
  if (!(svd.singularValues()(1) > 1e-12 * svd.singularValues()(0))) return std::nullopt;
  const Eigen::Matrix4d t = Eigen::umeyama(src, dst, true);
  Sim3d sim;
  sim.scale = t.block<3, 1>(0, 0).norm();
  sim.rotation = Eigen::Quaterniond(t.block<3, 3>(0, 0) / sim.scale).normalized();
  sim.translation = t.block<3, 1>(0, 3);
  return sim;
}

}  // namespace

RigComparison CompareRigs(const Rig& reference, const Rig& estimate, RigAlignment alignment) {
  if (reference.size() != estimate.size() || reference.empty())
    throw std::invalid_argument("CompareRigs: rigs of different sizes");
  const size_t n = reference.size();
  std::optional<Sim3d> by_centres;
  if (alignment == RigAlignment::kCentres) {
    by_centres = CentreAlignment(reference, estimate);
    if (!by_centres) {
      RigComparison out;
      for (const auto& c : reference) out.cameras.push_back({c.name});
      return out;
    }
  }
  // Mean rotation reference_from_estimate: quaternion average (eigenvector of sum q q^T).
  Eigen::Matrix4d acc = Eigen::Matrix4d::Zero();
  for (size_t i = 0; i < n; ++i) {
    const Eigen::Quaterniond q = reference[i].cam_from_world.rotation.conjugate() * estimate[i].cam_from_world.rotation;
    const Eigen::Vector4d v(q.w(), q.x(), q.y(), q.z());
    acc += v * v.transpose();
  }
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix4d> es(acc);
  const Eigen::Vector4d m = es.eigenvectors().col(3);
  const Eigen::Quaterniond r_align(m(0), m(1), m(2), m(3));
  // Scale and translation from the centres, given the rotation.
  std::vector<Eigen::Vector3d> src(n), dst(n);
  Eigen::Vector3d cs = Eigen::Vector3d::Zero(), cd = Eigen::Vector3d::Zero();
  for (size_t i = 0; i < n; ++i) {
    src[i] = r_align.normalized() * estimate[i].CenterInWorld();
    dst[i] = reference[i].CenterInWorld();
    cs += src[i];
    cd += dst[i];
  }
  cs /= static_cast<double>(n);
  cd /= static_cast<double>(n);
  double num = 0, den = 0, radius = 0;
  for (size_t i = 0; i < n; ++i) {
    num += (src[i] - cs).dot(dst[i] - cd);
    den += (src[i] - cs).squaredNorm();
    radius += (dst[i] - cd).norm();
  }
  RigComparison out;
  const double scale = den > 0 ? num / den : 1.0;
  out.reference_from_estimate.scale = scale;
  out.reference_from_estimate.rotation = r_align.normalized();
  out.reference_from_estimate.translation = cd - scale * cs;
  if (by_centres) out.reference_from_estimate = *by_centres;
  out.scale_error_rel = out.reference_from_estimate.scale > 0 ? 1.0 / out.reference_from_estimate.scale - 1.0 : kNaN;
  out.rig_radius_m = radius / static_cast<double>(n);
  out.max_rotation_error_deg = out.max_center_error_rel = out.max_focal_error_rel = 0.0;
  for (size_t i = 0; i < n; ++i) {
    CameraComparison c;
    c.name = reference[i].name;
    const Rigid3d aligned = out.reference_from_estimate.TransformCamFromWorld(estimate[i].cam_from_world);
    c.rotation_error_deg = RotationAngleDeg(aligned.rotation * reference[i].cam_from_world.rotation.conjugate());
    c.center_error_m = (aligned.Inverse().translation - reference[i].CenterInWorld()).norm();
    c.center_error_rel = out.rig_radius_m > 0 ? c.center_error_m / out.rig_radius_m : kNaN;
    if (reference[i].fx > 0 && estimate[i].fx > 0) c.focal_error_rel = estimate[i].MeanFocal() / reference[i].MeanFocal() - 1.0;
    out.max_rotation_error_deg = std::max(out.max_rotation_error_deg, c.rotation_error_deg);
    out.max_center_error_rel = std::max(out.max_center_error_rel, c.center_error_rel);
    if (std::isfinite(c.focal_error_rel)) out.max_focal_error_rel = std::max(out.max_focal_error_rel, std::abs(c.focal_error_rel));
    out.cameras.push_back(c);
  }
  return out;
}

}  // namespace epilabel
