#include "geometry/sfm/leave_one_camera_out.h"

#include <cmath>

#include <gtest/gtest.h>

#include "geometry/sfm/world_frame.h"
#include "tests/geometry/rig_fixture.h"
#include "tests/geometry/walker_fixture.h"

namespace epilabel {
namespace {

std::vector<CameraCalibrationReport> Check(const Rig& rig, const Observations2d& obs) {
  TriangulationOptions t;
  t.bones = testing::WalkerBones();
  t.symmetric_pairs = testing::WalkerSymmetry();
  std::vector<CameraCalibrationReport> cams(rig.size());
  LeaveOneCameraOutCheck(rig, obs, std::vector<uint8_t>(rig.size(), 1), t, 1000, &cams);
  return cams;
}

// The check compares rotations: it must not depend on the world frame the rig is expressed in
// (the metric scale from the subject's height, the floor's orientation and origin). Walker on a
// ring of four cameras, 2 px noise and 5 % outliers, one camera turned by 0.3 deg. Before the
// check worked in the camera's own frame, turning the world moved camera 3's shift from 0.20 to
// 0.12 deg and scaling it by 1.47 from 0.17 to 0.18 deg.
TEST(LeaveOneCameraOut, RotationsDoNotDependOnTheWorldFrame) {
  Rig rig = testing::RingRig(4);
  const Points3d walker = testing::WalkerMotion(300);
  const Observations2d obs = testing::ObserveWalker(rig, walker, 2.0, 0.05, 11);
  rig[1].cam_from_world.rotation =
      Eigen::Quaterniond(Eigen::AngleAxisd(0.3 * M_PI / 180.0, Eigen::Vector3d::UnitX())) * rig[1].cam_from_world.rotation;
  const std::vector<CameraCalibrationReport> base = Check(rig, obs);
  // Scaled, turned, shifted, and all three (the world frame found from the subject's height).
  for (int kind = 0; kind < 4; ++kind) {
    const double scale = kind == 0 || kind == 3 ? 1.47 : 1.0;
    Sim3d b_from_a;
    b_from_a.scale = scale;
    if (kind == 1 || kind == 3) b_from_a.rotation = Eigen::Quaterniond(Eigen::AngleAxisd(0.4, Eigen::Vector3d(1, 2, 3).normalized()));
    if (kind == 2 || kind == 3) b_from_a.translation = Eigen::Vector3d(0.3, -1.2, 0.8);
    const std::vector<CameraCalibrationReport> moved = Check(TransformRig(rig, b_from_a), obs);
    for (size_t c = 0; c < rig.size(); ++c) {
      ASSERT_TRUE(std::isfinite(base[c].loo_rotation_deg)) << c;
      EXPECT_NEAR(moved[c].loo_rotation_deg, base[c].loo_rotation_deg, 1e-3) << "camera " << c << ", transform " << kind;
      EXPECT_NEAR(moved[c].loo_center_m, scale * base[c].loo_center_m, 1e-3 * scale * base[c].loo_center_m + 1e-9)
          << "camera " << c << ", transform " << kind;
    }
  }
}

}  // namespace
}  // namespace epilabel
