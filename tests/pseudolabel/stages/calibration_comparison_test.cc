#include "pseudolabel/stages/calibration_comparison.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "tests/geometry/rig_fixture.h"
#include "tests/geometry/walker_fixture.h"

namespace epilabel {
namespace {

// A calibration that succeeded with this verdict and these leave-one-camera-out rotations.
CalibrationOutput Judged(Verdict verdict, std::initializer_list<double> loo_deg) {
  CalibrationOutput out;
  out.success = verdict != Verdict::kFailed;
  out.report.verdict = verdict;
  for (double d : loo_deg) {
    CameraCalibrationReport cam;
    cam.registered = true;
    cam.loo_rotation_deg = d;
    out.report.cameras.push_back(cam);
  }
  return out;
}

ReprojectionComparison Errors(double pooled_px, double selection_px) {
  ReprojectionComparison c;
  c.cap_px = 3.0 * pooled_px;
  c.first_error_px = pooled_px;
  c.second_error_px = selection_px;
  return c;
}

// The Pose2Sim two-person case: the pooled calibration is *check* by one camera just above the
// leave-one-out limit, the selection (mixing the child and the adult between views) *good*; the
// selection's cameras reproject the observations both share worse, so the pooled one stays. The
// verdict-only rule kept the selection.
TEST(SelectionRule, PooledCheckStaysAgainstAGoodSelectionThatReprojectsWorse) {
  const CalibrationOutput pooled = Judged(Verdict::kCheck, {0.4, 0.7, 1.11, 0.6});
  const CalibrationOutput selection = Judged(Verdict::kGood, {0.3, 0.5, 0.8, 0.4});
  std::string how;
  EXPECT_FALSE(SelectionReplacesPooled(pooled, selection, [] { return Errors(4.0, 9.0); }, &how));
  // Better on the shared observations: the selection replaces it, saying why.
  EXPECT_TRUE(SelectionReplacesPooled(pooled, selection, [] { return Errors(4.0, 3.5); }, &how));
  EXPECT_NE(how.find("reprojects"), std::string::npos) << how;
  // Equal errors: the pooled tracks stay (the selection must be better, not as good).
  EXPECT_FALSE(SelectionReplacesPooled(pooled, selection, [] { return Errors(4.0, 4.0); }, &how));
  // Both *check*: the errors decide too, not the leave-one-out rotations.
  const CalibrationOutput selection_check = Judged(Verdict::kCheck, {0.3, 0.5, 1.05, 0.4});
  EXPECT_FALSE(SelectionReplacesPooled(pooled, selection_check, [] { return Errors(4.0, 4.4); }, &how));
  EXPECT_TRUE(SelectionReplacesPooled(pooled, selection_check, [] { return Errors(4.0, 3.9); }, &how));
  // No comparison (no error measured): the pooled tracks stay.
  EXPECT_FALSE(SelectionReplacesPooled(pooled, selection, [] { return ReprojectionComparison(); }, &how));
}

// A failed calibration on either side: the verdicts decide, without the comparison (a failed
// pooled calibration, e.g. a bystander taken for the subject in one camera, gives way to any
// selection that is not failed; a failed selection never replaces anything).
TEST(SelectionRule, FailedCalibrationsAreJudgedByTheirVerdict) {
  bool compared = false;
  const auto compare = [&] {
    compared = true;
    return Errors(1.0, 100.0);
  };
  std::string how;
  const CalibrationOutput failed = Judged(Verdict::kFailed, {25.0, 0.5, 0.5});
  EXPECT_TRUE(SelectionReplacesPooled(failed, Judged(Verdict::kCheck, {1.5, 0.5, 0.5}), compare, &how));
  EXPECT_FALSE(SelectionReplacesPooled(Judged(Verdict::kCheck, {1.5, 0.5, 0.5}), failed, compare, &how));
  // Both failed: the pooled one stays.
  EXPECT_FALSE(SelectionReplacesPooled(failed, Judged(Verdict::kFailed, {21.0, 0.5, 0.5}), compare, &how));
  EXPECT_FALSE(compared);
  // A good pooled calibration is never replaced.
  EXPECT_FALSE(SelectionReplacesPooled(Judged(Verdict::kGood, {0.5}), Judged(Verdict::kGood, {0.1}), compare, &how));
}

TEST(CalibrationComparison, TruncatedRmsCountsGrossErrorsAsTheCap) {
  EXPECT_NEAR(TruncatedRms({1.0, 2.0, 100.0}, 3.0), std::sqrt((1.0 + 4.0 + 9.0) / 3.0), 1e-12);
  EXPECT_TRUE(std::isnan(TruncatedRms({}, 3.0)));
}

// The true rig against one with a camera turned by a degree, on the walker seen by a ring of
// four cameras (1 px noise) where one camera sees another person in a third of the frames: the
// true rig reprojects the same observations better, the other person's keypoints are capped.
TEST(CalibrationComparison, TheTrueRigReprojectsTheSameObservationsBetter) {
  const Rig rig = testing::RingRig(4);
  const Points3d walker = testing::WalkerMotion(150);
  Observations2d obs = testing::ObserveWalker(rig, walker, 1.0, 0.0, 7);
  Points3d other = walker;
  for (frame_t f = 0; f < other.num_frames(); ++f)
    for (joint_t j = 0; j < other.num_joints(); ++j) other.at(f, j) += Eigen::Vector3d(0.8, -0.5, 0.0);
  const Observations2d foreign = testing::ObserveWalker(rig, other, 1.0, 0.0, 8);
  for (frame_t f = 0; f < obs.num_frames(); f += 3)
    for (joint_t j = 0; j < obs.num_joints(); ++j) obs.at(3, f, j) = foreign.at(3, f, j);
  Rig turned = rig;
  turned[2].cam_from_world.rotation =
      Eigen::Quaterniond(Eigen::AngleAxisd(1.0 * M_PI / 180.0, Eigen::Vector3d::UnitY())) * rig[2].cam_from_world.rotation;
  TriangulationOptions t;
  t.bones = testing::WalkerBones();
  t.symmetric_pairs = testing::WalkerSymmetry();
  const ReprojectionComparison c = CompareReprojection(rig, turned, obs, t, 3.0);
  ASSERT_TRUE(std::isfinite(c.cap_px));
  EXPECT_GT(c.cap_px, 1.0);  // three times a median error of about a pixel
  EXPECT_LT(c.cap_px, 6.0);
  EXPECT_LE(c.first_error_px, c.cap_px);
  EXPECT_GT(c.second_error_px, 1.1 * c.first_error_px);
  // Swapped: the turned rig's median sets the cap, the true rig is still the better one.
  const ReprojectionComparison swapped = CompareReprojection(turned, rig, obs, t, 3.0);
  EXPECT_LT(swapped.second_error_px, swapped.first_error_px);
}

}  // namespace
}  // namespace epilabel
