#include "detection/dnn/left_right_check.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "detection/skeleton.h"
#include "foundation/error.h"

namespace epilabel {
namespace {

// COCO-17 figure about 230 px tall seen from the front, its mid-hip at (cx, 400): the person's
// left joints on the image's right (+x). `yaw` turns it about the vertical axis (0 = facing the
// camera, pi/2 = profile, where left and right project onto each other). Arms swing with `swing`.
std::vector<Eigen::Vector3d> Figure(double cx, double yaw = 0.0, double swing = 0.0) {
  // Half the left/right separation and the height of each joint (COCO order), pixels.
  const double half_width[17] = {0, 8, 8, 15, 15, 40, 40, 45, 45, 45, 45, 20, 20, 22, 22, 22, 22};
  const double y[17] = {-120, -125, -125, -122, -122, -90, -90, -50, -50, -15, -15, 0, 0, 60, 60, 120, 120};
  std::vector<Eigen::Vector3d> pose(17);
  for (int j = 0; j < 17; ++j) {
    const bool left = j > 0 && j % 2 == 1, right = j > 0 && j % 2 == 0;
    const double side = left ? 1.0 : (right ? -1.0 : 0.0);
    const double arm = (j >= 7 && j <= 10) ? side * swing : 0.0;  // elbows and wrists swing opposite
    pose[j] = Eigen::Vector3d(cx + side * half_width[j] * std::cos(yaw) + arm, 400.0 + y[j], 0.9);
  }
  return pose;
}

const std::vector<joint_t>& CocoFlip() {
  static const std::vector<joint_t> flip = GetSkeleton("coco17").FlipPermutation();
  return flip;
}

double MaxDistance(const std::vector<Eigen::Vector3d>& a, const std::vector<Eigen::Vector3d>& b) {
  double d = 0.0;
  for (size_t j = 0; j < a.size(); ++j) d = std::max(d, (a[j].head<2>() - b[j].head<2>()).norm());
  return d;
}

TEST(CompareLeftRight, MeasuresBothAssignmentsInDiagonals) {
  const std::vector<Eigen::Vector3d> reference = Figure(300.0);
  const LeftRightDistances same = CompareLeftRight(reference, reference, CocoFlip(), 0.2);
  EXPECT_EQ(same.joints, 16);  // every joint but the nose
  EXPECT_NEAR(same.direct, 0.0, 1e-12);
  EXPECT_GT(same.swapped, 0.1);
  const LeftRightDistances swapped = CompareLeftRight(reference, SwapLeftRight(reference, CocoFlip()), CocoFlip(), 0.2);
  EXPECT_NEAR(swapped.direct, same.swapped, 1e-12);
  EXPECT_NEAR(swapped.swapped, 0.0, 1e-12);
  // A shift of 10 px is 10 / diagonal (box 90 x 245 px).
  const LeftRightDistances shifted = CompareLeftRight(reference, Figure(310.0), CocoFlip(), 0.2);
  EXPECT_NEAR(shifted.direct, 10.0 / std::hypot(90.0, 245.0), 1e-9);
}

TEST(CompareLeftRight, CountsOnlyJointsSeenOnBothSides) {
  const std::vector<Eigen::Vector3d> reference = Figure(300.0);
  std::vector<Eigen::Vector3d> pose = Figure(300.0);
  pose[5].z() = 0.1;  // left shoulder unseen: the left and the right shoulder are not compared
  EXPECT_EQ(CompareLeftRight(reference, pose, CocoFlip(), 0.2).joints, 14);
  for (Eigen::Vector3d& j : pose) j.z() = 0.0;
  const LeftRightDistances none = CompareLeftRight(reference, pose, CocoFlip(), 0.2);
  EXPECT_EQ(none.joints, 0);
  EXPECT_TRUE(std::isnan(none.direct));
}

TEST(LeftRightCheck, SwapsBackAStretchOfSwappedFrames) {
  // A person walking sideways with swinging arms; the model swaps left and right in frames 20-34.
  LeftRightCheck check(CocoFlip());
  int swapped_back = 0;
  for (int f = 0; f < 60; ++f) {
    const std::vector<Eigen::Vector3d> truth = Figure(200.0 + 2.0 * f, 0.0, 15.0 * std::sin(0.2 * f));
    std::vector<Eigen::Vector3d> pose = (f >= 20 && f < 35) ? SwapLeftRight(truth, CocoFlip()) : truth;
    swapped_back += check.Apply(&pose) ? 1 : 0;
    EXPECT_LT(MaxDistance(pose, truth), 1e-9) << "frame " << f;
  }
  EXPECT_EQ(swapped_back, 15);
  EXPECT_EQ(check.swaps(), 15u);
}

TEST(LeftRightCheck, LeavesAPersonTurningAroundAlone) {
  // Half a turn in 60 frames: left and right cross in the profile view and end up exchanged in
  // the image, gradually. Nothing is swapped.
  LeftRightCheck check(CocoFlip());
  for (int f = 0; f <= 60; ++f) {
    const std::vector<Eigen::Vector3d> truth = Figure(300.0, M_PI * f / 60.0);
    std::vector<Eigen::Vector3d> pose = truth;
    EXPECT_FALSE(check.Apply(&pose)) << "frame " << f;
  }
  EXPECT_EQ(check.swaps(), 0u);
}

TEST(LeftRightCheck, ComparesWithTheLastTrustedPoseAcrossAJump) {
  // Frame 10 is half-way between the sides (every pair on the centre line: neither assignment
  // continues the track); from frame 11 the model gives the swapped pose. Compared with frame 10
  // the swap would look like no change; compared with frame 9 it is swapped back.
  LeftRightCheck check(CocoFlip());
  for (int f = 0; f < 20; ++f) {
    const std::vector<Eigen::Vector3d> truth = Figure(300.0 + f);
    std::vector<Eigen::Vector3d> pose = f < 10 ? truth : (f == 10 ? Figure(300.0 + f, M_PI / 2.0)
                                                                  : SwapLeftRight(truth, CocoFlip()));
    check.Apply(&pose);
    if (f != 10) {
      EXPECT_LT(MaxDistance(pose, truth), 1e-9) << "frame " << f;
    }
  }
  EXPECT_EQ(check.swaps(), 9u);
}

TEST(LeftRightCheck, TrustsTheNewPoseAfterMaxReferenceAge) {
  // A person whose every pose from frame 5 on is far from the track (re-found elsewhere): after
  // max_reference_age frames the new place is the track, and nothing is ever swapped.
  LeftRightCheckOptions options;
  options.max_reference_age = 3;
  LeftRightCheck check(CocoFlip(), options);
  for (int f = 0; f < 15; ++f) {
    std::vector<Eigen::Vector3d> pose = Figure(f < 5 ? 300.0 : 600.0 + f);
    EXPECT_FALSE(check.Apply(&pose)) << "frame " << f;
  }
  // The track is now at x = 614: a swapped pose there is swapped back.
  std::vector<Eigen::Vector3d> pose = SwapLeftRight(Figure(615.0), CocoFlip());
  EXPECT_TRUE(check.Apply(&pose));
  EXPECT_LT(MaxDistance(pose, Figure(615.0)), 1e-9);
}

TEST(LeftRightCheck, ResetStartsANewTrack) {
  LeftRightCheck check(CocoFlip());
  std::vector<Eigen::Vector3d> pose = Figure(300.0);
  check.Apply(&pose);
  check.Reset();
  // After the reset a swapped pose is the new track's first pose: kept as it is.
  std::vector<Eigen::Vector3d> swapped = SwapLeftRight(Figure(300.0), CocoFlip());
  EXPECT_FALSE(check.Apply(&swapped));
  EXPECT_LT(MaxDistance(swapped, SwapLeftRight(Figure(300.0), CocoFlip())), 1e-9);
}

TEST(LeftRightCheckOptions, RejectsInvalidValues) {
  LeftRightCheckOptions options;
  options.max_ratio = 1.0;
  EXPECT_THROW(options.Check(), InputError);
  options = {};
  options.max_step = 0.0;
  EXPECT_THROW(LeftRightCheck(CocoFlip(), options), InputError);
  options = {};
  options.min_joints = 0;
  EXPECT_THROW(options.Check(), InputError);
}

}  // namespace
}  // namespace epilabel
