#include "geometry/sfm/given_focal_check.h"

#include <cmath>

#include <gtest/gtest.h>

#include "geometry/sfm/self_calibration.h"
#include "tests/geometry/rig_fixture.h"
#include "tests/geometry/walker_fixture.h"

namespace epilabel {
namespace {

SelfCalibrationOptions Options() {
  SelfCalibrationOptions o;
  o.bones = testing::WalkerBones();
  o.symmetric_pairs = testing::WalkerSymmetry();
  o.max_ba_frames = 150;
  return o;
}

// Five ring cameras with their intrinsics given; `wrong` (if >= 0) given a focal length 4 % long.
SelfCalibrationSummary CalibrateWithGivenFocal(int wrong) {
  const Rig truth = testing::RingRig(5);
  const Observations2d obs = testing::ObserveWalker(truth, testing::WalkerMotion(500), 1.0, 0.0, 3);
  Rig input = truth;
  for (Camera& c : input) {
    c.cam_from_world = Rigid3d();
    c.has_extrinsics = false;
  }
  if (wrong >= 0) input[wrong].fx *= 1.04, input[wrong].fy *= 1.04;
  const SelfCalibrationResult r = SelfCalibrate(input, obs, Options());
  EXPECT_TRUE(r.summary.success) << r.summary.failure_reason;
  return r.summary;
}

// A camera given a focal length 4 % long: freed alone, the people pull it back to the truth
// (-3.8 %), more than five sigmas away (covariance and jackknife); the others stay within 1 %.
// Without the error none moves by 0.5 %.
TEST(GivenFocalCheck, PullsAWrongGivenFocalLengthBackToTheTruth) {
  const SelfCalibrationSummary wrong = CalibrateWithGivenFocal(2);
  ASSERT_EQ(wrong.given_focal_pull_rel.size(), 5u);
  EXPECT_EQ(wrong.given_focal_blocks, 4);  // the quick frames in blocks of >= 20
  EXPECT_EQ(wrong.given_focal_joint_groups, 4);
  EXPECT_NEAR(wrong.given_focal_pull_rel[2], 1.0 / 1.04 - 1.0, 0.005);
  EXPECT_GT(std::abs(wrong.given_focal_pull_rel[2]), 5.0 * wrong.given_focal_sigma_rel[2]);
  for (int c : {0, 1, 3, 4}) EXPECT_LT(std::abs(wrong.given_focal_pull_rel[c]), 0.01) << c;

  // Without the error: small pulls, each with the covariance's sigma (too small for the jackknife).
  const SelfCalibrationSummary right = CalibrateWithGivenFocal(-1);
  for (int c = 0; c < 5; ++c) {
    EXPECT_LT(std::abs(right.given_focal_pull_rel[c]), 0.005) << c;
    EXPECT_GT(right.given_focal_sigma_rel[c], 0.0) << c;
    EXPECT_LT(right.given_focal_sigma_rel[c], 0.01) << c;
  }
}

}  // namespace
}  // namespace epilabel
