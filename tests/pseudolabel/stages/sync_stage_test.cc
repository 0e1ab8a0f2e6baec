#include "pseudolabel/stages/sync.h"

#include <cmath>
#include <cstdint>

#include <gtest/gtest.h>

#include "detection/io/keypoints_npz.h"
#include "detection/synthetic/studio.h"
#include "detection/skeleton.h"
#include "foundation/error.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/stages/sync_calibration.h"
#include "tests/pseudolabel/stages/studio_input.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

// The studio's only person as one track.
std::vector<PersonTrack> Tracks(const SyntheticScene& scene) {
  PersonTrack track;
  track.observations = scene.observations;
  track.frame_numbers = scene.frame_numbers;
  for (const Camera& camera : scene.rig) track.camera_names.push_back(camera.name);
  return {track};
}

SyntheticScene Studio(const std::string& rig, const std::vector<double>& offsets, int frames) {
  StudioOptions o;
  o.rig = rig;
  o.num_frames = frames;
  o.data_dir = testing::SourceDir() + "/data";
  o.time_offsets = offsets;
  return Synthesize(o);
}

TEST(SyncStage, StudioOffsetsWithinATenthOfAFrame) {
  const std::vector<double> offsets = {0.0, 3.4, -7.2, 12.0};
  const SyntheticScene scene = Studio("h36m4", offsets, 900);
  SyncStageOptions options;
  const SyncResult motion = EstimateTimeOffsets(Tracks(scene), options);
  ASSERT_TRUE(motion.success) << motion.reason;
  for (int c = 1; c < 4; ++c) EXPECT_NEAR(motion.cameras[c].offset_frames, offsets[c], 0.6) << "motion, camera " << c;
  const SyncResult refined = EstimateTimeOffsets(Tracks(scene), options, &scene.rig);
  EXPECT_EQ(refined.method, "calibrated");
  for (int c = 1; c < 4; ++c) EXPECT_NEAR(refined.cameras[c].offset_frames, offsets[c], 0.1) << "camera " << c;
  EXPECT_EQ(refined.Verdict(), "ok");
}

TEST(SyncStage, ResamplingUndoesTheOffsets) {
  StudioOptions o;
  o.rig = "stereo2";
  o.num_frames = 60;
  o.data_dir = testing::SourceDir() + "/data";
  o.noise_px = 0.0;
  o.outlier_rate = o.swap_rate = o.missing_rate = 0.0;
  o.hip_offset_px = 0.0;
  o.time_offsets = {0.0, 4.0};
  const SyntheticScene shifted = Synthesize(o);
  std::vector<PersonTrack> tracks = Tracks(shifted);
  ResampleTracks({0.0, 4.0 / 30}, {30.0, 30.0}, 0, &tracks);
  // Reference frame g of camera 1 is its frame g - 4: the projection of the truth at g.
  int compared = 0;
  for (int g = 4; g < 60; ++g) {
    for (int j = 0; j < 17; ++j) {
      const Eigen::Vector3d& k = tracks[0].observations.at(1, g, j);
      const auto p = shifted.rig[1].ImageFromWorld(shifted.points3d.at(g, j));
      if (k.z() == 0.0 || !p) continue;
      EXPECT_NEAR((k.head<2>() - *p).norm(), 0.0, 1e-6);
      ++compared;
    }
    EXPECT_EQ(tracks[0].observations.at(1, 0, 0).z(), 0.0);
  }
  EXPECT_GT(compared, 300);
  // No offsets: nothing changes.
  std::vector<PersonTrack> same = Tracks(shifted);
  ResampleTracks({0.0, 0.0}, {30.0, 30.0}, 0, &same);
  EXPECT_EQ(same[0].observations.data(), shifted.observations.data());
}

using testing::AsRead;

// Two people and cameras several frames apart: matched by frame number, the people's 2D tracks
// do not agree on one two-view geometry and the grouping (and the calibration) breaks. The
// coarse offsets from motion come first, every camera's frame numbers are shifted by their whole
// frames, and only then are the people associated.
TEST(SyncStage, TwoPeopleAreAssociatedAfterTheCoarseShift) {
  StudioOptions o = testing::PeopleStudio("h36m4", 240, 2, 4);
  o.time_offsets = {0.0, 5.0, -8.3, 12.0};
  const SyntheticScene scene = Synthesize(o);
  Rig intrinsics = WithoutExtrinsics(scene.rig);
  for (Camera& c : intrinsics) c.time_offset = 0.0;
  const SyncCalibrationResult r =
      CalibrateUnsynchronised(intrinsics, AsRead(scene), AssociationOptions{}, CalibrateStageOptions{}, SyncStageOptions{});
  ASSERT_TRUE(r.calibration.output.success) << r.calibration.output.report.BriefReport();
  ASSERT_EQ(r.shift_frames.size(), 4u);
  EXPECT_EQ(r.shift_frames[0], 0);
  for (int c = 1; c < 4; ++c) {
    EXPECT_NEAR(static_cast<double>(r.shift_frames[c]), o.time_offsets[c], 0.75) << "camera " << c;
    EXPECT_NEAR(r.sync.cameras[c].offset_frames, o.time_offsets[c], 0.15) << "camera " << c;
    EXPECT_NEAR(r.calibration.output.rig[c].time_offset * 30.0, o.time_offsets[c], 0.15) << "camera " << c;
  }
  // Nearly every detection in a track (a track may split where the people cross).
  EXPECT_GT(r.association.summary.assigned, 0.95 * r.association.summary.detections)
      << r.association.summary.BriefReport();
  const RigComparison comparison = CompareRigs(scene.rig, r.calibration.output.rig);
  EXPECT_LT(comparison.max_rotation_error_deg, 0.2);
  EXPECT_LT(comparison.max_center_error_rel, 0.01);
}

