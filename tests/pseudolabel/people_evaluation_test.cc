// The multi-person evaluation on the synthetic studio: here the self-calibration from the true
// association (EvaluateOracleCalibration), the reference that separates the association's share
// of the self-calibration error from the detector's.
#include "pseudolabel/people_evaluation.h"

#include <gtest/gtest.h>

#include "detection/synthetic/studio.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

SyntheticScene Studio(int people, int frames, uint64_t seed) {
  StudioOptions o;
  o.rig = "h36m4";
  o.num_frames = frames;
  o.num_people = people;
  o.seed = seed;
  o.data_dir = testing::SourceDir() + "/data";
  return Synthesize(o);
}

TEST(EvaluateOracleCalibration, CalibratesFromEveryPersonsOwnDetections) {
  const SyntheticScene scene = Studio(2, 400, 2);
  ASSERT_EQ(scene.people.size(), 2u);
  const OracleCalibrationEvaluation r = EvaluateOracleCalibration(scene, 2);
  ASSERT_TRUE(r.calibrated) << r.verdict;
  // 3 px Gaussian noise, 400 frames of two people: measured 0.031 deg, 0.043 % of the rig radius
  // (with camera 1's detections of person 1 replaced by person 0's, an association error, 0.054 deg).
  EXPECT_LT(r.calibration.max_rotation_error_deg, 0.06);
  EXPECT_LT(r.calibration.max_center_error_rel, 0.001);
  EXPECT_FALSE(r.verdict.empty());
  // Seeded: the same result again.
  const OracleCalibrationEvaluation again = EvaluateOracleCalibration(scene, 2);
  EXPECT_EQ(again.calibration.max_rotation_error_deg, r.calibration.max_rotation_error_deg);
}

}  // namespace
}  // namespace epilabel
