#include "geometry/sync/calibrated_sync.h"

#include <gtest/gtest.h>

#include "geometry/sync/motion_sync.h"
#include "tests/geometry/sync/sync_fixture.h"

namespace epilabel {
namespace {

using testing::MakeSyncInput;
using testing::RingRig;

TEST(RefineOffsetsWithCalibration, RecoversFractionalOffsetsExactly) {
  const Rig rig = RingRig(4);
  const std::vector<double> offsets = {0.0, 3.4 / 30, -7.2 / 30, 12.0 / 30};
  const SyncInput input = MakeSyncInput(rig, offsets, {30, 30, 30, 30}, 20.0, 0.0);
  SyncResult start;
  start.success = true;
  start.cameras.resize(4);
  for (int c = 0; c < 4; ++c) start.cameras[c].offset_s = offsets[c] + (c == 0 ? 0.0 : 0.6 / 30);
  const SyncResult r = RefineOffsetsWithCalibration(rig, input, start);
  ASSERT_TRUE(r.success);
  EXPECT_EQ(r.method, "calibrated");
  for (int c = 1; c < 4; ++c) {
    EXPECT_TRUE(r.cameras[c].estimated) << r.cameras[c].note;
    EXPECT_NEAR(r.cameras[c].offset_frames, offsets[c] * 30, 0.02) << "camera " << c;
    EXPECT_GT(r.cameras[c].confidence, 0.5);
  }
}

TEST(RefineOffsetsWithCalibration, FromMotionWithNoiseWithinATenthOfAFrame) {
  const Rig rig = RingRig(5);
  const std::vector<double> offsets = {0.0, 0.37, -1.23, 0.81, 1.9};
  const SyncInput input = MakeSyncInput(rig, offsets, {30, 30, 30, 30, 30}, 30.0, 2.0);
  const SyncResult motion = EstimateOffsetsFromMotion(input);
  ASSERT_TRUE(motion.success) << motion.reason;
  const SyncResult r = RefineOffsetsWithCalibration(rig, input, motion);
  for (int c = 1; c < 5; ++c) EXPECT_NEAR(r.cameras[c].offset_frames, offsets[c] * 30, 0.1) << "camera " << c;
}

TEST(CalibratedSyncCost, LowestAtTheTrueOffset) {
  const Rig rig = RingRig(3);
  const std::vector<double> offsets = {0.0, 0.1, -0.05};
  const SyncInput input = MakeSyncInput(rig, offsets, {30, 30, 30}, 10.0, 0.0);
  const std::vector<double> cost = CalibratedSyncCost(rig, input, offsets, 1, {0.1 - 1.0 / 30, 0.1, 0.1 + 1.0 / 30});
  EXPECT_LT(cost[1], 0.1);  // linear interpolation between frames of the fractional offsets
  EXPECT_GT(cost[0], 1.0);
  EXPECT_GT(cost[2], 1.0);
}

}  // namespace
}  // namespace epilabel
