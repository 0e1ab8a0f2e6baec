// A moving "person" with known time offsets between cameras, for the sync tests: 17 joints on
// smooth, non-periodic 3D paths (sums of sines with incommensurate frequencies around a walking
// centre), projected into a ring rig at each camera's shifted times, with seeded pixel noise.
#pragma once

#include <cmath>
#include <random>
#include <vector>

#include "geometry/core/observations.h"
#include "geometry/sync/time_offsets.h"
#include "tests/geometry/rig_fixture.h"

namespace epilabel::testing {

// Joint j at time t seconds (world metres); `moving` false: a person standing still.
inline Eigen::Vector3d SyncJoint(int j, double t, bool moving) {
  const Eigen::Vector3d base(0.15 * std::cos(j), 0.15 * std::sin(j), 0.1 * j);
  if (!moving) return base;
  Eigen::Vector3d p = base + Eigen::Vector3d(0.8 * std::sin(0.31 * t), 0.6 * std::sin(0.23 * t + 1.0), 0.0);
  for (int axis = 0; axis < 3; ++axis) {
    const double a = 0.7 + 0.37 * j + 1.3 * axis, b = 1.9 + 0.53 * j + 0.71 * axis;
    p[axis] += 0.12 * std::sin(a * t + j) + 0.08 * std::sin(b * t + 2.0 * axis);
  }
  return p;
}

// Every camera of `rig` sees the joints at its own times: camera c's frame f (of num_frames[c]
// at fps[c]) shows time f / fps[c] + offsets_s[c]. Noise: per-axis std. dev. in pixels.
inline SyncInput MakeSyncInput(const Rig& rig, const std::vector<double>& offsets_s, const std::vector<double>& fps,
                               double seconds, double noise_px, bool moving = true, uint64_t seed = 1) {
  SyncInput input;
  input.fps = fps;
  int frames = 0;
  for (double rate : fps) frames = std::max(frames, static_cast<int>(seconds * rate));
  Observations2d track(static_cast<int>(rig.size()), frames, 17);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (size_t c = 0; c < rig.size(); ++c) {
    const int camera_frames = static_cast<int>(seconds * fps[c]);
    for (int f = 0; f < camera_frames; ++f) {
      const double t = f / fps[c] + offsets_s[c] + 3.0;
      for (int j = 0; j < 17; ++j) {
        const auto pixel = rig[c].ImageFromWorld(SyncJoint(j, t, moving));
        const double dx = noise(rng), dy = noise(rng);
        if (pixel) track.at(static_cast<int>(c), f, j) = Eigen::Vector3d(pixel->x() + noise_px * dx, pixel->y() + noise_px * dy, 0.9);
      }
    }
  }
  input.tracks.push_back(std::move(track));
  return input;
}

}  // namespace epilabel::testing
