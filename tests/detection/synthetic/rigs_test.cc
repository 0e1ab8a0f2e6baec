#include "detection/synthetic/rigs.h"

#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "foundation/error.h"
#include "tests/detection/synthetic/synthetic_testing.h"

namespace epilabel {
namespace {

double DownAngleDeg(const Camera& camera) {
  const Eigen::Vector3d forward = camera.cam_from_world.rotation.conjugate() * Eigen::Vector3d::UnitZ();
  return std::asin(-forward.z()) * 180.0 / EIGEN_PI;
}

TEST(StudioRigs, HaveTheDescribedLayouts) {
  const StudioRig h36m = MakeStudioRig("h36m4");
  ASSERT_EQ(h36m.cameras.size(), 4u);
  for (const Camera& c : h36m.cameras) {
    EXPECT_EQ(c.width, 1000);
    EXPECT_TRUE(c.height == 1000 || c.height == 1002);
    EXPECT_NEAR(c.fx, 1147.0, 10.0);
    const Eigen::Vector3d center = c.CenterInWorld();
    EXPECT_NEAR(std::abs(center.x()), 2.9, 0.3);
    EXPECT_NEAR(std::abs(center.y()), 1.9, 0.3);
    EXPECT_GE(center.z(), 1.5);
    EXPECT_LE(center.z(), 2.0);
  }

  const StudioRig ring = MakeStudioRig("ring8");
  ASSERT_EQ(ring.cameras.size(), 8u);
  for (size_t i = 0; i < ring.cameras.size(); ++i) {
    const Camera& c = ring.cameras[i];
    EXPECT_EQ(c.width, 1920);
    EXPECT_EQ(c.height, 1080);
    EXPECT_NEAR(c.fx, 1400.0, 60.0);
    const Eigen::Vector3d center = c.CenterInWorld();
    EXPECT_NEAR(center.head<2>().norm(), 4.5, 1e-9);
    if (i > 0) {
      EXPECT_GT(std::abs(center.z() - ring.cameras[i - 1].CenterInWorld().z()), 0.5) << "heights alternate";
    }
  }

  const StudioRig stereo = MakeStudioRig("stereo2");
  ASSERT_EQ(stereo.cameras.size(), 2u);
  EXPECT_NEAR((stereo.cameras[0].CenterInWorld() - stereo.cameras[1].CenterInWorld()).norm(), 1.5, 0.05);
  // Converging: the optical axes are not parallel and meet in front of the cameras.
  const Eigen::Vector3d f0 = stereo.cameras[0].cam_from_world.rotation.conjugate() * Eigen::Vector3d::UnitZ();
  const Eigen::Vector3d f1 = stereo.cameras[1].cam_from_world.rotation.conjugate() * Eigen::Vector3d::UnitZ();
  EXPECT_GT(std::acos(f0.dot(f1)) * 180.0 / EIGEN_PI, 5.0);

  const StudioRig ceiling = MakeStudioRig("ceiling6");
  ASSERT_EQ(ceiling.cameras.size(), 6u);
  for (const Camera& c : ceiling.cameras) {
    EXPECT_GE(c.CenterInWorld().z(), 2.8);
    EXPECT_LE(c.CenterInWorld().z(), 3.2);
    EXPECT_GE(DownAngleDeg(c), 35.0 - 1e-6);
    EXPECT_LE(DownAngleDeg(c), 50.0);
  }
}

TEST(StudioRigs, CamerasLookAtTheAreaCentreWithZUp) {
  for (const auto& name : StudioRigNames()) {
    const StudioRig rig = MakeStudioRig(name);
    std::set<double> focals;
    std::set<std::string> names;
    for (const Camera& c : rig.cameras) {
      EXPECT_TRUE(c.has_extrinsics);
      focals.insert(c.fx);
      names.insert(c.name);
      // The aim point projects onto the principal point (no distortion on the axis).
      const auto centre = c.ImageFromWorld(rig.look_at);
      ASSERT_TRUE(centre.has_value());
      EXPECT_NEAR(centre->x(), c.cx, 1e-6) << name << " " << c.name;
      EXPECT_NEAR(centre->y(), c.cy, 1e-6) << name << " " << c.name;
      // World up is image up.
      const auto above = c.ImageFromWorld(rig.look_at + Eigen::Vector3d(0, 0, 0.5));
      ASSERT_TRUE(above.has_value());
      EXPECT_LT(above->y(), centre->y() - 50.0) << name << " " << c.name;
      EXPECT_LT(std::abs(above->x() - centre->x()), 0.1 * (centre->y() - above->y())) << "small roll only";
      // The camera stands outside the capture area.
      const Eigen::Vector2d d = c.CenterInWorld().head<2>() - rig.area_center;
      EXPECT_TRUE(std::abs(d.x()) > rig.area_half_extents.x() || std::abs(d.y()) > rig.area_half_extents.y());
    }
    EXPECT_EQ(focals.size(), rig.cameras.size()) << name << ": every camera has its own focal length";
    EXPECT_EQ(names.size(), rig.cameras.size());
  }
}

TEST(StudioRigs, DistortionIsSmallAndMonotonicBeyondTheImage) {
  for (const auto& name : StudioRigNames()) {
    for (const Camera& c : MakeStudioRig(name).cameras) {
      const double k1 = c.distortion[0], k2 = c.distortion[1], k3 = c.distortion[4];
      EXPECT_NE(k1, 0.0);
      EXPECT_LT(std::abs(k1), 0.3);
      EXPECT_LT(std::abs(c.distortion[2]), 0.01);
      EXPECT_LT(std::abs(c.distortion[3]), 0.01);
      // Radius of the image corner in normalised coordinates, and 1.5 times that.
      const double corner = std::hypot(std::max(c.cx, c.width - c.cx) / c.fx, std::max(c.cy, c.height - c.cy) / c.fy);
      for (double r = 0.0; r < 1.5 * corner; r += 0.01) {
        const double r2 = r * r;
        const double derivative = 1 + 3 * k1 * r2 + 5 * k2 * r2 * r2 + 7 * k3 * r2 * r2 * r2;
        ASSERT_GT(derivative, 0.2) << name << " " << c.name << " r=" << r;
      }
    }
  }
}

TEST(StudioRigs, ProjectionAgreesWithOpenCv) {
  for (const auto& name : StudioRigNames()) {
    const StudioRig rig = MakeStudioRig(name);
    std::vector<Eigen::Vector3d> points;
    for (int i = 0; i < 50; ++i) {
      points.push_back(Eigen::Vector3d(rig.area_half_extents.x() * std::sin(1.7 * i),
                                       rig.area_half_extents.y() * std::cos(2.3 * i), 0.1 + 0.035 * i));
    }
    for (const Camera& c : rig.cameras) {
      const auto reference = testing::ProjectWithOpenCv(c, points);
      for (size_t i = 0; i < points.size(); ++i) {
        const auto p = c.ImageFromWorld(points[i]);
        ASSERT_TRUE(p.has_value());
        EXPECT_NEAR((*p - reference[i]).norm(), 0.0, 1e-6) << name << " " << c.name;
      }
    }
  }
}

TEST(StudioRigs, LookAtPlacesTheCamera) {
  const Eigen::Vector3d center(3.0, -2.0, 1.7), target(0.0, 0.5, 1.0);
  const Rigid3d cam_from_world = LookAt(center, target, 2.0);
  EXPECT_NEAR((cam_from_world.Inverse().translation - center).norm(), 0.0, 1e-12);
  const Eigen::Vector3d t = cam_from_world * target;
  EXPECT_NEAR(t.x(), 0.0, 1e-12);
  EXPECT_NEAR(t.y(), 0.0, 1e-12);
  EXPECT_NEAR(t.z(), (target - center).norm(), 1e-12);
  EXPECT_NEAR(cam_from_world.rotation.norm(), 1.0, 1e-12);
}

TEST(StudioRigs, UnknownRigIsAnInputErrorListingTheRigs) {
  try {
    MakeStudioRig("ring9");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("ring9"), std::string::npos);
    for (const auto& name : StudioRigNames()) EXPECT_NE(what.find(name), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace epilabel