// Two people, offsets up to 2 s, no association across cameras: the people are paired by their
// motion (within about half a frame); with the calibration they are associated on the shifted
// frames and the offsets refined within a tenth of a frame.
TEST(SyncStage, TwoPeopleArePairedByMotionThenRefinedWithTheCalibration) {
  StudioOptions o;
  o.rig = "h36m4";
  o.num_frames = 900;
  o.num_people = 2;
  o.seed = 2;
  o.data_dir = testing::SourceDir() + "/data";
  o.time_offsets = {0.0, 17.3, -41.6, 58.9};
  const SyntheticScene scene = Synthesize(o);
  const KeypointInput input = AsRead(scene);
  const SyncStageOptions options;
  const SyncResult motion = EstimateTimeOffsetsOfPeople(input, options, UncalibratedAssociationOptions{});
  ASSERT_TRUE(motion.success) << motion.reason;
  for (int c = 1; c < 4; ++c) EXPECT_NEAR(motion.cameras[c].offset_frames, o.time_offsets[c], 0.6) << "camera " << c;
  const SyncResult refined = RefineOffsetsOfPeople(input, scene.rig, motion, AssociationOptions{}, options);
  EXPECT_EQ(refined.method, "calibrated");
  for (int c = 1; c < 4; ++c) {
    EXPECT_NEAR(refined.cameras[c].offset_frames, o.time_offsets[c], 0.1) << "camera " << c;
    EXPECT_NEAR(refined.cameras[c].offset_s, o.time_offsets[c] / 30.0, 0.1 / 30.0) << "camera " << c;
  }
}

// Two people and cameras at 30, 60, 30 and 25 fps: frames matched by number pair different
// instants even before the offsets, so every camera is put on the reference's rate (each person
// interpolated along its 2D track) before the people are associated.
TEST(SyncStage, TwoPeopleAtSeveralFrameRatesAreCalibratedOnTheReferenceRate) {
  StudioOptions o;
  o.rig = "h36m4";
  o.num_frames = 600;
  o.num_people = 2;
  o.seed = 4;
  o.data_dir = testing::SourceDir() + "/data";
  o.time_offsets = {0.0, 5.0, -8.3, 12.0};
  o.camera_fps = {30.0, 60.0, 30.0, 25.0};
  const SyntheticScene scene = Synthesize(o);
  const KeypointInput input = AsRead(scene);
  SyncStageOptions options;
  options.fps = o.camera_fps;
  const KeypointInput on_rate = OnReferenceRate(input, options, UncalibratedAssociationOptions{});
  // Camera 1 (60 fps) now at 30: its frame k is its old frame 2k, every person copied.
  const CameraKeypoints& before = input.keypoints.cameras[1];
  const CameraKeypoints& after = on_rate.keypoints.cameras[1];
  ASSERT_EQ(after.frame_numbers.size(), (before.frame_numbers.size() + 1) / 2);
  EXPECT_DOUBLE_EQ(after.timestamps_s[7], 7.0 / 30.0);
  ASSERT_EQ(after.people[7].size(), before.people[14].size());
  ASSERT_FALSE(after.people[7].empty());
  EXPECT_TRUE(after.people[7][0].joints == before.people[14][0].joints);
  EXPECT_EQ(on_rate.keypoints.cameras[0].frame_numbers, input.keypoints.cameras[0].frame_numbers);
  Rig intrinsics = WithoutExtrinsics(scene.rig);
  for (Camera& c : intrinsics) c.time_offset = 0.0;
  const SyncCalibrationResult r =
      CalibrateUnsynchronised(intrinsics, input, AssociationOptions{}, CalibrateStageOptions{}, options);
  ASSERT_TRUE(r.calibration.output.success) << r.calibration.output.report.BriefReport();
  for (int c = 1; c < 4; ++c) {
    EXPECT_NEAR(r.sync.cameras[c].offset_s * 30.0, o.time_offsets[c], 0.15) << "camera " << c;
  }
  const RigComparison comparison = CompareRigs(scene.rig, r.calibration.output.rig);
  EXPECT_LT(comparison.max_rotation_error_deg, 0.2);
}

