// The calibration stage's own logic: the baseline spec (parsed once for the command line and
// the manifest) and the pipeline options a skeleton and the stage options give.
#include "pseudolabel/stages/calibrate.h"

#include <map>

#include <gtest/gtest.h>

#include "foundation/error.h"

namespace epilabel {
namespace {

Rig TwoCameras() {
  Rig rig(2);
  rig[0].name = "cam_1";
  rig[1].name = "cam_2";
  return rig;
}

TEST(ParseBaselineSpec, CamerasAndAPositiveDistance) {
  const BaselineSpec b = ParseBaselineSpec("cam_1,cam_2,2.40");
  EXPECT_EQ(b.camera_a, "cam_1");
  EXPECT_EQ(b.camera_b, "cam_2");
  EXPECT_DOUBLE_EQ(b.metres, 2.40);
  for (const char* bad : {"cam_1,cam_2", "cam_1,cam_2,abc", "cam_1,cam_2,2.4m", "cam_1,cam_2,-1", "cam_1,cam_2,0"}) {
    try {
      ParseBaselineSpec(bad);
      FAIL() << bad << " accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(e.where(), "baseline") << bad;
    }
  }
}

TEST(ParseTrackHeights, TrackIdsAndHeights) {
  const std::map<int, double> h = ParseTrackHeights("0=1.72,2=1.21");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_DOUBLE_EQ(h.at(0), 1.72);
  EXPECT_DOUBLE_EQ(h.at(2), 1.21);
  for (const char* bad : {"", "0", "0=", "a=1.7", "0=1.7m", "-1=1.7", "0=3.5", "0=1.7,0=1.8", "0=1.7;1=1.6"}) {
    try {
      ParseTrackHeights(bad);
      FAIL() << "'" << bad << "' accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(e.where(), "track_heights") << bad;
    }
  }
}

TEST(PipelineOptionsFor, SkeletonAndHeightGoIntoTheGeometry) {
  const Skeleton& s = GetSkeleton("coco17");
  CalibrateStageOptions o;
  o.subject_height_m = 1.82;
  o.subject_height_given = true;
  o.seed = 7;
  const CalibrationPipelineOptions p = PipelineOptionsFor(s, o, TwoCameras());
  ASSERT_EQ(p.self.bones.size(), s.bones.size());
  for (size_t b = 0; b < s.bones.size(); ++b) {
    EXPECT_EQ(p.self.bones[b].parent, s.bones[b].parent);
    EXPECT_EQ(p.self.bones[b].child, s.bones[b].child);
  }
  EXPECT_EQ(p.self.seed, 7u);
  EXPECT_DOUBLE_EQ(p.world.subject_height_m, 1.82);
  EXPECT_DOUBLE_EQ(p.world.subject_height_sigma_m, 0.01);  // measured: about a centimetre
  EXPECT_TRUE(p.height_given);
  EXPECT_FALSE(p.world.baseline.has_value());
  o.subject_height_given = false;
  EXPECT_DOUBLE_EQ(PipelineOptionsFor(s, o, TwoCameras()).world.subject_height_sigma_m, 0.09);  // adult spread
}

TEST(PipelineOptionsFor, BaselineCamerasAreResolvedByName) {
  CalibrateStageOptions o;
  o.baseline = ParseBaselineSpec("cam_2,cam_1,3.0");
  const CalibrationPipelineOptions p = PipelineOptionsFor(GetSkeleton("coco17"), o, TwoCameras());
  ASSERT_TRUE(p.world.baseline.has_value());
  EXPECT_EQ(p.world.baseline->camera_a, 1);
  EXPECT_EQ(p.world.baseline->camera_b, 0);
  EXPECT_DOUBLE_EQ(p.world.baseline->metres, 3.0);
  o.baseline = ParseBaselineSpec("cam_2,cam_9,3.0");
  try {
    PipelineOptionsFor(GetSkeleton("coco17"), o, TwoCameras());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "baseline");
    EXPECT_NE(std::string(e.what()).find("cam_9"), std::string::npos);
  }
}

}  // namespace
}  // namespace epilabel
