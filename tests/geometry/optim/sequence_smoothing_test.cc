#include "geometry/optim/sequence_smoothing.h"

#include <random>

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include "tests/geometry/rig_fixture.h"
#include "tests/draw_order.h"

namespace epilabel {
namespace {

// Three joints of a swinging "arm": shoulder fixed, elbow and wrist rotating, so the two bones
// keep their lengths (0.30 m and 0.25 m) exactly.
Points3d ArmMotion(int frames, double fps) {
  Points3d p(frames, 3);
  for (frame_t f = 0; f < frames; ++f) {
    const double t = f / fps;
    const double a = 0.8 * std::sin(2.0 * t), b = 0.6 * std::sin(3.1 * t + 0.4);
    const Eigen::Vector3d shoulder(0.1 * t, 0.0, 1.4);
    const Eigen::Vector3d elbow = shoulder + 0.30 * Eigen::Vector3d(std::sin(a), 0.0, -std::cos(a));
    const Eigen::Vector3d wrist = elbow + 0.25 * Eigen::Vector3d(std::sin(a + b), std::cos(a + b) * 0.3, -std::cos(a + b)).normalized();
    p.at(f, 0) = shoulder;
    p.at(f, 1) = elbow;
    p.at(f, 2) = wrist;
  }
  return p;
}

struct Scene {
  Rig rig;
  Points3d truth;
  Observations2d obs;
};

Scene MakeScene(int frames, double noise_px, uint32_t seed) {
  Scene s;
  s.rig = testing::RingRig(4);
  s.truth = ArmMotion(frames, 30.0);
  s.obs = Observations2d(4, frames, 3);
  std::mt19937 rng(seed);
  std::normal_distribution<double> n(0.0, noise_px);
  for (camera_t c = 0; c < 4; ++c)
    for (frame_t f = 0; f < frames; ++f)
      for (joint_t j = 0; j < 3; ++j)
        s.obs.at(c, f, j) << *s.rig[c].ImageFromWorld(s.truth.at(f, j)) + testing::DrawLastFirst<2>([&] { return n(rng); }), 0.9;
  return s;
}

double MeanError(const Points3d& est, const Points3d& truth) {
  double sum = 0;
  int n = 0;
  for (frame_t f = 0; f < truth.num_frames(); ++f)
    for (joint_t j = 0; j < truth.num_joints(); ++j)
      if (est.IsValid(f, j)) {
        sum += (est.at(f, j) - truth.at(f, j)).norm();
        ++n;
      }
  return n ? sum / n : 1e9;
}

SequenceSmoothingOptions ArmOptions() {
  SequenceSmoothingOptions o;
  o.bones = {{0, 1}, {1, 2}};
  o.pixel_sigma = 4.0;
  o.window_frames = 120;
  o.window_overlap = 20;
  return o;
}

TEST(SmoothSequence, BeatsPerFrameTriangulationAndRecoversBoneLengths) {
  const Scene s = MakeScene(300, 4.0, 3);
  const TriangulationResult tri = TriangulateSequence(s.rig, s.obs, TriangulationOptions{});
  const SequenceSmoothingResult sm = SmoothSequence(s.rig, tri, ArmOptions());
  const double raw = MeanError(tri.points, s.truth), smooth = MeanError(sm.points, s.truth);
  EXPECT_LT(smooth, 0.8 * raw) << "raw " << raw << " smooth " << smooth;
  EXPECT_GT(sm.summary.num_windows, 1);
  ASSERT_EQ(sm.summary.bone_lengths.size(), 2u);
  EXPECT_NEAR(sm.summary.bone_lengths[0], 0.30, 0.004);
  EXPECT_NEAR(sm.summary.bone_lengths[1], 0.25, 0.004);
}

TEST(SmoothSequence, FillsShortGapsButNotLongOnes) {
  Scene s = MakeScene(200, 2.0, 5);
  // Wrist hidden in three cameras for 6 frames (short gap) and for 40 frames (long gap).
  for (camera_t c = 0; c < 3; ++c) {
    for (frame_t f = 50; f < 56; ++f) s.obs.at(c, f, 2).setZero();
    for (frame_t f = 120; f < 160; ++f) s.obs.at(c, f, 2).setZero();
  }
  const TriangulationResult tri = TriangulateSequence(s.rig, s.obs, TriangulationOptions{});
  ASSERT_FALSE(tri.points.IsValid(52, 2));
  const SequenceSmoothingResult sm = SmoothSequence(s.rig, tri, ArmOptions());
  for (frame_t f = 50; f < 56; ++f) {
    ASSERT_TRUE(sm.points.IsValid(f, 2)) << f;
    // One view plus the bone and the motion prior pin it down to a few centimetres.
    EXPECT_LT((sm.points.at(f, 2) - s.truth.at(f, 2)).norm(), 0.05) << f;
  }
  EXPECT_FALSE(sm.points.IsValid(140, 2));
  EXPECT_EQ(sm.summary.num_points_filled, 6);
}

// The arm jumps 0.6 m sideways between frames 99 and 100 (an edit between two takes): the
// temporal prior must not pull the frames on either side of the cut towards each other.
TEST(SmoothSequence, DoesNotSmoothAcrossACut) {
  Scene s = MakeScene(200, 2.0, 9);
  const Eigen::Vector3d jump(0.6, 0.0, 0.0);
  for (frame_t f = 100; f < 200; ++f)
    for (joint_t j = 0; j < 3; ++j) {
      s.truth.at(f, j) += jump;
      for (camera_t c = 0; c < 4; ++c) s.obs.at(c, f, j).head<2>() = *s.rig[c].ImageFromWorld(s.truth.at(f, j)) +
                                                                    (s.obs.at(c, f, j).head<2>() - *s.rig[c].ImageFromWorld(s.truth.at(f, j) - jump));
    }
  const TriangulationResult tri = TriangulateSequence(s.rig, s.obs, TriangulationOptions{});
  const std::vector<uint8_t> cuts = FindCuts(tri.points, 8.0 / 30.0);
  for (frame_t f = 0; f < 200; ++f) EXPECT_EQ(cuts[f], f == 100 ? 1 : 0) << f;
  const SequenceSmoothingResult sm = SmoothSequence(s.rig, tri, ArmOptions());
  EXPECT_EQ(sm.summary.num_cuts, 1);
  for (frame_t f = 97; f < 103; ++f)
    for (joint_t j = 0; j < 3; ++j) EXPECT_LT((sm.points.at(f, j) - s.truth.at(f, j)).norm(), 0.02) << f << " " << j;
  // Without the cut detection (a speed no jump reaches) the frames at the cut are pulled apart.
  SequenceSmoothingOptions no_cuts = ArmOptions();
  no_cuts.cut_speed = 1e6;
  const SequenceSmoothingResult blurred = SmoothSequence(s.rig, tri, no_cuts);
  EXPECT_EQ(blurred.summary.num_cuts, 0);
  EXPECT_GT((blurred.points.at(100, 1) - s.truth.at(100, 1)).norm(), 0.02);
}

TEST(SmoothSequence, SameResultWithOneOrManyThreads) {
  const Scene s = MakeScene(260, 3.0, 7);
  const TriangulationResult tri = TriangulateSequence(s.rig, s.obs, TriangulationOptions{});
  SequenceSmoothingResult one;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = SmoothSequence(s.rig, tri, ArmOptions());
  }
  const SequenceSmoothingResult many = SmoothSequence(s.rig, tri, ArmOptions());
  for (size_t i = 0; i < one.points.data().size(); ++i)
    EXPECT_TRUE((one.points.data()[i].array() == many.points.data()[i].array()).all()) << i;
}

}  // namespace
}  // namespace epilabel
