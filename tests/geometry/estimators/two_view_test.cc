#include "geometry/estimators/two_view.h"

#include <random>

#include <gtest/gtest.h>

#include "tests/geometry/rig_fixture.h"
#include "tests/draw_order.h"

namespace epilabel {
namespace {

struct Pair {
  std::vector<Eigen::Vector2d> n1, n2;  // normalised, undistorted
};

// Points in a 3 x 3 x 1.8 m box (a person walking about a studio) around the rig's target seen by cameras a and b, with Gaussian pixel
// noise (per axis) and a share of gross outliers in the second view.
Pair MakePair(const Camera& a, const Camera& b, int n, double noise_px, double outlier_rate, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.5, 1.5), unit(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, noise_px);
  Pair p;
  while (static_cast<int>(p.n1.size()) < n) {
    const Eigen::Vector3d x = testing::DrawLastFirst<3>([&] { return u(rng); }).cwiseProduct(Eigen::Vector3d(1.0, 1.0, 0.6)) + Eigen::Vector3d(0.0, 0.0, 1.0);
    auto xa = a.ImageFromWorld(x), xb = b.ImageFromWorld(x);
    if (!xa || !xb || !a.IsInImage(*xa) || !b.IsInImage(*xb)) continue;
    *xa += testing::DrawLastFirst<2>([&] { return noise(rng); });
    *xb += testing::DrawLastFirst<2>([&] { return noise(rng); });
    if (unit(rng) < outlier_rate) *xb += testing::DrawLastFirst<2>([&] { return unit(rng); }).cwiseProduct(Eigen::Vector2d(150.0, -90.0)) + Eigen::Vector2d(80.0, 0.0);
    p.n1.push_back(a.NormalizedFromImage(*xa));
    p.n2.push_back(b.NormalizedFromImage(*xb));
  }
  return p;
}

// Errors of an estimate against the true relative pose: rotation (degrees) and the angle
// between the translation directions (degrees).
std::pair<double, double> PoseErrors(const Camera& a, const Camera& b, const TwoViewGeometry& g) {
  const Rigid3d truth = b.cam_from_world * a.cam_from_world.Inverse();
  const double rot = RotationAngleDeg(g.cam2_from_cam1.rotation * truth.rotation.conjugate());
  const double cosang = g.cam2_from_cam1.translation.normalized().dot(truth.translation.normalized());
  return {rot, std::acos(std::clamp(cosang, -1.0, 1.0)) * 180.0 / M_PI};
}

TEST(EstimateRelativeCameraPose, ExactWithoutNoise) {
  const Rig rig = testing::RingRig(4);
  const Pair p = MakePair(rig[0], rig[1], 300, 0.0, 0.0, 1);
  const TwoViewGeometry g = EstimateRelativeCameraPose(p.n1, p.n2, rig[0].MeanFocal(), rig[1].MeanFocal(), TwoViewOptions{});
  ASSERT_TRUE(g.success);
  EXPECT_EQ(g.num_inliers, 300);
  const auto [rot, dir] = PoseErrors(rig[0], rig[1], g);
  EXPECT_LT(rot, 1e-4);
  EXPECT_LT(dir, 1e-3);
  EXPECT_DOUBLE_EQ(g.threshold_px, TwoViewOptions{}.threshold_px);
  EXPECT_GT(g.median_angle_deg, 30.0);  // cameras 90 degrees apart on the ring
}

// A noisy detector (10 px per axis) with 5 % outliers: the fixed threshold keeps too few
// inliers for the view graph's 30 % rule; the adaptive one measures the noise on the model,
// widens the threshold and keeps most correspondences, but not the outliers.
TEST(EstimateRelativeCameraPose, WidensTheThresholdForNoisyDetections) {
  const Rig rig = testing::RingRig(4);
  const Pair p = MakePair(rig[0], rig[1], 2000, 10.0, 0.05, 2);
  TwoViewOptions fixed;
  fixed.max_adaptive_threshold_px = 0.0;
  const TwoViewGeometry g0 = EstimateRelativeCameraPose(p.n1, p.n2, rig[0].MeanFocal(), rig[1].MeanFocal(), fixed);
  EXPECT_LT(g0.num_inliers, 0.3 * 2000);
  const TwoViewGeometry g = EstimateRelativeCameraPose(p.n1, p.n2, rig[0].MeanFocal(), rig[1].MeanFocal(), TwoViewOptions{});
  ASSERT_TRUE(g.success);
  EXPECT_GT(g.threshold_px, 20.0);
  EXPECT_LE(g.threshold_px, TwoViewOptions{}.max_adaptive_threshold_px);
  EXPECT_GT(g.num_inliers, 0.75 * 2000);
  // The model is the fixed threshold's (re-estimating with the wide threshold gave 4x worse
  // rotations); only the inliers are re-counted. Two noisy views leave ~1.5 degrees for the
  // bundle adjustment to remove.
  EXPECT_TRUE(g.cam2_from_cam1.rotation.isApprox(g0.cam2_from_cam1.rotation, 1e-12));
  const auto [rot, dir] = PoseErrors(rig[0], rig[1], g);
  EXPECT_LT(rot, 3.0);
  EXPECT_LT(dir, 2.0);
}

TEST(EstimateRelativeCameraPose, TooFewCorrespondencesIsNoSuccess) {
  const Rig rig = testing::RingRig(4);
  const Pair p = MakePair(rig[0], rig[1], 6, 0.0, 0.0, 3);
  const TwoViewGeometry g = EstimateRelativeCameraPose(p.n1, p.n2, 1000.0, 1000.0, TwoViewOptions{});
  EXPECT_FALSE(g.success);
  EXPECT_EQ(g.num_correspondences, 6);
  EXPECT_EQ(g.inlier_mask.size(), 6u);
}

}  // namespace
}  // namespace epilabel
