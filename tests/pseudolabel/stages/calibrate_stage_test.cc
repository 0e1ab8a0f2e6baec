// The calibration stage's own logic: the baseline spec (parsed once for the command line and
// the manifest), the pipeline options a skeleton and the stage options give, and the scale of
// the single-person selection's calibration.
#include "pseudolabel/stages/calibrate.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "detection/synthetic/studio.h"
#include "foundation/error.h"
#include "geometry/sfm/rig_comparison.h"
#include "tests/pseudolabel/stages/studio_input.h"
#include "tests/testing.h"

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

// One person of a studio as a track with the given id (the truth's detections of that person).
PersonTrack TruthTrack(const SyntheticScene& scene, int person, int id) {
  PersonTrack t;
  t.id = id;
  t.skeleton = &GetSkeleton("coco17");
  for (const Camera& cam : scene.rig) t.camera_names.push_back(cam.name);
  t.frame_numbers = scene.frame_numbers;
  t.observations = scene.people[person].observations;
  return t;
}

// Two tall people (1.85-1.95 m) on h36m4; the selection is the first person for the first half
// of the frames and the second for the rest, in every camera: its cameras are sound, but its
// stature is nobody's. Given both tracks' heights, the selection's calibration takes its scale
// from the tracks (each measured on their own frames with the selection's cameras), within the
// stature model's error; with the default subject height on its own frames it is ~10 % small.
TEST(CalibrateSelection, TakesTheScaleFromTheTracksWhenTheirHeightsAreGiven) {
  StudioOptions o = testing::PeopleStudio("h36m4", 300, 2, 2);
  o.min_height_m = 1.85;
  o.max_height_m = 1.95;
  const SyntheticScene scene = Synthesize(o);
  ASSERT_EQ(scene.people.size(), 2u);
  const Rig intrinsics = WithoutExtrinsics(scene.rig);
  const PersonTrack first = TruthTrack(scene, 0, 0), second = TruthTrack(scene, 1, 2);
  PersonTrack selection = first;
  for (camera_t c = 0; c < selection.num_cameras(); ++c)
    for (frame_t f = selection.num_frames() / 2; f < selection.num_frames(); ++f)
      for (joint_t j = 0; j < selection.observations.num_joints(); ++j)
        selection.observations.at(c, f, j) = second.observations.at(c, f, j);
  const PersonTrack pooled = PoolTracks({first, second});

  CalibrateStageOptions options;
  const CalibrateStageResult alone = CalibrateSelection(intrinsics, selection, pooled, options);
  options.track_heights_m = {{0, scene.people[0].height}, {2, scene.people[1].height}};
  const CalibrateStageResult scaled = CalibrateSelection(intrinsics, selection, pooled, options);
  ASSERT_TRUE(alone.output.success) << alone.output.report.BriefReport();
  ASSERT_TRUE(scaled.output.success) << scaled.output.report.BriefReport();

  const RigComparison before = CompareRigs(scene.rig, alone.output.rig);
  const RigComparison after = CompareRigs(scene.rig, scaled.output.rig);
  EXPECT_LT(before.scale_error_rel, -0.05);  // 1.70 m on frames of people 1.85-1.95 m tall (-9.8 %)
  // The stack's constants (ankle, ear to crown) are adult averages that the studio does not scale
  // with its taller bodies: +1.7 % here.
  EXPECT_LT(std::abs(after.scale_error_rel), 0.025);
  EXPECT_EQ(scaled.output.report.world.scale_method, "heights of 2 people");
  ASSERT_EQ(scaled.output.report.world.people.size(), 2u);
  for (const PersonStature& p : scaled.output.report.world.people) EXPECT_TRUE(p.height_given) << p.person;
  // The cameras are the selection's either way (only the scale and frame differ).
  EXPECT_NEAR(after.max_rotation_error_deg, before.max_rotation_error_deg, 1e-6);
  const auto& notes = scaled.output.report.notes;
  EXPECT_TRUE(std::any_of(notes.begin(), notes.end(), [](const std::string& n) {
    return n.find("the scale comes from the statures") != std::string::npos;
  }));
}

// A skeleton with clusters of nearby points (BlazePose's) calibrates on its calibration joints
// only: a COCO-17 studio track written into blazepose33's places, with every other point (eye
// corners, mouth, fingers) placed near its COCO neighbour with large, confident errors, gives
// the same cameras as the same track with those points missing.
TEST(CalibrateCameras, UsesOnlyTheSkeletonsCalibrationJoints) {
  StudioOptions o;
  o.rig = "h36m4";
  o.num_frames = 200;
  o.seed = 4;
  o.data_dir = testing::SourceDir() + "/data";
  const SyntheticScene scene = Synthesize(o);
  const Skeleton& blazepose = GetSkeleton("blazepose33");
  const Skeleton& coco = GetSkeleton("coco17");
  ASSERT_EQ(blazepose.calibration_joints.size(), 21u);
  EXPECT_TRUE(coco.calibration_joints.empty());
  const PersonTrack coco_track = TruthTrack(scene, 0, 0);
  PersonTrack clean = coco_track;
  clean.skeleton = &blazepose;
  clean.observations = Observations2d(coco_track.num_cameras(), coco_track.num_frames(), blazepose.num_joints());
  PersonTrack noisy = clean;
  std::mt19937 rng(3);
  std::normal_distribution<double> error(0.0, 40.0);  // px: far beyond the studio's detector
  const std::vector<bool> calibration = [&] {
    std::vector<bool> used(blazepose.num_joints(), false);
    for (joint_t j : blazepose.calibration_joints) used[j] = true;
    return used;
  }();
  for (camera_t c = 0; c < clean.num_cameras(); ++c) {
    for (frame_t f = 0; f < clean.num_frames(); ++f) {
      for (int k = 0; k < 17; ++k) {
        clean.observations.at(c, f, blazepose.to_coco17[k]) = coco_track.observations.at(c, f, k);
        noisy.observations.at(c, f, blazepose.to_coco17[k]) = coco_track.observations.at(c, f, k);
      }
      const Eigen::Vector3d nose = coco_track.observations.at(c, f, 0);
      for (joint_t j = 0; j < blazepose.num_joints(); ++j) {
        if (calibration[j] || nose.z() <= 0.0) continue;
        noisy.observations.at(c, f, j) = Eigen::Vector3d(nose.x() + error(rng), nose.y() + error(rng), 1.0);
      }
    }
  }
  const Rig intrinsics = WithoutExtrinsics(scene.rig);
  const CalibrateStageResult a = CalibrateCameras(intrinsics, clean, {});
  const CalibrateStageResult b = CalibrateCameras(intrinsics, noisy, {});
  ASSERT_TRUE(a.output.success) << a.output.report.BriefReport();
  ASSERT_TRUE(b.output.success) << b.output.report.BriefReport();
  for (size_t c = 0; c < a.output.rig.size(); ++c) {
    EXPECT_NEAR((a.output.rig[c].cam_from_world.rotation.coeffs() - b.output.rig[c].cam_from_world.rotation.coeffs())
                    .norm(), 0.0, 1e-12) << "camera " << c;
    EXPECT_NEAR((a.output.rig[c].cam_from_world.translation - b.output.rig[c].cam_from_world.translation).norm(), 0.0,
                1e-12) << "camera " << c;
  }
  EXPECT_LT(CompareRigs(scene.rig, a.output.rig).max_rotation_error_deg, 0.2);
}

}  // namespace
}  // namespace epilabel
