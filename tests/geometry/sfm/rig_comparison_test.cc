#include "geometry/sfm/rig_comparison.h"

#include <cmath>

#include <gtest/gtest.h>

#include "tests/geometry/rig_fixture.h"

namespace epilabel {
namespace {

Rig FourCameras() {
  Rig rig;
  const double angles[] = {0.1, 1.7, 3.0, 4.4};
  for (int i = 0; i < 4; ++i) {
    Camera cam;
    cam.name = "cam_" + std::to_string(i);
    cam.width = 1000, cam.height = 800, cam.fx = cam.fy = 900, cam.cx = 500, cam.cy = 400;
    const Eigen::Vector3d centre(3 * std::cos(angles[i]), 3 * std::sin(angles[i]), 1.5 + 0.2 * i);
    const Eigen::Matrix3d r = Eigen::AngleAxisd(angles[i] + 0.3, Eigen::Vector3d::UnitZ()).toRotationMatrix() *
                              Eigen::AngleAxisd(1.4, Eigen::Vector3d::UnitX()).toRotationMatrix();
    cam.cam_from_world = Rigid3d(r, -(r * centre));
    cam.has_extrinsics = true;
    rig.push_back(cam);
  }
  return rig;
}

// The same rig in another world frame: world_new = s R world + t.
Rig Transformed(const Rig& rig, const Sim3d& new_from_old) {
  Rig out = rig;
  for (auto& cam : out) cam.cam_from_world = new_from_old.TransformCamFromWorld(cam.cam_from_world);
  return out;
}

TEST(CompareRigs, BothAlignmentsScoreASimilarRigZero) {
  const Rig reference = FourCameras();
  Sim3d sim;
  sim.scale = 0.37;
  sim.rotation = Eigen::Quaterniond(Eigen::AngleAxisd(2.1, Eigen::Vector3d(1, -2, 0.5).normalized()));
  sim.translation = Eigen::Vector3d(4, -7, 2);
  const Rig estimate = Transformed(reference, sim);
  for (RigAlignment a : {RigAlignment::kOrientations, RigAlignment::kCentres}) {
    const RigComparison c = CompareRigs(reference, estimate, a);
    EXPECT_LT(c.max_rotation_error_deg, 1e-9);
    EXPECT_LT(c.max_center_error_rel, 1e-9);
    EXPECT_NEAR(c.scale_error_rel, 0.37 - 1.0, 1e-9);
  }
}

TEST(CompareRigs, CentreAlignmentPutsTheErrorInRotationsOrientationAlignmentInCentres) {
  // One camera turned by 2 degrees: aligning by orientations spreads the turn over all cameras
  // (each about 2/4 deg off, the centres off by what that mean rotation does to them); aligning
  // by the centres (unchanged) leaves the centres exact and the whole 2 degrees on that camera.
  const Rig reference = FourCameras();
  Rig estimate = reference;
  const Eigen::Quaterniond turn(Eigen::AngleAxisd(2.0 * M_PI / 180, Eigen::Vector3d::UnitY()));
  estimate[2].cam_from_world.rotation = turn * estimate[2].cam_from_world.rotation;
  estimate[2].cam_from_world.translation = -(estimate[2].cam_from_world.rotation * reference[2].CenterInWorld());
  const RigComparison by_centres = CompareRigs(reference, estimate, RigAlignment::kCentres);
  EXPECT_LT(by_centres.max_center_error_rel, 1e-9);
  EXPECT_NEAR(by_centres.cameras[2].rotation_error_deg, 2.0, 1e-9);
  EXPECT_LT(by_centres.cameras[0].rotation_error_deg, 1e-9);
  const RigComparison by_orientations = CompareRigs(reference, estimate, RigAlignment::kOrientations);
  EXPECT_GT(by_orientations.cameras[0].rotation_error_deg, 0.3);
  EXPECT_LT(by_orientations.max_rotation_error_deg, 2.0);
  EXPECT_GT(by_orientations.max_center_error_rel, 1e-3);
}

TEST(CompareRigs, CentreAlignmentNeedsThreeCameras) {
  const Rig reference = FourCameras();
  const Rig two(reference.begin(), reference.begin() + 2);
  const RigComparison c = CompareRigs(two, two, RigAlignment::kCentres);
  ASSERT_EQ(c.cameras.size(), 2u);
  EXPECT_TRUE(std::isnan(c.cameras[0].rotation_error_deg));
  EXPECT_LT(CompareRigs(two, two, RigAlignment::kOrientations).max_rotation_error_deg, 1e-9);
}

}  // namespace
}  // namespace epilabel
