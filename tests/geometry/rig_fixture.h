// A small hand-made rig for exact geometry tests: n cameras on a circle of radius 4 m at
// 1.5-2.5 m height, all looking at the origin area, with mild distortion. World z up.
#pragma once

#include <cmath>

#include "geometry/core/camera.h"
#include "geometry/core/rigid3.h"

namespace epilabel::testing {

inline Camera LookAtCamera(const std::string& name, const Eigen::Vector3d& center, const Eigen::Vector3d& target,
                           double focal, int width, int height, const Distortion& dist) {
  Camera cam;
  cam.name = name;
  cam.width = width;
  cam.height = height;
  cam.fx = focal;
  cam.fy = focal * 1.001;
  cam.cx = width / 2.0 + 3.0;
  cam.cy = height / 2.0 - 2.0;
  cam.distortion = dist;
  const Eigen::Vector3d z = (target - center).normalized();
  const Eigen::Vector3d x = z.cross(Eigen::Vector3d::UnitZ()).normalized();  // right
  const Eigen::Vector3d y = z.cross(x);                                      // down
  Eigen::Matrix3d r;
  r.row(0) = x.transpose();
  r.row(1) = y.transpose();
  r.row(2) = z.transpose();
  cam.cam_from_world = Rigid3d(r, -(r * center));
  cam.has_extrinsics = true;
  return cam;
}

inline Rig RingRig(int n, double radius = 4.0) {
  Rig rig;
  for (int i = 0; i < n; ++i) {
    const double a = 2.0 * M_PI * i / n + 0.1;
    const Eigen::Vector3d c(radius * std::cos(a), radius * std::sin(a), 1.5 + (i % 2));
    rig.push_back(LookAtCamera("cam" + std::to_string(i), c, Eigen::Vector3d(0, 0, 1.0), 1100.0 + 20.0 * i, 1280, 960,
                               Distortion{-0.05 + 0.01 * i, 0.01, 0.0005, -0.0003, 0.0}));
  }
  return rig;
}

// The bundle adjustments' start: cameras `first` .. end of `rig` turned by about 1.5 degrees
// (Rodrigues (0.02, -0.015, 0.01)) and moved by about 7 cm (0.05, -0.03, 0.04) m, in their
// cam_from_world; the cameras before `first` (the gauge) are left at the truth.
inline Rig NudgeCameras(Rig rig, size_t first) {
  const Eigen::Matrix3d nudge = RotationFromRodrigues(Eigen::Vector3d(0.02, -0.015, 0.01));
  for (size_t c = first; c < rig.size(); ++c)
    rig[c].cam_from_world = Rigid3d(nudge * rig[c].cam_from_world.rotation.toRotationMatrix(),
                                    rig[c].cam_from_world.translation + Eigen::Vector3d(0.05, -0.03, 0.04));
  return rig;
}

// The rig without extrinsics (intrinsics and image sizes kept): what self-calibration starts from.
inline Rig IntrinsicsOnly(Rig rig) {
  for (Camera& c : rig) {
    c.cam_from_world = Rigid3d();
    c.has_extrinsics = false;
  }
  return rig;
}

}  // namespace epilabel::testing
