// A small procedural scene for the dataset and training tests and the training benchmark: a
// COCO-17 person walking, turning, bending and moving the arms (no motion-capture files
// needed), seen by a ring of cameras, turned into a LabelDataset from the ground truth.
#pragma once

#include <cmath>
#include <random>
#include <string>

#include <Eigen/Geometry>

#include "detection/skeleton.h"
#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "pseudolabel/dataset.h"
#include "tests/draw_order.h"

namespace epilabel::testing {

// A camera at `center` looking at `target` (world z up, image y down).
inline Camera LookAtCamera(const std::string& name, const Eigen::Vector3d& center, const Eigen::Vector3d& target,
                           int width, int height, double focal) {
  const Eigen::Vector3d forward = (target - center).normalized();
  const Eigen::Vector3d right = forward.cross(Eigen::Vector3d::UnitZ()).normalized();
  const Eigen::Vector3d down = forward.cross(right);
  Eigen::Matrix3d r;
  r.row(0) = right.transpose();
  r.row(1) = down.transpose();
  r.row(2) = forward.transpose();
  Camera cam;
  cam.name = name;
  cam.width = width;
  cam.height = height;
  cam.fx = cam.fy = focal;
  cam.cx = 0.5 * (width - 1);
  cam.cy = 0.5 * (height - 1);
  cam.cam_from_world = Rigid3d(r, -(r * center));
  cam.has_extrinsics = true;
  return cam;
}

// `num_cameras` cameras on a circle around the capture area, slightly different heights and
// focal lengths, landscape images.
inline Rig RingRig(int num_cameras, double radius = 4.5) {
  Rig rig;
  for (int c = 0; c < num_cameras; ++c) {
    const double a = 2.0 * M_PI * c / num_cameras + 0.3;
    const Eigen::Vector3d center(radius * std::cos(a), radius * std::sin(a), 1.2 + 0.4 * (c % 3));
    rig.push_back(LookAtCamera("cam" + std::to_string(c), center, Eigen::Vector3d(0, 0, 1.0), 1280, 960,
                               900.0 + 80.0 * (c % 4)));
  }
  return rig;
}

// World poses [frames, 17] (COCO-17 order, metres, z up) of a person moving procedurally:
// walking on a slow curve, turning, bending the knees, raising and swinging the arms. The
// motion parameters (frequencies, amplitudes, phases) are drawn from `seed`.
inline Points3d ToyMotion(int num_frames, uint64_t seed, double fps = 30.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto range = [&](double lo, double hi) { return lo + (hi - lo) * u(rng); };
  const double step_freq = range(0.7, 1.1), leg_amp = range(0.3, 0.6), knee_amp = range(0.3, 0.9);
  const double squat_freq = range(0.05, 0.15), squat_amp = range(0.0, 0.9);
  const double arm_freq = range(0.1, 0.3), arm_amp = range(0.5, 1.6), abd_freq = range(0.07, 0.2);
  const double turn_rate = range(-0.6, 0.6), lean_amp = range(0.0, 0.3), phase = range(0.0, 6.28);
  const double path_radius = range(0.5, 1.5);
  Points3d poses(num_frames, 17);
  for (int f = 0; f < num_frames; ++f) {
    const double t = f / fps;
    const double yaw = phase + turn_rate * t;
    const Eigen::Vector3d up = Eigen::Vector3d::UnitZ();
    const Eigen::Vector3d forward(std::cos(yaw), std::sin(yaw), 0.0);
    const Eigen::Vector3d left = up.cross(forward);
    const double squat = squat_amp * 0.5 * (1.0 - std::cos(2 * M_PI * squat_freq * t + phase));
    const double swing = std::sin(2 * M_PI * step_freq * t);
    const Eigen::Vector3d root = Eigen::Vector3d(path_radius * std::cos(0.2 * t + phase), path_radius * std::sin(0.25 * t), 0.0) +
                                 up * (0.95 - 0.3 * squat + 0.02 * std::abs(swing));
    const double lean = lean_amp * std::sin(2 * M_PI * 0.13 * t + 1.0) + 0.4 * squat;
    const Eigen::Vector3d spine = (Eigen::AngleAxisd(lean, left) * up).normalized();
    const Eigen::Vector3d neck = root + 0.52 * spine;
    // Rotation about the person's left axis by `a` (positive = forward) of a direction.
    auto pitch = [&](double a, const Eigen::Vector3d& v) { return Eigen::AngleAxisd(-a, left) * v; };
    auto limb = [&](const Eigen::Vector3d& start, double a1, double a2, double abduct, double side, double l1, double l2,
                    Eigen::Vector3d* mid, Eigen::Vector3d* end) {
      const Eigen::Vector3d down = -up;
      Eigen::Vector3d d1 = pitch(a1, down);
      d1 = Eigen::AngleAxisd(side * abduct, forward) * d1;
      Eigen::Vector3d d2 = pitch(a1 + a2, down);
      d2 = Eigen::AngleAxisd(side * abduct, forward) * d2;
      *mid = start + l1 * d1;
      *end = *mid + l2 * d2;
    };
    const Eigen::Vector3d hip_l = root + 0.1 * left, hip_r = root - 0.1 * left;
    Eigen::Vector3d knee_l, ankle_l, knee_r, ankle_r;
    limb(hip_l, leg_amp * swing + squat, -(knee_amp * std::max(0.0, swing) + 2.0 * squat), 0.05, -1.0, 0.45, 0.43,
         &knee_l, &ankle_l);
    limb(hip_r, -leg_amp * swing + squat, -(knee_amp * std::max(0.0, -swing) + 2.0 * squat), 0.05, 1.0, 0.45, 0.43,
         &knee_r, &ankle_r);
    const Eigen::Vector3d sh_l = neck + 0.18 * left, sh_r = neck - 0.18 * left;
    const double arm_raise = arm_amp * 0.5 * (1.0 - std::cos(2 * M_PI * arm_freq * t + phase));
    const double abduct = 0.8 * 0.5 * (1.0 - std::cos(2 * M_PI * abd_freq * t));
    Eigen::Vector3d el_l, wr_l, el_r, wr_r;
    limb(sh_l, -0.4 * swing + arm_raise, 0.3 + 0.6 * arm_raise, abduct, -1.0, 0.3, 0.27, &el_l, &wr_l);
    limb(sh_r, 0.4 * swing + 0.5 * arm_raise, 0.3 + 0.2 * arm_raise, 1.3 * abduct, 1.0, 0.3, 0.27, &el_r, &wr_r);
    const Eigen::Vector3d head = neck + 0.17 * spine;
    const Eigen::Vector3d nose = head + 0.09 * forward;
    const Eigen::Vector3d points[17] = {
        nose,  nose + 0.035 * left + 0.03 * up - 0.02 * forward, nose - 0.035 * left + 0.03 * up - 0.02 * forward,
        head + 0.075 * left, head - 0.075 * left, sh_l, sh_r, el_l, el_r, wr_l, wr_r, hip_l, hip_r, knee_l, knee_r,
        ankle_l, ankle_r};
    for (int j = 0; j < 17; ++j) poses.at(f, j) = points[j];
  }
  return poses;
}

// A ground-truth dataset (COCO-17): the toy motion seen by a ring of `num_cameras` cameras,
// 2D = exact projections plus Gaussian noise of `noise_px` pixels.
inline LabelDataset ToyDataset(int num_cameras, int num_frames, uint64_t seed, const std::string& sequence_name,
                               double noise_px = 0.0) {
  const Skeleton& skeleton = GetSkeleton("coco17");
  const Rig rig = RingRig(num_cameras);
  const Points3d poses = ToyMotion(num_frames, seed);
  Observations2d detections(num_cameras, num_frames, 17);
  std::mt19937_64 rng(seed + 1000);
  std::normal_distribution<double> noise(0.0, noise_px > 0.0 ? noise_px : 1.0);
  for (int c = 0; c < num_cameras; ++c) {
    for (int f = 0; f < num_frames; ++f) {
      for (int j = 0; j < 17; ++j) {
        const auto px = rig[c].ImageFromWorld(poses.at(f, j));
        if (!px || !rig[c].IsInImage(*px)) continue;
        const Eigen::Vector2d n = noise_px > 0.0 ? testing::DrawLastFirst<2>([&] { return noise(rng); }) : Eigen::Vector2d::Zero();
        detections.at(c, f, j) = Eigen::Vector3d(px->x() + n.x(), px->y() + n.y(), 1.0);
      }
    }
  }
  std::vector<int64_t> frames(num_frames);
  for (int f = 0; f < num_frames; ++f) frames[f] = f;
  GroundTruthDatasetOptions options;
  options.sequence_name = sequence_name;
  options.skeleton = skeleton.name;
  options.joint_names = skeleton.joint_names;
  options.root_joints = skeleton.root;
  return MakeGroundTruthDataset(rig, poses, frames, &detections, options);
}

}  // namespace epilabel::testing
