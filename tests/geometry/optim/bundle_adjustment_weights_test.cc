#include "geometry/optim/bundle_adjustment_weights.h"

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
class GroupWeightScene : public ::testing::Test {
 protected:
  static constexpr int kJointTypes = 5;

  void Build(double biased_px, uint32_t seed, int two_view_type = -1) {
    truth_ = testing::RingRig(4);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<Eigen::Vector2d> bias(4);
    for (camera_t c = 0; c < 4; ++c) {
      const double a = M_PI * u(rng);
      bias[c] = biased_px * Eigen::Vector2d(std::cos(a), std::sin(a));
    }
    data_ = BAProblemData{};
    for (int f = 0; f < 120; ++f)
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
          o.pixel = *truth_[c].ImageFromWorld(x) + testing::DrawLastFirst<2>([&] { return noise(rng); });
          if (j == kJointTypes - 1) o.pixel += bias[c];
          o.weight = 0.8;
          if (j != two_view_type || c < 2) data_.observations.push_back(o);
        }
      }
    rig_ = testing::NudgeCameras(truth_, 2);
  }

  // Adjusts a copy of the start; returns the worst camera rotation error (degrees). `oracle`:
  // without the biased joint type's observations.
  double Adjust(bool reweight, BundleAdjustmentSummary* summary, bool oracle = false) const {
    Rig rig = rig_;
    BAProblemData data = data_;
    if (oracle)
      for (BAObservation& o : data.observations) o.inlier = o.group != kJointTypes - 1;
    BundleAdjustmentOptions options;
    options.function_tolerance = 1e-10;
    options.reweight_groups = reweight;
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

}  // namespace
}  // namespace epilabel
