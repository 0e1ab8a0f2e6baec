#include "geometry/estimators/resection.h"

#include <random>

#include <gtest/gtest.h>

#include "tests/geometry/rig_fixture.h"
#include "tests/draw_order.h"

namespace epilabel {
namespace {

struct Correspondences {
  std::vector<Eigen::Vector3d> points;
  std::vector<Eigen::Vector2d> pixels, normalized;
};

Correspondences Make(const Camera& cam, int n, double noise_px, double outlier_rate, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-0.8, 0.8);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, noise_px);
  Correspondences c;
  while (static_cast<int>(c.points.size()) < n) {
    const Eigen::Vector3d p = testing::DrawLastFirst<3>([&] { return u(rng); }) + Eigen::Vector3d(0.0, 0.0, 1.0);
    auto px = cam.ImageFromWorld(p);
    if (!px || !cam.IsInImage(*px)) continue;
    *px += testing::DrawLastFirst<2>([&] { return noise(rng); });
    if (unit(rng) < outlier_rate) *px += Eigen::Vector2d(50 + 100 * unit(rng), -60);
    c.points.push_back(p);
    c.pixels.push_back(*px);
    c.normalized.push_back(cam.NormalizedFromImage(*px));
  }
  return c;
}

TEST(EstimateResection, RecoversPoseWithKnownIntrinsics) {
  const Camera cam = testing::RingRig(5)[2];
  const Correspondences c = Make(cam, 300, 1.0, 0.2, 1);
  const ResectionResult r = EstimateResection(c.points, c.normalized, cam.MeanFocal(), ResectionOptions{});
  ASSERT_TRUE(r.success);
  EXPECT_LT(RotationAngleDeg(r.cam_from_world.rotation * cam.cam_from_world.rotation.conjugate()), 0.2);
  EXPECT_LT((r.cam_from_world.Inverse().translation - cam.CenterInWorld()).norm(), 0.02);
  EXPECT_GT(r.num_inliers, 220);
  EXPECT_LT(r.rms_error_px, 2.0);
}

TEST(EstimateResectionUnknownFocal, RecoversFocalAndPose) {
  Camera cam = testing::RingRig(5)[1];
  cam.distortion = Distortion{};
  cam.fy = cam.fx;
  const Correspondences c = Make(cam, 300, 1.0, 0.2, 2);
  const ResectionResult r =
      EstimateResectionUnknownFocal(c.points, c.pixels, Eigen::Vector2d(cam.cx, cam.cy), ResectionOptions{});
  ASSERT_TRUE(r.success);
  EXPECT_NEAR(r.focal_px / cam.fx, 1.0, 0.01);
  EXPECT_LT(RotationAngleDeg(r.cam_from_world.rotation * cam.cam_from_world.rotation.conjugate()), 0.3);
  EXPECT_LT((r.cam_from_world.Inverse().translation - cam.CenterInWorld()).norm(), 0.03);
}

TEST(EstimateResectionUnknownFocal, ExactWithoutNoise) {
  Camera cam = testing::RingRig(3)[0];
  cam.distortion = Distortion{};
  cam.fy = cam.fx;
  const Correspondences c = Make(cam, 50, 0.0, 0.0, 3);
  const ResectionResult r =
      EstimateResectionUnknownFocal(c.points, c.pixels, Eigen::Vector2d(cam.cx, cam.cy), ResectionOptions{});
  ASSERT_TRUE(r.success);
  EXPECT_NEAR(r.focal_px, cam.fx, 1e-6 * cam.fx);
  EXPECT_LT(r.rms_error_px, 1e-6);
}

}  // namespace
}  // namespace epilabel
