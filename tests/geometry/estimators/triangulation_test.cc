#include "geometry/estimators/triangulation.h"

#include <random>

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include "tests/geometry/rig_fixture.h"
#include "tests/draw_order.h"

namespace epilabel {
namespace {

std::vector<PointView> ViewsOf(const Rig& rig, const Eigen::Vector3d& point, double noise_px = 0.0,
                               uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n(0.0, noise_px);
  std::vector<PointView> views;
  for (const Camera& cam : rig) {
    auto px = cam.ImageFromWorld(point);
    if (!px) continue;
    if (noise_px > 0) *px += testing::DrawLastFirst<2>([&] { return n(rng); });
    PointView v;
    v.rotation = cam.cam_from_world.RotationMatrix();
    v.translation = cam.cam_from_world.translation;
    v.normalized = cam.NormalizedFromImage(*px);
    v.focal_px = cam.MeanFocal();
    v.weight = 1.0;
    views.push_back(v);
  }
  return views;
}

TEST(TriangulateLinear, ExactWithoutNoise) {
  const Rig rig = testing::RingRig(4);
  const Eigen::Vector3d point(0.3, -0.2, 1.4);
  const auto views = ViewsOf(rig, point);
  ASSERT_EQ(views.size(), 4u);
  const auto x = TriangulateLinear(views.data(), 4);
  ASSERT_TRUE(x.has_value());
  EXPECT_LT((*x - point).norm(), 1e-9);
  const auto two = TriangulateLinear(views.data(), 2);
  ASSERT_TRUE(two.has_value());
  EXPECT_LT((*two - point).norm(), 1e-9);
}

TEST(TriangulateLinear, DegenerateInputsGiveNothing) {
  const Rig rig = testing::RingRig(4);
  auto views = ViewsOf(rig, Eigen::Vector3d(0, 0, 1));
  EXPECT_FALSE(TriangulateLinear(views.data(), 1).has_value());
  // The same view twice: parallel rays.
  views[1] = views[0];
  EXPECT_FALSE(TriangulateLinear(views.data(), 2).has_value());
}

TEST(RefineTriangulation, LowersReprojectionErrorAndStaysNearTruth) {
  const Rig rig = testing::RingRig(6);
  const Eigen::Vector3d point(-0.4, 0.5, 0.3);
  auto views = ViewsOf(rig, point, 2.0, 3);
  // Unequal weights make the algebraic and geometric optima differ.
  for (size_t i = 0; i < views.size(); ++i) views[i].weight = 0.3 + 0.1 * i;
  const Eigen::Vector3d linear = *TriangulateLinear(views.data(), 6);
  const Eigen::Vector3d refined = RefineTriangulation(views.data(), 6, linear, 5);
  auto cost = [&](const Eigen::Vector3d& x) {
    double c = 0;
    for (const auto& v : views) c += v.weight * std::pow(ReprojectionErrorPx(v, x), 2);
    return c;
  };
  EXPECT_LE(cost(refined), cost(linear) + 1e-12);
  EXPECT_LT((refined - point).norm(), 0.01);
}

TEST(TriangulationCovariance, ShrinksWithMoreViewsAndGrowsWithNoise) {
  const Rig rig = testing::RingRig(8);
  const Eigen::Vector3d point(0.1, 0.1, 1.0);
  const auto views = ViewsOf(rig, point);
  const double two = TriangulationCovariance(views.data(), 2, point, 2.0).trace();
  const double eight = TriangulationCovariance(views.data(), 8, point, 2.0).trace();
  const double eight_noisy = TriangulationCovariance(views.data(), 8, point, 6.0).trace();
  EXPECT_GT(two, eight);
  EXPECT_NEAR(eight_noisy / eight, 9.0, 1e-6);  // noise-free residuals: the prior alone sets sigma
  // Order of magnitude: 2 px at ~4 m with f ~1100 px is a few millimetres.
  EXPECT_GT(std::sqrt(eight), 0.0005);
  EXPECT_LT(std::sqrt(eight), 0.02);
}

TEST(EstimateTriangulation, RejectsGrossOutliersAmongManyViews) {
  const Rig rig = testing::RingRig(16, 5.0);
  const Eigen::Vector3d point(0.2, 0.3, 1.2);
  auto views = ViewsOf(rig, point, 1.0, 5);
  ASSERT_EQ(views.size(), 16u);
  // Five views replaced by observations 40-200 px away, some confident.
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> u(40.0, 200.0);
  for (int i : {0, 3, 7, 8, 12}) {
    views[i].normalized += testing::DrawLastFirst<2>([&] { return u(rng); }).cwiseProduct(Eigen::Vector2d(1.0, -1.0)) / views[i].focal_px;
    views[i].weight = 0.9;
  }
  RobustTriangulationOptions options;
  const RobustTriangulation r = EstimateTriangulation(views.data(), 16, options);
  ASSERT_TRUE(r.success);
  EXPECT_EQ(r.num_inliers, 11);
  for (int i : {0, 3, 7, 8, 12}) EXPECT_FALSE(r.inlier_mask & (uint64_t{1} << i)) << i;
  EXPECT_LT((r.point - point).norm(), 0.01);
  EXPECT_LT(r.mean_error_px, 3.0);
  // The adaptive search stops long before trying all 120 pairs.
  EXPECT_LT(r.pairs_tried, 40);
}

TEST(EstimateTriangulation, CleanViewsTakeTheFastPath) {
  const Rig rig = testing::RingRig(8);
  const auto views = ViewsOf(rig, Eigen::Vector3d(0, 0, 1), 1.0, 2);
  const RobustTriangulation r = EstimateTriangulation(views.data(), 8, RobustTriangulationOptions{});
  ASSERT_TRUE(r.success);
  EXPECT_EQ(r.num_inliers, 8);
  EXPECT_EQ(r.pairs_tried, 0);
}

TEST(EstimateTriangulation, FailsWhenNoTwoViewsAgree) {
  const Rig rig = testing::RingRig(3);
  auto views = ViewsOf(rig, Eigen::Vector3d(0, 0, 1));
  views[1].normalized += Eigen::Vector2d(0.2, 0.1);
  views[2].normalized += Eigen::Vector2d(-0.15, 0.2);
  RobustTriangulationOptions options;
  options.min_views = 3;
  EXPECT_FALSE(EstimateTriangulation(views.data(), 3, options).success);
}

// Two consistent groups of views: four see the point, two agree on a point 0.5 m away. The
// best consensus is the four; a test that rejects points near the truth leaves the two.
TEST(EstimateTriangulationAccepted, BestConsensusThatPassesTheTest) {
  const Rig rig = testing::RingRig(6);
  const Eigen::Vector3d point(0.1, -0.1, 1.0), other(0.6, -0.1, 1.0);
  auto views = ViewsOf(rig, point);
  const auto decoy = ViewsOf(rig, other);
  ASSERT_EQ(views.size(), 6u);
  views[1] = decoy[1];
  views[4] = decoy[4];
  RobustTriangulationOptions options;
  const RobustTriangulation any =
      EstimateTriangulationAccepted(views.data(), 6, options, [](const Eigen::Vector3d&) { return true; });
  ASSERT_TRUE(any.success);
  EXPECT_EQ(any.inlier_mask, 0b101101u);
  EXPECT_LT((any.point - point).norm(), 1e-6);
  const RobustTriangulation far = EstimateTriangulationAccepted(
      views.data(), 6, options, [&](const Eigen::Vector3d& x) { return (x - point).norm() > 0.2; });
  ASSERT_TRUE(far.success);
  EXPECT_EQ(far.inlier_mask, 0b010010u);
  EXPECT_LT((far.point - other).norm(), 1e-6);
  EXPECT_FALSE(EstimateTriangulationAccepted(views.data(), 6, options, [](const Eigen::Vector3d&) { return false; })
                   .success);
}

// Noise-free observations of every point in every camera, confidence 0.9.
Observations2d ExactObservations(const Rig& rig, const Points3d& truth) {
  Observations2d obs(static_cast<int>(rig.size()), truth.num_frames(), truth.num_joints());
  for (camera_t c = 0; c < obs.num_cameras(); ++c)
    for (frame_t f = 0; f < truth.num_frames(); ++f)
      for (joint_t j = 0; j < truth.num_joints(); ++j) obs.at(c, f, j) << *rig[c].ImageFromWorld(truth.at(f, j)), 0.9;
  return obs;
}

// A three-camera scene where one view of joint 1 is moved along its epipolar line with camera
// 0: views 0 and 2 then agree on a point 0.4 m away from where the bone to joint 0 says it is.
// With the bone given, the point is re-fit from the two views that fit the skeleton.
TEST(TriangulateSequence, SkeletonCheckRefitsAJointThatMissesItsBones) {
  const Rig rig = testing::RingRig(3);
  const int frames = 40;
  Points3d truth(frames, 2);
  for (frame_t f = 0; f < frames; ++f) {
    truth.at(f, 0) = Eigen::Vector3d(0.1 * std::sin(0.2 * f), 0.0, 1.0);
    truth.at(f, 1) = truth.at(f, 0) + Eigen::Vector3d(0.0, 0.3 * std::cos(0.1 * f), 0.3 * std::sin(0.1 * f) + 0.1);
  }
  Observations2d obs = ExactObservations(rig, truth);
  // Frame 7: joint 1 in camera 2 is the projection of a point 0.4 m further along camera 0's
  // ray, so cameras 0 and 2 agree on it and only camera 1 disagrees.
  const frame_t bad = 7;
  const Eigen::Vector3d c0 = rig[0].CenterInWorld();
  const Eigen::Vector3d wrong = truth.at(bad, 1) + 0.4 * (truth.at(bad, 1) - c0).normalized();
  obs.at(2, bad, 1).head<2>() = *rig[2].ImageFromWorld(wrong);
  obs.at(2, bad, 1).z() = 0.95;
  obs.at(1, bad, 1).z() = 0.5;
  TriangulationOptions options;
  options.adaptive_threshold = false;
  TriangulationResult plain = TriangulateSequence(rig, obs, options);
  ASSERT_TRUE(plain.points.IsValid(bad, 1));
  EXPECT_GT((plain.points.at(bad, 1) - truth.at(bad, 1)).norm(), 0.1);  // the wrong pair won
  options.bones = {{0, 1}};
  const TriangulationResult checked = TriangulateSequence(rig, obs, options);
  ASSERT_TRUE(checked.points.IsValid(bad, 1));
  EXPECT_LT((checked.points.at(bad, 1) - truth.at(bad, 1)).norm(), 1e-6);
  EXPECT_EQ(checked.summary.num_bone_fixed, 1);
  EXPECT_EQ(checked.summary.num_bone_dropped, 0);
  // The other frames are untouched.
  for (frame_t f = 0; f < frames; ++f)
    if (f != bad) {
      EXPECT_LT((checked.points.at(f, 1) - truth.at(f, 1)).norm(), 1e-6);
    }
}

// The skeleton check's tolerance follows the measured spread of each bone: a bone of constant
// length (no spread) flags a joint 20 % off its length, which the fixed 30 % tolerance
// (bone_tolerance_sigmas 0) lets through.
TEST(TriangulateSequence, SkeletonToleranceAdaptsToTheMeasuredBoneSpread) {
  const Rig rig = testing::RingRig(3);
  const int frames = 40;
  const double length = 0.3;
  Points3d truth(frames, 2);
  for (frame_t f = 0; f < frames; ++f) {
    truth.at(f, 0) = Eigen::Vector3d(0.1 * std::sin(0.2 * f), 0.0, 1.0);
    truth.at(f, 1) = truth.at(f, 0) + length * Eigen::Vector3d(0.0, std::cos(0.1 * f), std::sin(0.1 * f));
  }
  Observations2d obs = ExactObservations(rig, truth);
  // Frame 7: joint 1 in camera 2 moved to a point along camera 0's ray whose bone is 20 % long.
  const frame_t bad = 7;
  const Eigen::Vector3d ray = (truth.at(bad, 1) - rig[0].CenterInWorld()).normalized();
  Eigen::Vector3d wrong = truth.at(bad, 1);
  for (double t = 0.0; t < 1.0 && (wrong - truth.at(bad, 0)).norm() < 1.2 * length; t += 1e-4)
    wrong = truth.at(bad, 1) + t * ray;
  ASSERT_NEAR((wrong - truth.at(bad, 0)).norm(), 1.2 * length, 1e-3);
  obs.at(2, bad, 1).head<2>() = *rig[2].ImageFromWorld(wrong);
  obs.at(2, bad, 1).z() = 0.95;
  obs.at(1, bad, 1).z() = 0.5;
  TriangulationOptions options;
  options.adaptive_threshold = false;
  options.bones = {{0, 1}};
  options.bone_tolerance_sigmas = 0.0;
  const TriangulationResult fixed = TriangulateSequence(rig, obs, options);
  ASSERT_TRUE(fixed.points.IsValid(bad, 1));
  EXPECT_GT((fixed.points.at(bad, 1) - truth.at(bad, 1)).norm(), 0.03);  // within 30 %: kept
  EXPECT_EQ(fixed.summary.num_bone_fixed, 0);
  options.bone_tolerance_sigmas = 4.0;
  const TriangulationResult adaptive = TriangulateSequence(rig, obs, options);
  ASSERT_TRUE(adaptive.points.IsValid(bad, 1));
  EXPECT_LT((adaptive.points.at(bad, 1) - truth.at(bad, 1)).norm(), 1e-6);
  EXPECT_EQ(adaptive.summary.num_bone_fixed, 1);
}

// A two-joint "skeleton" (left, right wrist) observed by 6 cameras with a swap in one view.
TEST(TriangulateSequence, RepairsLeftRightSwapsAndMarksMissingJoints) {
  const Rig rig = testing::RingRig(6);
  const int frames = 5;
  Points3d truth(frames, 3);
  for (frame_t f = 0; f < frames; ++f) {
    truth.at(f, 0) = Eigen::Vector3d(0.25, 0.0, 1.0 + 0.01 * f);
    truth.at(f, 1) = Eigen::Vector3d(-0.25, 0.05, 1.0);
    truth.at(f, 2) = Eigen::Vector3d(0.0, 0.0, 1.7);
  }
  Observations2d obs = ExactObservations(rig, truth);
  std::swap(obs.at(2, 1, 0), obs.at(2, 1, 1));  // swap in camera 2, frame 1
  std::swap(obs.at(4, 3, 0), obs.at(4, 3, 1));  // and camera 4, frame 3
  // Joint 2 of frame 4 seen by one camera only: cannot be triangulated.
  for (camera_t c = 1; c < 6; ++c) obs.at(c, 4, 2).setZero();
  TriangulationOptions options;
  options.symmetric_pairs = {{0, 1}};
  const TriangulationResult r = TriangulateSequence(rig, obs, options);
  EXPECT_EQ(r.summary.num_swaps_fixed, 2);
  for (frame_t f = 0; f < frames; ++f) {
    for (joint_t j = 0; j < 2; ++j) {
      ASSERT_TRUE(r.points.IsValid(f, j));
      EXPECT_LT((r.points.at(f, j) - truth.at(f, j)).norm(), 1e-6);
      EXPECT_EQ(r.num_views.at(f, j), 6) << "frame " << f;  // the repaired views are used again
    }
  }
  EXPECT_FALSE(r.points.IsValid(4, 2));
  EXPECT_EQ(r.num_views.at(4, 2), 0);
  EXPECT_TRUE(std::isnan(r.reproj_error_px.at(4, 2)));
  EXPECT_TRUE((r.repaired.at(2, 1, 0) - obs.at(2, 1, 1)).norm() < 1e-12);
  EXPECT_EQ(r.summary.num_triangulated, frames * 3 - 1);
  EXPECT_NEAR(r.summary.joint_triangulated_share[2], 0.8, 1e-12);
}

TEST(TriangulateSequence, IgnoresNanZeroConfidenceAndLowConfidence) {
  const Rig rig = testing::RingRig(4);
  Observations2d obs(4, 1, 1);
  const Eigen::Vector3d p(0, 0, 1);
  for (camera_t c = 0; c < 4; ++c) obs.at(c, 0, 0) << *rig[c].ImageFromWorld(p), 0.8;
  obs.at(0, 0, 0).x() = std::numeric_limits<double>::quiet_NaN();
  obs.at(1, 0, 0).z() = 0.0;
  obs.at(2, 0, 0).z() = 0.05;  // below min_confidence
  TriangulationOptions options;
  const auto r = TriangulateSequence(rig, obs, options);
  EXPECT_FALSE(r.points.IsValid(0, 0));  // one usable view left
  obs.at(2, 0, 0).z() = 0.5;
  const auto r2 = TriangulateSequence(rig, obs, options);
  ASSERT_TRUE(r2.points.IsValid(0, 0));
  EXPECT_EQ(r2.num_views.at(0, 0), 2);
}

TEST(TriangulateSequence, SameResultWithOneOrManyThreads) {
  const Rig rig = testing::RingRig(8);
  const int frames = 400, joints = 6;
  Observations2d obs(8, frames, joints);
  std::mt19937 rng(4);
  std::normal_distribution<double> noise(0.0, 2.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (frame_t f = 0; f < frames; ++f)
    for (joint_t j = 0; j < joints; ++j) {
      const Eigen::Vector3d p(0.3 * std::sin(0.05 * f + j), 0.2 * j - 0.5, 0.3 + 0.25 * j);
      for (camera_t c = 0; c < 8; ++c) {
        Eigen::Vector2d px = *rig[c].ImageFromWorld(p) + testing::DrawLastFirst<2>([&] { return noise(rng); });
        if (u(rng) < 0.05) px += Eigen::Vector2d(80, -60);
        obs.at(c, f, j) << px, 0.3 + 0.7 * u(rng);
      }
    }
  TriangulationOptions options;
  options.symmetric_pairs = {{0, 1}, {2, 3}};
  TriangulationResult one, many;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = TriangulateSequence(rig, obs, options);
  }
  many = TriangulateSequence(rig, obs, options);
  ASSERT_EQ(one.points.data().size(), many.points.data().size());
  for (size_t i = 0; i < one.points.data().size(); ++i) {
    const auto& a = one.points.data()[i];
    const auto& b = many.points.data()[i];
    EXPECT_TRUE((a.array() == b.array()).all() || (!a.allFinite() && !b.allFinite()));
  }
  EXPECT_EQ(one.summary.num_outliers_dropped, many.summary.num_outliers_dropped);
  EXPECT_EQ(one.summary.mean_error_px, many.summary.mean_error_px);
  EXPECT_GT(one.summary.num_outliers_dropped, 0);
}

}  // namespace
}  // namespace epilabel
