#include "geometry/sfm/calibration_refinement.h"

#include <cmath>

#include <gtest/gtest.h>

#include "geometry/sfm/rig_comparison.h"
#include "tests/geometry/rig_fixture.h"
#include "tests/geometry/walker_fixture.h"

namespace epilabel {
namespace {

CalibrationRefinementOptions Options() {
  CalibrationRefinementOptions o;
  o.self.bones = testing::WalkerBones();
  o.self.symmetric_pairs = testing::WalkerSymmetry();
  o.self.max_ba_frames = 150;
  return o;
}

// The true five-camera ring seen with 1 px noise; `init` is the calibration given to refine.
struct Bumped {
  Rig truth = testing::RingRig(5);
  Observations2d obs = testing::ObserveWalker(truth, testing::WalkerMotion(300), 1.0, 0.0, 3);
};

double RotationDeg(const Camera& a, const Camera& b) {
  return Eigen::AngleAxisd((a.cam_from_world.rotation * b.cam_from_world.rotation.conjugate()).normalized()).angle() *
         180.0 / M_PI;
}

TEST(RefineCalibration, UnmovedRigNamesNoCameraAndStaysWithinItsUncertainty) {
  const Bumped s;
  const CalibrationRefinementResult r = RefineCalibration(s.truth, s.obs, Options());
  ASSERT_TRUE(r.success) << r.failure_reason;
  EXPECT_TRUE(r.moved.empty()) << r.BriefReport();
  ASSERT_EQ(r.moves.size(), 5u);
  for (const CameraMove& m : r.moves) {
    EXPECT_FALSE(m.moved) << m.name;
    EXPECT_LT(m.rotation_deg, 0.05) << m.name;
    EXPECT_LT(m.center_m, 0.01) << m.name;
  }
}

// A camera turned by 2 degrees, and one moved by 5 cm sideways, in an otherwise correct
// calibration: each is named, and brought back to the truth in the given world frame.
TEST(RefineCalibration, FindsAndCorrectsATurnedOrMovedCamera) {
  for (int kind = 0; kind < 2; ++kind) {
    const Bumped s;
    Rig init = s.truth;
    const int bumped = kind == 0 ? 2 : 0;  // camera 0 is also a candidate for the gauge
    Camera& cam = init[bumped];
    if (kind == 0) {
      const Eigen::Quaterniond turn(Eigen::AngleAxisd(2.0 * M_PI / 180.0, Eigen::Vector3d(0.3, 1.0, 0.2).normalized()));
      cam.cam_from_world = Rigid3d(turn * cam.cam_from_world.rotation, turn * cam.cam_from_world.translation);
    } else {
      // Centre 5 cm along the camera's x axis: t' = t - R dC.
      const Eigen::Vector3d shift_in_world = cam.cam_from_world.rotation.conjugate() * Eigen::Vector3d(0.05, 0, 0);
      cam.cam_from_world.translation -= cam.cam_from_world.rotation * shift_in_world;
    }
    const CalibrationRefinementResult r = RefineCalibration(init, s.obs, Options());
    ASSERT_TRUE(r.success) << r.failure_reason;
    ASSERT_EQ(r.moved.size(), 1u) << kind << ": " << r.BriefReport();
    EXPECT_EQ(r.moved[0], s.truth[bumped].name);
    const CameraMove& m = r.moves[bumped];
    if (kind == 0) {
      EXPECT_NEAR(m.rotation_deg, 2.0, 0.05);
    } else {
      EXPECT_NEAR(m.center_m, 0.05, 0.01);
    }
    for (size_t c = 0; c < s.truth.size(); ++c) {
      EXPECT_LT(RotationDeg(r.rig[c], s.truth[c]), 0.05) << kind << " " << c;
      EXPECT_LT((r.rig[c].CenterInWorld() - s.truth[c].CenterInWorld()).norm(), 0.01) << kind << " " << c;
    }
  }
}

TEST(RefineCalibration, TwoCamerasAreAnHonestFailure) {
  Bumped s;
  Rig two(s.truth.begin(), s.truth.begin() + 2);
  Observations2d obs(2, s.obs.num_frames(), s.obs.num_joints());
  const CalibrationRefinementResult r = RefineCalibration(two, obs, Options());
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failure_reason, "needs three cameras or more");
}

}  // namespace
}  // namespace epilabel
