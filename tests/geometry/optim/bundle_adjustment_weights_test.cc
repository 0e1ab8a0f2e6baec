#include "geometry/optim/bundle_adjustment_weights.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "tests/draw_order.h"
#include "tests/geometry/rig_fixture.h"

namespace epilabel {
namespace {

// Four ring cameras see 120 "frames" of five joint types (points in a 1.6 m box), every
// detection with 1 px of Gaussian noise per axis. With `biased_px` > 0, joint type 4 is also
// placed `biased_px` off in a direction of its own per camera (a view-dependent detector bias,
// as face joints turned with the head: no 3D point explains all views). The adjustment starts
// from cameras 2 and 3 turned by about 1.5 degrees and moved by 7 cm, the gauge (camera 0's
// pose, the baseline to camera 1) held at the truth, so the errors are measured directly.
// With `two_view_type` >= 0, that joint type is seen by cameras 0 and 1 only (same noise).
// Every observation's segment is its camera and block of kBlockFrames frames. With `segment_px`
// > 0, three segments (kBadSegments: cameras 1, 2, 3, each in a different block) carry an
// offset of that size per joint, constant over the block (a detector's error persisting over a
// stretch of frames of one camera).
class GroupWeightScene : public ::testing::Test {
 protected:
  static constexpr int kJointTypes = 5;
  static constexpr int kFrames = 120, kBlockFrames = 10, kBlocks = kFrames / kBlockFrames;
  static constexpr std::array<int, 6> kBadSegments = {1 * kBlocks + 2, 1 * kBlocks + 7, 2 * kBlocks + 4,
                                                      2 * kBlocks + 10, 3 * kBlocks + 0, 3 * kBlocks + 6};

  static bool IsBadSegment(int segment) {
    return std::find(kBadSegments.begin(), kBadSegments.end(), segment) != kBadSegments.end();
  }

  void Build(double biased_px, uint32_t seed, int two_view_type = -1, double segment_px = 0.0) {
    truth_ = testing::RingRig(4);
    std::mt19937 segment_rng(seed + 1000);  // own stream: the other draws stay as without it
    std::uniform_real_distribution<double> angle(-M_PI, M_PI);
    std::vector<Eigen::Vector2d> segment_bias(static_cast<size_t>(4 * kBlocks) * kJointTypes, Eigen::Vector2d::Zero());
    for (int s : kBadSegments) {
      const double a = angle(segment_rng);
      for (int j = 0; j < kJointTypes; ++j)
        segment_bias[static_cast<size_t>(s) * kJointTypes + j] = segment_px * Eigen::Vector2d(std::cos(a), std::sin(a));
    }
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<Eigen::Vector2d> bias(4);
    for (camera_t c = 0; c < 4; ++c) {
      const double a = M_PI * u(rng);
      bias[c] = biased_px * Eigen::Vector2d(std::cos(a), std::sin(a));
    }
    data_ = BAProblemData{};
    for (int f = 0; f < kFrames; ++f)
      for (int j = 0; j < kJointTypes; ++j) {
        const Eigen::Vector3d x = Eigen::Vector3d(0.8, 0.8, 0.8).cwiseProduct(
                                      testing::DrawLastFirst<3>([&] { return u(rng); })) +
                                  Eigen::Vector3d(0, 0, 1.0);
        const int p = static_cast<int>(data_.points.size());
        data_.points.push_back(x + 0.02 * testing::DrawLastFirst<3>([&] { return u(rng); }));
        for (camera_t c = 0; c < 4; ++c) {
          BAObservation o;
          o.camera = c;
          o.point = p;
          o.group = j;
          o.segment = c * kBlocks + f / kBlockFrames;
          o.pixel = *truth_[c].ImageFromWorld(x) + testing::DrawLastFirst<2>([&] { return noise(rng); });
          if (j == kJointTypes - 1) o.pixel += bias[c];
          o.pixel += segment_bias[static_cast<size_t>(o.segment) * kJointTypes + j];
          o.weight = 0.8;
          if (j != two_view_type || c < 2) data_.observations.push_back(o);
        }
      }
    rig_ = testing::NudgeCameras(truth_, 2);
  }

