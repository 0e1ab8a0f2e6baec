#include "detection/dnn/person_crop.h"

#include <vector>

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
