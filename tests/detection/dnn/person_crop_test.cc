#include "detection/dnn/person_crop.h"

#include <cmath>
#include <optional>
#include <vector>

#include <Eigen/Geometry>
#include <gtest/gtest.h>

namespace epilabel {
namespace {

// A standing person (pixel-centre coordinates, COCO-17), every joint confident.
std::vector<Eigen::Vector3d> StandingPerson() {
  std::vector<Eigen::Vector3d> k(17, Eigen::Vector3d(110, 150, 0.9));
  k[0] = {110, 60, 0.9};                          // nose
  k[1] = {113, 55, 0.9}; k[2] = {107, 55, 0.9};   // eyes
  k[3] = {117, 57, 0.9}; k[4] = {103, 57, 0.9};   // ears
  k[5] = {120, 100, 0.9}; k[6] = {100, 100, 0.9};  // shoulders
  k[7] = {125, 150, 0.9}; k[8] = {95, 150, 0.9};   // elbows
  k[9] = {127, 195, 0.9}; k[10] = {93, 195, 0.9};  // wrists
  k[11] = {120, 200, 0.9}; k[12] = {100, 200, 0.9};  // hips
  k[13] = {118, 290, 0.9}; k[14] = {102, 290, 0.9};  // knees
  k[15] = {117, 380, 0.9}; k[16] = {103, 380, 0.9};  // ankles
  return k;
}

TEST(FullFrameSquare, CentresTheLargerSideOnTheImage) {
  const ImageBox portrait = FullFrameSquare(1088, 1920);
  EXPECT_DOUBLE_EQ(portrait.width, 1920.0);
  EXPECT_DOUBLE_EQ(portrait.height, 1920.0);
  EXPECT_DOUBLE_EQ(portrait.x0, -416.0);
  EXPECT_DOUBLE_EQ(portrait.y0, 0.0);
  const ImageBox landscape = FullFrameSquare(640, 480);
  EXPECT_DOUBLE_EQ(landscape.x0, 0.0);
  EXPECT_DOUBLE_EQ(landscape.y0, -80.0);
  EXPECT_DOUBLE_EQ(landscape.Center().x(), 320.0);
  EXPECT_DOUBLE_EQ(landscape.Center().y(), 240.0);
}

TEST(MoveNetCropRegion, SquareOnTheMidHipSizedByTheBodyExtent) {
  bool full = true;
  const ImageBox box = MoveNetCropRegion(StandingPerson(), 1000, 1000, {}, &full);
  EXPECT_FALSE(full);
  // Mid-hip (110, 200) in continuous coordinates is (110.5, 200.5). Torso extent from it:
  // 100 (to the shoulders); body extent: 180 (to the ankles). Half side: max(1.9 * 100,
  // 1.2 * 180) = 216.
  EXPECT_DOUBLE_EQ(box.width, 432.0);
  EXPECT_DOUBLE_EQ(box.height, 432.0);
  EXPECT_DOUBLE_EQ(box.x0, 110.5 - 216.0);
  EXPECT_DOUBLE_EQ(box.y0, 200.5 - 216.0);
}

TEST(MoveNetCropRegion, UprightCropTurnsWithALeaningTorsoOnlyPastTheThreshold) {
  // The standing person turned by 60 degrees about the mid-hip (leaning to the image right).
  const double a = 60.0 * M_PI / 180.0;
  const Eigen::Vector2d hip(110.0, 200.0);
  const Eigen::Rotation2Dd turn(-a);  // y down: a negative angle turns the head to the right
  std::vector<Eigen::Vector3d> k = StandingPerson();
  for (Eigen::Vector3d& j : k) j.head<2>() = hip + turn * (j.head<2>() - hip);
  MoveNetCropOptions options;
  const ImageBox plain = MoveNetCropRegion(k, 1000, 1000, options);
  EXPECT_EQ(plain.angle, 0.0);  // MoveNet's rule by default
  options.upright_min_tilt_deg = 30.0;
  const ImageBox turned = MoveNetCropRegion(k, 1000, 1000, options);
  // The torso's down direction (hip - shoulders) is the image's y axis turned by -60 degrees:
  // the crop's x axis points along (cos angle, sin angle) with angle = -60 degrees.
  EXPECT_NEAR(turned.angle, -a, 1e-9);
  // Measured along the crop's axes the extents are the upright person's: the same half side 216.
  EXPECT_NEAR(turned.width, 432.0, 1e-9);
  EXPECT_NEAR((turned.Center() - Eigen::Vector2d(110.5, 200.5)).norm(), 0.0, 1e-9);
  // Every joint inside the turned square (along its axes).
  const Eigen::Vector2d ax(std::cos(turned.angle), std::sin(turned.angle)), ay(-ax.y(), ax.x());
  for (const Eigen::Vector3d& j : k) {
    const Eigen::Vector2d d = j.head<2>() + Eigen::Vector2d(0.5, 0.5) - turned.Center();
    EXPECT_LE(std::abs(d.dot(ax)), 0.5 * turned.width + 1e-9);
    EXPECT_LE(std::abs(d.dot(ay)), 0.5 * turned.width + 1e-9);
  }
  // Along the crop's axes the ankles lie straight below the mid-hip (the body is upright there).
  const Eigen::Vector2d ankle = 0.5 * (k[15].head<2>() + k[16].head<2>()) + Eigen::Vector2d(0.5, 0.5) - turned.Center();
  EXPECT_NEAR(ankle.dot(ax), 0.0, 1e-9);
  EXPECT_NEAR(ankle.dot(ay), 180.0, 1e-9);
  // Below the threshold nothing turns.
  options.upright_min_tilt_deg = 70.0;
  EXPECT_EQ(MoveNetCropRegion(k, 1000, 1000, options).angle, 0.0);
  options.upright_min_tilt_deg = 0.0;
  EXPECT_EQ(MoveNetCropRegion(StandingPerson(), 1000, 1000, options).angle, 0.0);  // upright: no turn
}

TEST(MoveNetCropRegion, FitsAPersonSeenWholeToItsExtentPlusItsMotion) {
  MoveNetCropOptions options;
  options.fit_seen_body = true;  // motion_frames 2
  // Body extent 180 (mid-hip to the ankles); 7 px of motion over the last frame: half 180 + 14.
  const ImageBox fitted = MoveNetCropRegion(StandingPerson(), 1000, 1000, options, nullptr, 7.0);
  EXPECT_DOUBLE_EQ(fitted.width, 2.0 * 194.0);
  EXPECT_DOUBLE_EQ(fitted.Center().x(), 110.5);
  // Faster motion, larger crop.
  EXPECT_DOUBLE_EQ(MoveNetCropRegion(StandingPerson(), 1000, 1000, options, nullptr, 30.0).width, 2.0 * 240.0);
  // Motion unknown (the first tracked frame), or the body's ends not seen: MoveNet's factors.
  EXPECT_DOUBLE_EQ(MoveNetCropRegion(StandingPerson(), 1000, 1000, options).width, 432.0);
  std::vector<Eigen::Vector3d> no_feet = StandingPerson();
  for (int j : {15, 16}) no_feet[j].z() = 0.05;  // body extent 140 (the nose): max(1.9 * 100, 1.2 * 140)
  EXPECT_DOUBLE_EQ(MoveNetCropRegion(no_feet, 1000, 1000, options, nullptr, 7.0).width, 380.0);
  std::vector<Eigen::Vector3d> no_face = StandingPerson();
  for (int j : {0, 1, 2, 3, 4}) no_face[j].z() = 0.05;
  EXPECT_DOUBLE_EQ(MoveNetCropRegion(no_face, 1000, 1000, options, nullptr, 7.0).width, 432.0);
}

TEST(MoveNetCropRegion, UprightAlongTheBodyTurnsByTheLineFromTheAnklesToTheShoulders) {
  // Bent forward at the hips by 40 degrees (upper body turned about the mid-hip), legs straight.
  const double a = 40.0 * M_PI / 180.0;
  const Eigen::Vector2d hip(110.0, 200.0);
  const Eigen::Rotation2Dd turn(-a);
  std::vector<Eigen::Vector3d> k = StandingPerson();
  for (int j = 0; j <= 10; ++j) k[j].head<2>() = hip + turn * (k[j].head<2>() - hip);
  MoveNetCropOptions options;
  options.upright_min_tilt_deg = 0.0;
  EXPECT_NEAR(MoveNetCropRegion(k, 1000, 1000, options).angle, -a, 1e-9);  // the torso's angle
  options.upright_along_body = true;
  const Eigen::Vector2d shoulders = 0.5 * (k[5].head<2>() + k[6].head<2>());
  const Eigen::Vector2d down = Eigen::Vector2d(110.0, 380.0) - shoulders;  // mid-ankle - mid-shoulder
  const double body = std::atan2(-down.x(), down.y());
  EXPECT_NEAR(MoveNetCropRegion(k, 1000, 1000, options).angle, body, 1e-9);
  EXPECT_LT(std::abs(body), 0.5 * a);
  // Without both ankles seen: the torso.
  k[16].z() = 0.05;
  EXPECT_NEAR(MoveNetCropRegion(k, 1000, 1000, options).angle, -a, 1e-9);
}

TEST(LargestJointMotion, TheLargestDisplacementOfAJointSeenInBothFrames) {
  std::vector<Eigen::Vector3d> before = StandingPerson(), after = StandingPerson();
  after[9].head<2>() += Eigen::Vector2d(3.0, 4.0);    // 5 px
  after[10].head<2>() += Eigen::Vector2d(30.0, 0.0);  // 30 px, but not seen after
  after[10].z() = 0.1;
  EXPECT_DOUBLE_EQ(LargestJointMotion(before, after, 0.2), 5.0);
  EXPECT_DOUBLE_EQ(LargestJointMotion(before, after, 0.05), 30.0);
  EXPECT_DOUBLE_EQ(LargestJointMotion({}, after, 0.2), -1.0);
}

TEST(MoveNetCropRegion, TorsoExpansionWinsForACompactPose) {
  std::vector<Eigen::Vector3d> k = StandingPerson();
  for (int j : {13, 14, 15, 16}) k[j].z() = 0.05;  // legs not seen: body extent 140 (nose)
  const ImageBox box = MoveNetCropRegion(k, 1000, 1000);
  EXPECT_DOUBLE_EQ(box.width, 2.0 * 190.0);  // 1.9 * 100 > 1.2 * 140
}

TEST(MoveNetCropRegion, FallsBackToTheFullFrameWithoutATorso) {
  std::vector<Eigen::Vector3d> k = StandingPerson();
  k[11].z() = k[12].z() = 0.1;  // hips not seen
  bool full = false;
  const ImageBox box = MoveNetCropRegion(k, 640, 480, {}, &full);
  EXPECT_TRUE(full);
  EXPECT_DOUBLE_EQ(box.width, 640.0);
  EXPECT_DOUBLE_EQ(box.y0, -80.0);

  std::vector<Eigen::Vector3d> k2 = StandingPerson();
  k2[5].z() = k2[6].z() = 0.0;  // shoulders not seen
  MoveNetCropRegion(k2, 640, 480, {}, &full);
  EXPECT_TRUE(full);

  full = false;
  MoveNetCropRegion({}, 640, 480, {}, &full);  // no keypoints at all
  EXPECT_TRUE(full);
}

TEST(MoveNetCropRegion, FallsBackWhenThePersonFillsTheFrame) {
  // In a 300x400 image the half side (216) exceeds half the larger side (200).
  bool full = false;
  const ImageBox box = MoveNetCropRegion(StandingPerson(), 300, 400, {}, &full);
  EXPECT_TRUE(full);
  EXPECT_DOUBLE_EQ(box.width, 400.0);
}

TEST(MoveNetCropRegion, MinScoreDecidesWhichJointsCount) {
  std::vector<Eigen::Vector3d> k = StandingPerson();
  for (Eigen::Vector3d& j : k) j.z() = 0.3;
  MoveNetCropOptions strict;
  strict.min_keypoint_score = 0.5;
  bool full = false;
  MoveNetCropRegion(k, 1000, 1000, strict, &full);
  EXPECT_TRUE(full);
  MoveNetCropRegion(k, 1000, 1000, {}, &full);  // default 0.2
  EXPECT_FALSE(full);
}

TEST(KeypointBox, CoversTheConfidentJointsOnly) {
  std::vector<Eigen::Vector3d> k = StandingPerson();
  k[15] = {900, 900, 0.1};  // an unconfident outlier
  const std::optional<ImageBox> box = KeypointBox(k, 0.2);
  ASSERT_TRUE(box.has_value());
  EXPECT_DOUBLE_EQ(box->x0, 93.0);
  EXPECT_DOUBLE_EQ(box->y0, 55.0);
  EXPECT_DOUBLE_EQ(box->width, 127.0 - 93.0 + 1.0);
  EXPECT_DOUBLE_EQ(box->height, 380.0 - 55.0 + 1.0);

  for (Eigen::Vector3d& j : k) j.z() = 0.1;
  k[0].z() = k[1].z() = k[2].z() = 0.9;
  EXPECT_FALSE(KeypointBox(k, 0.2, 4).has_value());
}

TEST(ExpandToAspect, MatchesTheInputAspectAndPadsAroundTheCentre) {
  const ImageBox tall{100, 50, 40, 320};  // aspect 1:8
  const ImageBox box = ExpandToAspect(tall, 192, 256, 1.25);
  EXPECT_NEAR(box.width / box.height, 192.0 / 256.0, 1e-12);
  EXPECT_DOUBLE_EQ(box.height, 320 * 1.25);
  EXPECT_DOUBLE_EQ(box.Center().x(), tall.Center().x());
  EXPECT_DOUBLE_EQ(box.Center().y(), tall.Center().y());

  const ImageBox wide{0, 0, 400, 100};
  const ImageBox box2 = ExpandToAspect(wide, 192, 256, 1.0);
  EXPECT_DOUBLE_EQ(box2.width, 400.0);
  EXPECT_NEAR(box2.height, 400.0 * 256.0 / 192.0, 1e-9);
}

}  // namespace
}  // namespace epilabel

