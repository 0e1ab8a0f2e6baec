#include "geometry/sync/epipolar_sync.h"

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include "tests/geometry/sync/sync_fixture.h"

namespace epilabel {
namespace {

using testing::MakeSyncInput;
using testing::RingRig;

TEST(RefineOffsetByEpipolarGeometry, FindsFractionalOffsetsFromAWholeFrameStart) {
  const std::vector<double> offsets = {0.0, 3.4 / 30, -7.7 / 30, 12.25 / 30};
  const SyncInput input = MakeSyncInput(RingRig(4), offsets, {30, 30, 30, 30}, 30.0, 1.0);
  for (int c = 1; c < 4; ++c) {
    const double truth = offsets[c] * 30;
    const EpipolarOffset r = RefineOffsetByEpipolarGeometry(input, c, std::round(truth));
    ASSERT_TRUE(r.estimated) << r.note;
    EXPECT_NEAR(r.offset_frames, truth, 0.03) << "camera " << c;
    EXPECT_GT(r.depth, 0.2) << "camera " << c;
    EXPECT_GT(r.standard_error_frames, 0.0) << "camera " << c;
    EXPECT_LT(r.standard_error_frames, 0.03) << "camera " << c;  // ~0.005-0.01 on 1 px over 20 s
    EXPECT_LT(std::abs(r.offset_frames - truth), 5.0 * r.standard_error_frames + 0.005) << "camera " << c;
    EXPECT_GT(r.residual_px, 0.3) << "camera " << c;  // the pixel noise, and the motion up to 0.5 frame off
    EXPECT_LT(r.residual_px, 4.0) << "camera " << c;
  }
}

TEST(RefineOffsetByEpipolarGeometry, DifferentRatesAndOutliers) {
  const std::vector<double> offsets = {0.0, -5.3 / 30, 9.6 / 30};
  SyncInput input = MakeSyncInput(RingRig(3), offsets, {30, 60, 25}, 30.0, 1.5, true, 3);
  // Every 20th keypoint of the cameras thrown far away (a detector's outliers, swaps).
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> far(-150.0, 150.0);
  Observations2d& track = input.tracks[0];
  int moved = 0;
  for (int c = 0; c < 3; ++c)
    for (int f = 0; f < track.num_frames(); ++f)
      for (int j = 0; j < 17; ++j)
        if (track.IsObserved(c, f, j) && (f * 17 + j) % 20 == 0) {
          track.at(c, f, j).x() += far(rng);
          track.at(c, f, j).y() += far(rng);
          ++moved;
        }
  ASSERT_GT(moved, 1000);
  for (int c = 1; c < 3; ++c) {
    const double truth = offsets[c] * 30;
    const EpipolarOffset r = RefineOffsetByEpipolarGeometry(input, c, truth + 0.8);
    ASSERT_TRUE(r.estimated) << r.note;
    EXPECT_NEAR(r.offset_frames, truth, 0.08) << "camera " << c;
  }
}

TEST(RefineOffsetByEpipolarGeometry, NoMinimumInsideTheSearchIsNotEstimated) {
  const std::vector<double> offsets = {0.0, 6.0 / 30};
  const SyncInput input = MakeSyncInput(RingRig(2), offsets, {30, 30}, 20.0, 1.0);
  // Started 3 frames off with a search of 1.5 frames: the cost falls toward the edge.
  const EpipolarOffset r = RefineOffsetByEpipolarGeometry(input, 1, 3.0);
  EXPECT_FALSE(r.estimated);
  EXPECT_DOUBLE_EQ(r.offset_frames, 3.0);
  EXPECT_NE(r.note.find("no minimum"), std::string::npos) << r.note;
  // A person standing still: every offset fits as well, no convex minimum.
  const SyncInput still = MakeSyncInput(RingRig(2), offsets, {30, 30}, 20.0, 1.0, false);
  const EpipolarOffset standing = RefineOffsetByEpipolarGeometry(still, 1, 6.0);
  EXPECT_FALSE(standing.estimated) << standing.offset_frames << " depth " << standing.depth;
}

TEST(RefineOffsetByEpipolarGeometry, TooFewPairsAndBadOptions) {
  const SyncInput input = MakeSyncInput(RingRig(2), {0.0, 0.1}, {30, 30}, 0.3, 1.0);
  const EpipolarOffset r = RefineOffsetByEpipolarGeometry(input, 1, 3.0);
  EXPECT_FALSE(r.estimated);
  EXPECT_NE(r.note.find("too few"), std::string::npos) << r.note;  // 9 frames of 30 fps
  EpipolarSyncOptions bad;
  bad.step_frames = 0.0;
  EXPECT_THROW(RefineOffsetByEpipolarGeometry(input, 1, 3.0, bad), std::invalid_argument);
}

TEST(RefineOffsetByEpipolarGeometry, SameResultWithOneThread) {
  const SyncInput input = MakeSyncInput(RingRig(3), {0.0, 0.13, -0.21}, {30, 30, 30}, 20.0, 1.0);
  const EpipolarOffset many = RefineOffsetByEpipolarGeometry(input, 2, -6.0);
  tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
  const EpipolarOffset single = RefineOffsetByEpipolarGeometry(input, 2, -6.0);
  EXPECT_EQ(many.estimated, single.estimated);
  EXPECT_EQ(many.offset_frames, single.offset_frames);
}

TEST(EpipolarSpreadAtOffsets, SmallestAtTheTrueLagAmongFarCandidates) {
  // 100 frames at 60 fps (a short recording), camera 1 offset by 6.4 frames, 1 px noise: the
  // spread is the noise at the nearest whole frames and grows with the distance from the truth.
  const SyncInput input = MakeSyncInput(RingRig(4), {0.0, 6.4 / 60, 0.0, 0.0}, {60, 60, 60, 60}, 100.0 / 60, 1.0);
  const std::vector<double> lags = {-20.0, -3.0, 1.0, 6.0, 7.0, 10.0, 16.0, 150.0};
  const std::vector<double> spread = EpipolarSpreadAtOffsets(input, 1, lags);
  ASSERT_EQ(spread.size(), lags.size());
  for (size_t k = 0; k + 1 < lags.size(); ++k) ASSERT_FALSE(std::isnan(spread[k])) << lags[k];
  EXPECT_TRUE(std::isnan(spread.back()));  // no overlap 150 frames away
  EXPECT_LT(spread[3], 2.0);               // the noise (and under half a frame of motion)
  EXPECT_LT(spread[4], 2.0);
  for (int k : {0, 1, 2, 5, 6}) EXPECT_GT(spread[k], 1.5 * std::max(spread[3], spread[4])) << lags[k];
  EXPECT_GT(spread[6], spread[5]);  // 9.6 frames off worse than 3.6
  tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
  EXPECT_EQ(EpipolarSpreadAtOffsets(input, 1, lags)[3], spread[3]);
}

}  // namespace
}  // namespace epilabel
