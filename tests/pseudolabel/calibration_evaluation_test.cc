#include "pseudolabel/calibration_evaluation.h"

#include <cmath>
#include <string>

#include <Eigen/Geometry>
#include <gtest/gtest.h>

#include "detection/io/calibration_io.h"
#include "detection/synthetic/rigs.h"
#include "foundation/error.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

TEST(EvaluateCalibrationFiles, ScoresEachCameraAndRefusesALostCamera) {
  testing::TempDir dir;
  const Rig truth = MakeStudioRig("h36m4").cameras;
  WriteCalibrationToml(truth, dir / "truth.toml");
  // The same rig: nothing to report.
  WriteCalibrationToml(truth, dir / "same.toml");
  const CalibrationEvaluation same = EvaluateCalibrationFiles(dir / "truth.toml", dir / "same.toml");
  EXPECT_NEAR(same.by_orientations.max_rotation_error_deg, 0.0, 1e-6);
  ASSERT_TRUE(same.by_centres.has_value());
  EXPECT_NEAR(same.by_centres->max_center_error_rel, 0.0, 1e-9);
  // One camera turned by 2 degrees: it carries the largest error under both alignments.
  Rig turned = truth;
  const Eigen::Vector3d centre = turned[2].CenterInWorld();
  turned[2].cam_from_world.rotation =
      Eigen::Quaterniond(Eigen::AngleAxisd(2.0 * M_PI / 180, Eigen::Vector3d::UnitY())) * turned[2].cam_from_world.rotation;
  turned[2].cam_from_world.translation = -(turned[2].cam_from_world.rotation * centre);  // the same centre
  WriteCalibrationToml(turned, dir / "turned.toml");
  const CalibrationEvaluation e = EvaluateCalibrationFiles(dir / "truth.toml", dir / "turned.toml");
  ASSERT_EQ(e.by_orientations.cameras.size(), truth.size());
  EXPECT_GT(e.by_orientations.cameras[2].rotation_error_deg, 1.0);
  EXPECT_NEAR(e.by_centres->cameras[2].rotation_error_deg, 2.0, 1e-6);  // centres unchanged: exact
  const nlohmann::json j = RigComparisonJson(*e.by_centres);
  EXPECT_NEAR(j["max_rotation_error_deg"].get<double>(), 2.0, 1e-6);
  // An estimate without one of the reference cameras is not scored.
  Rig three(truth.begin(), truth.end() - 1);
  WriteCalibrationToml(three, dir / "three.toml");
  try {
    EvaluateCalibrationFiles(dir / "truth.toml", dir / "three.toml");
    FAIL() << "an estimate that lost a camera was scored";
  } catch (const InputError& err) {
    EXPECT_NE(std::string(err.what()).find(truth.back().name), std::string::npos) << err.what();
    EXPECT_NE(err.where().find("three.toml"), std::string::npos);
  }
}

}  // namespace
}  // namespace epilabel