namespace epilabel {
namespace {

// The standing person of StandingPerson in blazepose33 order (data/skeletons.toml): the COCO
// joints in their places, the other face and hand points beside them, heels and toes below the
// ankles.
std::vector<Eigen::Vector3d> StandingBlazePose() {
  const std::vector<Eigen::Vector3d> coco = StandingPerson();
  std::vector<Eigen::Vector3d> k(33);
  const int from_coco[17] = {0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28};
  for (int c = 0; c < 17; ++c) k[from_coco[c]] = coco[c];
  for (int j : {1, 3}) k[j] = k[2];
  for (int j : {4, 6}) k[j] = k[5];
  k[9] = {112, 66, 0.9}; k[10] = {108, 66, 0.9};
  for (int j : {17, 19, 21}) k[j] = k[15] + Eigen::Vector3d(0, 10, 0);
  for (int j : {18, 20, 22}) k[j] = k[16] + Eigen::Vector3d(0, 10, 0);
  k[29] = {117, 385, 0.9}; k[30] = {103, 385, 0.9};  // heels
  k[31] = {117, 395, 0.9}; k[32] = {103, 395, 0.9};  // toes: the farthest joints from the mid-hip
  return k;
}

// Turns every joint by `angle` (radians, image axes: y down) about `pivot`.
std::vector<Eigen::Vector3d> Turned(std::vector<Eigen::Vector3d> k, double angle, const Eigen::Vector2d& pivot) {
  const Eigen::Rotation2Dd r(angle);
  for (Eigen::Vector3d& j : k) j.head<2>() = pivot + r * (j.head<2>() - pivot);
  return k;
}

TEST(BlazePoseRegion, UprightSquareOnTheMidHipSizedByTheFarthestJoint) {
  const std::optional<ImageBox> box = BlazePoseRegion(StandingBlazePose());
  ASSERT_TRUE(box.has_value());
  // Mid-hip (110, 200) -> (110.5, 200.5) continuous; the farthest joint is a toe at (117, 395):
  // |(7, 195)| = 195.126; side = 2 x 195.126 x 1.1 x 1.25.
  const double side = 2.0 * std::hypot(7.0, 195.0) * 1.1 * 1.25;
  EXPECT_NEAR(box->width, side, 1e-9);
  EXPECT_NEAR(box->height, side, 1e-9);
  EXPECT_NEAR(box->Center().x(), 110.5, 1e-9);
  EXPECT_NEAR(box->Center().y(), 200.5, 1e-9);
  EXPECT_NEAR(box->angle, 0.0, 1e-12);
}

TEST(BlazePoseRegion, TurnsWithTheBody) {
  // A person leaning by 40 degrees (clockwise on screen, image y down) gives a box turned by the
  // same angle around the same mid-hip, of the same size.
  const double angle = 40.0 * M_PI / 180.0;
  const std::optional<ImageBox> upright = BlazePoseRegion(StandingBlazePose());
  const std::optional<ImageBox> leaning = BlazePoseRegion(Turned(StandingBlazePose(), angle, {110, 200}));
  ASSERT_TRUE(upright && leaning);
  EXPECT_NEAR(leaning->angle, angle, 1e-9);
  EXPECT_NEAR(leaning->width, upright->width, 1e-9);
  EXPECT_NEAR(leaning->Center().x(), 110.5, 1e-9);
  EXPECT_NEAR(leaning->Center().y(), 200.5, 1e-9);
  // Upside down: half a turn.
  const std::optional<ImageBox> inverted = BlazePoseRegion(Turned(StandingBlazePose(), M_PI, {110, 200}));
  ASSERT_TRUE(inverted);
  EXPECT_NEAR(std::abs(inverted->angle), M_PI, 1e-9);
}

TEST(BlazePoseRegion, NeedsAHipAShoulderAndEnoughJoints) {
  std::vector<Eigen::Vector3d> k = StandingBlazePose();
  k[23].z() = k[24].z() = 0.1;  // both hips below the score
  EXPECT_FALSE(BlazePoseRegion(k).has_value());
  k = StandingBlazePose();
  k[24].z() = 0.0;  // one hip is enough: the centre moves onto it
  const std::optional<ImageBox> one_hip = BlazePoseRegion(k);
  ASSERT_TRUE(one_hip.has_value());
  EXPECT_NEAR(one_hip->Center().x(), 120.5, 1e-9);
  k = StandingBlazePose();
  k[11].z() = k[12].z() = 0.0;
  EXPECT_FALSE(BlazePoseRegion(k).has_value());
  EXPECT_FALSE(BlazePoseRegion(StandingPerson()).has_value()) << "COCO-17 joints are not BlazePose's";
  k = StandingBlazePose();
  for (Eigen::Vector3d& j : k) j.z() = 0.0;
  for (int j : {11, 12, 23, 24}) k[j].z() = 0.9;
  EXPECT_FALSE(BlazePoseRegion(k).has_value()) << "4 confident joints < min_joints 6";
}

}  // namespace
}  // namespace epilabel
