#include "geometry/sync/motion_sync.h"

#include <gtest/gtest.h>

#include "tests/geometry/sync/sync_fixture.h"

namespace epilabel {
namespace {

using testing::MakeSyncInput;
using testing::RingRig;

TEST(EstimateOffsetsFromMotion, WholeFrameShiftsOfAnExactSignal) {
  const std::vector<double> offsets = {0.0, 3.0 / 30, -7.0 / 30, 12.0 / 30};
  const SyncInput input = MakeSyncInput(RingRig(4), offsets, {30, 30, 30, 30}, 40.0, 0.0);
  const SyncResult r = EstimateOffsetsFromMotion(input);
  ASSERT_TRUE(r.success) << r.reason;
  for (int c = 1; c < 4; ++c) {
    EXPECT_TRUE(r.cameras[c].estimated) << r.cameras[c].note;
    EXPECT_NEAR(r.cameras[c].offset_frames, offsets[c] * 30, 0.25) << "camera " << c;
    EXPECT_GT(r.cameras[c].confidence, 0.3);
  }
  EXPECT_EQ(r.cameras[0].offset_s, 0.0);
  EXPECT_EQ(r.Verdict(), "ok");
}

TEST(EstimateOffsetsFromMotion, FractionalShiftsWithNoise) {
  const std::vector<double> offsets = {0.0, 3.4 / 30, -7.2 / 30, 12.5 / 30};
  const SyncInput input = MakeSyncInput(RingRig(4), offsets, {30, 30, 30, 30}, 40.0, 1.0);
  const SyncResult r = EstimateOffsetsFromMotion(input);
  ASSERT_TRUE(r.success) << r.reason;
  for (int c = 1; c < 4; ++c) EXPECT_NEAR(r.cameras[c].offset_frames, offsets[c] * 30, 0.35) << "camera " << c;
}

TEST(EstimateOffsetsFromMotion, ReferenceAndFrameRates) {
  // Camera 1 at 60 fps, camera 2 the reference; offsets relative to camera 2.
  const std::vector<double> offsets = {0.2, -0.1, 0.0};
  const SyncInput base = MakeSyncInput(RingRig(3), offsets, {30, 60, 30}, 40.0, 0.5);
  SyncInput input = base;
  input.reference = 2;
  const SyncResult r = EstimateOffsetsFromMotion(input);
  ASSERT_TRUE(r.success) << r.reason;
  EXPECT_NEAR(r.cameras[0].offset_s, 0.2, 0.012);
  EXPECT_NEAR(r.cameras[1].offset_s, -0.1, 0.012);
  EXPECT_EQ(r.cameras[2].offset_s, 0.0);
}

TEST(EstimateOffsetsFromMotion, RefusesAPersonStandingStill) {
  const SyncInput input = MakeSyncInput(RingRig(4), {0.0, 0.1, 0.2, 0.3}, {30, 30, 30, 30}, 20.0, 2.0, false);
  const SyncResult r = EstimateOffsetsFromMotion(input);
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.reason.find("too little motion"), std::string::npos) << r.reason;
  EXPECT_EQ(r.Verdict(), "refused");
  EXPECT_LT(MotionMeasure(input, 0), 0.1);
}

TEST(EstimateOffsetsFromMotion, SameResultWithOneThread) {
  const SyncInput input = MakeSyncInput(RingRig(3), {0.0, 0.13, -0.21}, {30, 30, 30}, 20.0, 1.0);
  MotionSyncOptions one;
  one.num_threads = 1;
  const SyncResult a = EstimateOffsetsFromMotion(input), b = EstimateOffsetsFromMotion(input, one);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(a.cameras[c].offset_s, b.cameras[c].offset_s);
}

}  // namespace
}  // namespace epilabel