  // Adjusts a copy of the start; returns the worst camera rotation error (degrees). `oracle`:
  // without the biased joint type's observations.
  // `segments`: reweight_segments instead of reweight_groups; with `oracle` the bad segments are
  // left out instead of the biased joint type.
  double Adjust(bool reweight, BundleAdjustmentSummary* summary, bool oracle = false, bool segments = false) const {
    Rig rig = rig_;
    BAProblemData data = data_;
    if (oracle)
      for (BAObservation& o : data.observations)
        o.inlier = segments ? !IsBadSegment(o.segment) : o.group != kJointTypes - 1;
    BundleAdjustmentOptions options;
    options.function_tolerance = 1e-10;
    options.reweight_groups = reweight && !segments;
    options.reweight_segments = reweight && segments;
    *summary = BundleAdjust(&rig, &data, options);
    double worst = 0.0;
    for (camera_t c = 0; c < 4; ++c)
      worst = std::max(worst, rig[c].cam_from_world.rotation.angularDistance(truth_[c].cam_from_world.rotation) *
                                  180.0 / M_PI);
    return worst;
  }

  Rig truth_, rig_;
  BAProblemData data_;
};

TEST(BundleAdjustmentWeights, RobustScaleOfGaussianErrorNorms) {
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0.0, 2.0);
  std::vector<double> errors;
  for (int i = 0; i < 20000; ++i) errors.push_back(Eigen::Vector2d(noise(rng), noise(rng)).norm());
  EXPECT_NEAR(RobustErrorScale(errors), 2.0, 0.05);
  std::vector<double> none;
  EXPECT_TRUE(std::isnan(RobustErrorScale(none)));
}

// One joint type with a 6 px view-dependent bias: its weight falls to a small fraction of the
// others', and the cameras come out closer to the truth than with the confidence weights alone,
// near where they come without that joint type at all (the oracle), over three draws.
TEST_F(GroupWeightScene, BiasedJointTypeIsDownWeightedAndTheCamerasImprove) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    Build(6.0, seed);
    BundleAdjustmentSummary plain, weighted;
    const double plain_deg = Adjust(false, &plain);
    const double weighted_deg = Adjust(true, &weighted);
    BundleAdjustmentSummary without;
    const double oracle_deg = Adjust(false, &without, true);
    ASSERT_TRUE(plain.success && weighted.success && without.success);
    EXPECT_TRUE(plain.group_weights.empty());
    ASSERT_EQ(weighted.group_weights.size(), static_cast<size_t>(kJointTypes));
    for (int j = 0; j + 1 < kJointTypes; ++j) EXPECT_GT(weighted.group_weights[j], 0.8) << "seed " << seed << " joint " << j;
    EXPECT_LT(weighted.group_weights[kJointTypes - 1], 0.25) << "seed " << seed;
    EXPECT_LT(weighted_deg, 0.6 * plain_deg) << "seed " << seed;
    EXPECT_LT(weighted_deg, 1.5 * oracle_deg) << "seed " << seed;
  }
}

// Without bias every joint type has the same noise: the weights stay near 1 and the cameras
// move by a small fraction of their error.
TEST_F(GroupWeightScene, WithoutBiasTheWeightsStayNearOne) {
  Build(0.0, 4);
  BundleAdjustmentSummary plain, weighted;
  const double plain_deg = Adjust(false, &plain);
  const double weighted_deg = Adjust(true, &weighted);
  ASSERT_TRUE(plain.success && weighted.success);
  ASSERT_EQ(weighted.group_weights.size(), static_cast<size_t>(kJointTypes));
  for (double w : weighted.group_weights) EXPECT_NEAR(w, 1.0, 0.15);
  EXPECT_NEAR(weighted_deg, plain_deg, 0.2 * plain_deg + 1e-4);
}