// A variable frame rate: camera 1 films at 60 fps for its first 300 frames, then at 20 fps
// (every third frame of 60), 30 fps on average, with the true timestamps. Read back, it is put on
// evenly spaced frames at its mean rate and the offsets come out in seconds as for a
// constant-rate camera; read without its timestamps (frames matched as if even) they do not.
TEST(SyncStage, AVariableRateCameraIsSynchronisedThroughItsTimestamps) {
  testing::TempDir dir;
  StudioOptions o;
  o.rig = "h36m4";
  o.num_frames = 1200;
  o.data_dir = testing::SourceDir() + "/data";
  o.camera_fps = {30.0, 60.0, 30.0, 30.0};
  o.time_offsets = {0.0, 4.4, -6.2, 9.0};  // scene frames (30 fps)
  const SyntheticScene scene = Synthesize(o);
  KeypointSequence keypoints = scene.ToKeypointSequence();
  CameraKeypoints& vfr = keypoints.cameras[1];
  CameraKeypoints kept;
  kept.name = vfr.name;
  for (size_t i = 0; i < vfr.people.size(); i += kept.people.size() < 300 ? 1 : 3) {
    kept.frame_numbers.push_back(static_cast<int64_t>(kept.frame_numbers.size()));
    kept.people.push_back(vfr.people[i]);
    kept.timestamps_s.push_back(vfr.timestamps_s[i]);
  }
  vfr = kept;
  for (size_t c : {0, 2, 3}) keypoints.cameras[c].timestamps_s.clear();  // 30 fps by default
  WriteKeypointsNpz(keypoints, dir / "vfr.npz");
  const KeypointInput input = LoadKeypointInput(dir / "vfr.npz", "", 2);
  ASSERT_EQ(input.timing.size(), 4u);
  EXPECT_TRUE(input.timing[1].variable);
  EXPECT_NEAR(input.timing[1].fps, 30.0, 0.1);
  EXPECT_FALSE(input.timing[0].known());
  SyncStageOptions options;
  options.fps = CameraFpsWithTimestamps(options, input);
  EXPECT_EQ(options.fps[0], 30.0);
  EXPECT_EQ(options.fps[1], input.timing[1].fps);
  const SyncResult motion = EstimateTimeOffsets(AssociatePeople(input, AssociationOptions{}).tracks, options);
  ASSERT_TRUE(motion.success) << motion.reason;
  for (int c = 1; c < 4; ++c) {
    EXPECT_NEAR(motion.cameras[c].offset_s * 30.0, o.time_offsets[c], 0.5) << "camera " << c;
  }
  // The same frames taken as evenly spaced: camera 1's first 300 frames would last 10 s instead
  // of 5, and its offset is wrong (or refused).
  for (CameraKeypoints& camera : keypoints.cameras) camera.timestamps_s.clear();
  WriteKeypointsNpz(keypoints, dir / "even.npz");
  const KeypointInput even = LoadKeypointInput(dir / "even.npz", "", 2);
  SyncStageOptions even_options;
  even_options.fps = {30.0, input.timing[1].fps, 30.0, 30.0};
  const SyncResult naive = EstimateTimeOffsets(AssociatePeople(even, AssociationOptions{}).tracks, even_options);
  EXPECT_TRUE(!naive.success || !naive.cameras[1].estimated ||
              std::abs(naive.cameras[1].offset_s * 30.0 - o.time_offsets[1]) >
                  std::abs(motion.cameras[1].offset_s * 30.0 - o.time_offsets[1]));
}

TEST(SyncStage, ShiftFrameNumbersMovesEachCamera) {
  KeypointInput input;
  input.keypoints.num_joints = 17;
  input.keypoints.cameras.resize(2);
  input.keypoints.cameras[0].frame_numbers = {0, 1, 2};
  input.keypoints.cameras[1].frame_numbers = {5, 6};
  const KeypointInput shifted = ShiftFrameNumbers(input, {0, -3});
  EXPECT_EQ(shifted.keypoints.cameras[0].frame_numbers, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(shifted.keypoints.cameras[1].frame_numbers, (std::vector<int64_t>{2, 3}));
}

TEST(SyncStage, OptionsNameTheirKeys) {
  SyncStageOptions o;
  o.reference = "nobody";
  try {
    o.Check({"a", "b"});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "reference");
    EXPECT_NE(std::string(e.what()).find("nobody"), std::string::npos);
  }
  o.reference = "b";
  EXPECT_EQ(o.ReferenceIndex({"a", "b"}), 1);
  o.fps = {30.0};
  EXPECT_THROW(o.Check({"a", "b"}), InputError);
}

}  // namespace
}  // namespace epilabel
