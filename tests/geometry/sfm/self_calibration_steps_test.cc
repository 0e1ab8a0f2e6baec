#include "geometry/sfm/self_calibration_steps.h"

#include <cmath>

#include <gtest/gtest.h>

#include "geometry/sfm/rig_comparison.h"
#include "tests/geometry/rig_fixture.h"
#include "tests/geometry/walker_fixture.h"

namespace epilabel {
namespace {

SelfCalibrationOptions Options(int final_passes) {
  SelfCalibrationOptions o;
  o.bones = testing::WalkerBones();
  o.symmetric_pairs = testing::WalkerSymmetry();
  o.final_passes = final_passes;
  return o;
}

// The final adjustment's options as the self-calibration sets them with given intrinsics: the
// gauge on cameras 0 and 1, outlier removal, the covariance.
BundleAdjustmentOptions FinalOptions() {
  BundleAdjustmentOptions ba;
  ba.fixed_camera = 0;
  ba.scale_camera = 1;
  ba.compute_covariance = true;
  return ba;
}

// `rig` with camera `c` turned by `deg` degrees (about a tilted axis, in its cam_from_world).
Rig TurnCamera(Rig rig, size_t c, double deg) {
  const Eigen::Vector3d axis = Eigen::Vector3d(0.3, 1.0, 0.2).normalized();
  rig[c].cam_from_world = Rigid3d(RotationFromRodrigues(deg * M_PI / 180.0 * axis) *
                                      rig[c].cam_from_world.rotation.toRotationMatrix(),
                                  rig[c].cam_from_world.translation);
  return rig;
}

struct PassesRun {
  Rig rig;
  std::vector<FinalPassReport> passes;
  std::string stop;
  bool success = false;
};

PassesRun AdjustFrom(const Rig& start, const Observations2d& obs, int final_passes) {
  PassesRun r;
  r.rig = start;
  int points = 0;
  const std::vector<bool> registered(start.size(), true);
  r.success = AdjustInPasses(obs, registered, Options(final_passes), FinalOptions(), &r.rig, &points, &r.passes,
                             &r.stop)
                  .success;
  return r;
}

// A rig whose camera is degrees off when the final adjustment starts (as a registration that
// went wrong leaves it): the robust triangulation with it drops the views that disagree with
// it, so one pass adjusts the camera on the views that agree with where it was. The adaptive
// rule sees the pass move the camera far beyond its uncertainty and the views kept change, and
// runs more passes, which recover the rig.
TEST(SelfCalibrationSteps, AdaptivePassesRecoverACameraStartedDegreesOff) {
  const Rig truth = testing::RingRig(5);
  const Points3d motion = testing::WalkerMotion(300);
  const Observations2d obs = testing::ObserveWalker(truth, motion, 1.5, 0.02, 4);
  const Rig start = TurnCamera(truth, 3, 6.0);
  const PassesRun one = AdjustFrom(start, obs, 1);
  const PassesRun adaptive = AdjustFrom(start, obs, 0);
  ASSERT_TRUE(one.success && adaptive.success);
  const double one_deg = CompareRigs(truth, one.rig).max_rotation_error_deg;
  const double adaptive_deg = CompareRigs(truth, adaptive.rig).max_rotation_error_deg;
  ASSERT_EQ(one.passes.size(), 1u);
  EXPECT_TRUE(std::isnan(one.passes[0].view_change));  // a fixed last pass is not triangulated again
  EXPECT_GE(adaptive.passes.size(), 2u) << adaptive.stop;
  EXPECT_LE(adaptive.passes.size(), 3u);
  EXPECT_GT(adaptive.passes[0].rotation_change_sigmas, 1.0);
  EXPECT_GT(adaptive.passes[0].view_change, 0.01);
  EXPECT_GT(one_deg, 0.2) << "one pass already recovers the camera: the scene does not test the rule";
  EXPECT_LT(adaptive_deg, 0.05) << adaptive.stop;  // 6 deg off: one pass 0.37 deg, two 0.012 deg
  EXPECT_FALSE(adaptive.stop.empty());
}

// Started at the truth, the first pass moves the rig by no more than its noise: one pass.
TEST(SelfCalibrationSteps, OnePassWhenTheRigStartsRight) {
  const Rig truth = testing::RingRig(5);
  const Observations2d obs = testing::ObserveWalker(truth, testing::WalkerMotion(300), 1.5, 0.02, 4);
  const PassesRun adaptive = AdjustFrom(truth, obs, 0);
  ASSERT_TRUE(adaptive.success);
  EXPECT_EQ(adaptive.passes.size(), 1u) << adaptive.stop;
  EXPECT_LT(CompareRigs(truth, adaptive.rig).max_rotation_error_deg, 0.1);
}

// A fixed count runs exactly that many passes, whatever they change.
TEST(SelfCalibrationSteps, FixedCountRunsThatMany) {
  const Rig truth = testing::RingRig(4);
  const Observations2d obs = testing::ObserveWalker(truth, testing::WalkerMotion(200), 1.0, 0.0, 5);
  const PassesRun three = AdjustFrom(truth, obs, 3);
  ASSERT_TRUE(three.success);
  ASSERT_EQ(three.passes.size(), 3u);
  EXPECT_TRUE(std::isfinite(three.passes[0].view_change));
  EXPECT_TRUE(std::isnan(three.passes[2].view_change));
  EXPECT_NE(three.stop.find("fixed count of 3"), std::string::npos) << three.stop;
}

TEST(SelfCalibrationSteps, ViewChangeCountsViewsKeptByOneTriangulationOnly) {
  TriangulationResult a, b;
  a.points = Points3d(1, 2);
  a.view_mask = FrameJointArray<uint64_t>(1, 2);
  a.points.at(0, 0) = Eigen::Vector3d(0, 0, 1);
  a.points.at(0, 1) = Eigen::Vector3d(0, 0, 1);
  a.view_mask.at(0, 0) = 0b0111;  // 3 views
  a.view_mask.at(0, 1) = 0b1100;  // 2 views
  b = a;
  EXPECT_EQ(ViewChange(a, b), 0.0);
  b.view_mask.at(0, 0) = 0b1011;  // camera 2 out, camera 3 in: 2 changed
  EXPECT_DOUBLE_EQ(ViewChange(a, b), 2.0 / 5.0);
  b.points.at(0, 1) = Eigen::Vector3d::Constant(kNaN);  // not triangulated: its 2 views changed
  EXPECT_DOUBLE_EQ(ViewChange(a, b), 4.0 / 5.0);
}

}  // namespace
}  // namespace epilabel