// A point fitted to two equal views keeps half of its error in the residuals (leverage 0.75),
// one of eight equal views 90 % (0.1875); unequal weights: the heavier view keeps less.
TEST(BundleAdjustmentWeights, LeverageCorrection) {
  EXPECT_NEAR(LeverageCorrectedError(1.0, 1.0, 2.0), 2.0, 1e-12);
  EXPECT_NEAR(LeverageCorrectedError(1.0, 0.5, 4.0), 1.0 / std::sqrt(1.0 - 0.1875), 1e-12);
  EXPECT_GT(LeverageCorrectedError(1.0, 0.9, 1.5), LeverageCorrectedError(1.0, 0.3, 1.5));
  EXPECT_NEAR(LeverageCorrectedError(1.0, 1.0, 1.0), 1.0 / std::sqrt(0.1), 1e-12);  // capped at 0.9
}

// A joint type seen by two cameras only, with the same noise as the others: its raw residuals
// are smaller (its points follow its two views), so without the leverage correction it gets a
// weight near 2.5 ((5/8) / (1/4)); with it, near 1.
TEST_F(GroupWeightScene, FewerViewsDoNotRaiseTheWeight) {
  constexpr int kTwoView = 2;
  Build(0.0, 6, kTwoView);
  for (bool correct : {false, true}) {
    Rig rig = rig_;
    BAProblemData data = data_;
    BundleAdjustmentOptions options;
    options.reweight_groups = true;
    options.correct_group_leverage = correct;
    const BundleAdjustmentSummary summary = BundleAdjust(&rig, &data, options);
    ASSERT_TRUE(summary.success);
    ASSERT_EQ(summary.group_weights.size(), static_cast<size_t>(kJointTypes));
    if (correct) {
      for (double w : summary.group_weights) EXPECT_NEAR(w, 1.0, 0.2);
    } else {
      EXPECT_GT(summary.group_weights[kTwoView], 1.8);
    }
  }
}

// A group with fewer inlier observations than min_group_observations keeps weight 1 (here the
// biased joint type keeps its group in 12 frames x 4 cameras only; its other observations have
// none and are not counted in any scale).
TEST_F(GroupWeightScene, SmallGroupsKeepWeightOne) {
  Build(6.0, 1);
  for (BAObservation& o : data_.observations)
    if (o.group == kJointTypes - 1 && o.point % 50 != kJointTypes - 1) o.group = -1;
  Rig rig = rig_;
  BundleAdjustmentOptions options;
  options.reweight_groups = true;
  options.min_group_observations = 200;
  const BundleAdjustmentSummary summary = BundleAdjust(&rig, &data_, options);
  ASSERT_TRUE(summary.success);
  ASSERT_EQ(summary.group_weights.size(), static_cast<size_t>(kJointTypes));
  EXPECT_EQ(summary.group_weights[kJointTypes - 1], 1.0);
  for (int j = 0; j + 1 < kJointTypes; ++j) EXPECT_NEAR(summary.group_weights[j], 1.0, 0.3);
}

