// A procedural walker for exact geometry tests: 17 joints (COCO-17 order) with constant bone
// lengths, walking a circle of radius 1.2 m with swinging arms and legs. World z up, metres.
// The realistic scene generator is the synthetic studio (detection/synthetic); this fixture
// keeps geometry tests independent of it.
#pragma once

#include <cmath>
#include <random>
#include <vector>

#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "tests/draw_order.h"

namespace epilabel::testing {

// A gross detector error (60-160 px right, 50-150 px up) from two uniform draws in [0, 1).
inline Eigen::Vector2d OutlierShift(const Eigen::Vector2d& u01) {
  return Eigen::Vector2d(60 + 100 * u01.x(), -50 - 100 * u01.y());
}

inline Points3d WalkerMotion(int frames, double fps = 30.0) {
  Points3d p(frames, 17);
  for (frame_t f = 0; f < frames; ++f) {
    const double t = f / fps;
    const double heading = 0.35 * t;  // radians around the circle
    const Eigen::Vector3d root(1.2 * std::cos(heading), 1.2 * std::sin(heading), 0.95 + 0.03 * std::sin(4 * t));
    const Eigen::Matrix3d yaw = Eigen::AngleAxisd(heading + M_PI / 2, Eigen::Vector3d::UnitZ()).toRotationMatrix();
    const double swing = 0.5 * std::sin(2.0 * M_PI * 0.9 * t);
    const double bend = 0.25 * std::sin(0.7 * t);  // leaning, so the pose is not planar
    auto body = [&](double x, double y, double z) {
      const Eigen::Matrix3d lean = Eigen::AngleAxisd(bend, Eigen::Vector3d::UnitX()).toRotationMatrix();
      return Eigen::Vector3d(root + yaw * (lean * Eigen::Vector3d(x, y, z)));
    };
    auto limb = [&](const Eigen::Vector3d& start, double angle, double length, double side) {
      const Eigen::Vector3d dir = yaw * Eigen::Vector3d(0.1 * side, std::sin(angle), -std::cos(angle)).normalized();
      return Eigen::Vector3d(start + length * dir);
    };
    const Eigen::Vector3d ls = body(0.19, 0.0, 0.50), rs = body(-0.19, 0.0, 0.50);
    const Eigen::Vector3d lh = body(0.11, 0.0, 0.0), rh = body(-0.11, 0.0, 0.0);
    const Eigen::Vector3d le = limb(ls, -swing, 0.29, 1), re = limb(rs, swing, 0.29, -1);
    const Eigen::Vector3d lw = limb(le, -swing * 1.5 - 0.3, 0.26, 1), rw = limb(re, swing * 1.5 - 0.3, 0.26, -1);
    const Eigen::Vector3d lk = limb(lh, swing, 0.43, 0.2), rk = limb(rh, -swing, 0.43, -0.2);
    const Eigen::Vector3d la = limb(lk, swing - 0.3 * std::abs(swing), 0.42, 0.1),
                          ra = limb(rk, -swing - 0.3 * std::abs(swing), 0.42, -0.1);
    const Eigen::Vector3d nose = body(0.0, 0.10, 0.72);
    p.at(f, 0) = nose;
    p.at(f, 1) = body(0.035, 0.08, 0.76);
    p.at(f, 2) = body(-0.035, 0.08, 0.76);
    p.at(f, 3) = body(0.075, 0.0, 0.74);
    p.at(f, 4) = body(-0.075, 0.0, 0.74);
    p.at(f, 5) = ls;
    p.at(f, 6) = rs;
    p.at(f, 7) = le;
    p.at(f, 8) = re;
    p.at(f, 9) = lw;
    p.at(f, 10) = rw;
    p.at(f, 11) = lh;
    p.at(f, 12) = rh;
    p.at(f, 13) = lk;
    p.at(f, 14) = rk;
    p.at(f, 15) = la;
    p.at(f, 16) = ra;
  }
  return p;
}

// Projects the truth into every camera with Gaussian noise, outliers and dropped points.
inline Observations2d ObserveWalker(const Rig& rig, const Points3d& truth, double noise_px, double outlier_rate,
                                    uint32_t seed) {
  Observations2d obs(static_cast<int>(rig.size()), truth.num_frames(), truth.num_joints());
  std::mt19937 rng(seed);
  std::normal_distribution<double> n(0.0, noise_px);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (camera_t c = 0; c < static_cast<camera_t>(rig.size()); ++c)
    for (frame_t f = 0; f < truth.num_frames(); ++f)
      for (joint_t j = 0; j < truth.num_joints(); ++j) {
        auto px = rig[c].ImageFromWorld(truth.at(f, j));
        if (!px || !rig[c].IsInImage(*px)) continue;
        Eigen::Vector2d p = *px;
        if (noise_px > 0) p += testing::DrawLastFirst<2>([&] { return n(rng); });
        if (u(rng) < outlier_rate) p += OutlierShift(testing::DrawLastFirst<2>([&] { return u(rng); }));
        obs.at(c, f, j) << p, 0.5 + 0.5 * u(rng);
      }
  return obs;
}

// COCO-17 limbs.
inline std::vector<Bone> WalkerBones() {
  return {{11, 13}, {13, 15}, {12, 14}, {14, 16}, {11, 12}, {5, 11}, {6, 12}, {5, 6},
          {5, 7},   {7, 9},   {6, 8},   {8, 10},  {0, 1},   {0, 2},  {1, 3},  {2, 4}};
}
inline std::vector<SymmetricPair> WalkerSymmetry() {
  return {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}, {15, 16}};
}

}  // namespace epilabel::testing
