#include "pseudolabel/stages/sync.h"

#include <cmath>

#include <gtest/gtest.h>

#include "detection/synthetic/studio.h"
#include "foundation/error.h"
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