// Six segments (cameras 1-3, ten frames each) shifted by 6 px (one direction per segment, a
// detector's error persisting over a stretch of frames of one camera): their weights fall to a
// small fraction, most other segments keep nearly 1 (those seen with a shifted one in the same
// frames lose some: their points absorbed part of the shift), and the cameras come out near the
// oracle without those segments, over three draws closer to the truth than without the weights.
TEST_F(GroupWeightScene, PersistingSegmentErrorsAreDownWeightedAndTheCamerasImprove) {
  double plain_sum = 0.0, weighted_sum = 0.0;
  for (uint32_t seed : {1u, 2u, 3u}) {
    Build(0.0, seed, -1, 6.0);
    BundleAdjustmentSummary plain, weighted, without;
    const double plain_deg = Adjust(false, &plain, false, true);
    const double weighted_deg = Adjust(true, &weighted, false, true);
    const double oracle_deg = Adjust(false, &without, true, true);
    ASSERT_TRUE(plain.success && weighted.success && without.success);
    EXPECT_TRUE(plain.segment_weights.empty());
    EXPECT_TRUE(weighted.group_weights.empty());
    ASSERT_EQ(weighted.segment_weights.size(), static_cast<size_t>(4 * kBlocks));
    std::vector<double> good;
    for (int s = 0; s < 4 * kBlocks; ++s) {
      if (IsBadSegment(s))
        EXPECT_LT(weighted.segment_weights[s], 0.2) << "seed " << seed << " segment " << s;
      else
        good.push_back(weighted.segment_weights[s]);
    }
    std::sort(good.begin(), good.end());
    EXPECT_GT(good[good.size() / 2], 0.9) << "seed " << seed;
    EXPECT_GT(good[good.size() / 8], 0.5) << "seed " << seed;
    EXPECT_LT(weighted_deg, 1.5 * oracle_deg) << "seed " << seed;
    plain_sum += plain_deg;
    weighted_sum += weighted_deg;
  }
  EXPECT_LT(weighted_sum, 0.75 * plain_sum);
}

// Without persisting errors the segment weights stay near 1 (at most 1 by construction) and the
// cameras move by a small fraction of their error.
TEST_F(GroupWeightScene, WithoutPersistingErrorsTheSegmentWeightsStayNearOne) {
  Build(0.0, 4);
  BundleAdjustmentSummary plain, weighted;
  const double plain_deg = Adjust(false, &plain, false, true);
  const double weighted_deg = Adjust(true, &weighted, false, true);
  ASSERT_TRUE(plain.success && weighted.success);
  ASSERT_EQ(weighted.segment_weights.size(), static_cast<size_t>(4 * kBlocks));
  for (double w : weighted.segment_weights) {
    EXPECT_LE(w, 1.0);
    EXPECT_GT(w, 0.6);
  }
  EXPECT_NEAR(weighted_deg, plain_deg, 0.2 * plain_deg + 1e-4);
}

// Segments per camera and joint type: against their camera's scale, the segments of a joint type
// with a 6 px per-camera bias fall far below 1; against their own class (BAProblemData::
// segment_classes: camera and joint type), whose scale includes the bias, they keep nearly 1.
TEST_F(GroupWeightScene, SegmentClassesSetTheReferenceScale) {
  Build(6.0, 5);
  for (BAObservation& o : data_.observations) {
    const int frame = o.point / kJointTypes, joint = o.point % kJointTypes;
    o.segment = (o.camera * kJointTypes + joint) * kBlocks + frame / kBlockFrames;
  }
  const int num_segments = 4 * kJointTypes * kBlocks;
  for (bool by_class : {false, true}) {
    Rig rig = rig_;
    BAProblemData data = data_;
    if (by_class)
      for (int s = 0; s < num_segments; ++s) data.segment_classes.push_back(s / kBlocks);
    BundleAdjustmentOptions options;
    options.reweight_segments = true;
    options.min_segment_observations = 8;
    const BundleAdjustmentSummary summary = BundleAdjust(&rig, &data, options);
    ASSERT_TRUE(summary.success);
    ASSERT_EQ(summary.segment_weights.size(), static_cast<size_t>(num_segments));
    std::vector<double> biased;
    for (int s = 0; s < num_segments; ++s)
      if ((s / kBlocks) % kJointTypes == kJointTypes - 1) biased.push_back(summary.segment_weights[s]);
    std::sort(biased.begin(), biased.end());
    if (by_class)
      EXPECT_GT(biased[biased.size() / 2], 0.7);
    else
      EXPECT_LT(biased[biased.size() / 2], 0.3);
  }
}

}  // namespace
}  // namespace epilabel
