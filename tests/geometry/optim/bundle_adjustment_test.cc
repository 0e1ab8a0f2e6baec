#include "geometry/optim/bundle_adjustment.h"

#include <memory>
#include <random>

#include <gtest/gtest.h>

#include "geometry/optim/cost_functions/reprojection.h"
#include "tests/geometry/rig_fixture.h"
#include "tests/draw_order.h"

namespace epilabel {
namespace {

// Evaluates a cost function with residuals of size 2 and blocks {6, 3}.
void EvaluateCost(const ceres::CostFunction& cost, const double* pose, const double* point, Eigen::Vector2d* residual,
                  Eigen::Matrix<double, 2, 6, Eigen::RowMajor>* j_pose, Eigen::Matrix<double, 2, 3, Eigen::RowMajor>* j_point) {
  const double* parameters[2] = {pose, point};
  double* jacobians[2] = {j_pose->data(), j_point->data()};
  ASSERT_TRUE(cost.Evaluate(parameters, residual->data(), jacobians));
}

// The analytic cost of the final bundle adjustment against the autodiff functor: same residuals
// and Jacobians, for large and tiny rotations (the small-angle branch), distortion with all five
// coefficients, and a point behind the camera.
TEST(BundleAdjustmentCost, AnalyticJacobiansMatchAutodiff) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const double intrinsics[kIntrinsicsBlockSize] = {1150.0, 640.0, 470.0, -0.21, 0.09, 0.0012, -0.0008, -0.02};
  const double aspect = 1.003;
  int compared = 0;
  for (int trial = 0; trial < 300; ++trial) {
    double pose[6];
    const double angle_scale = trial % 3 == 0 ? 2.5 : (trial % 3 == 1 ? 1e-3 : 1e-9);
    for (int i = 0; i < 3; ++i) pose[i] = angle_scale * u(rng);
    pose[3] = 0.3 * u(rng);
    pose[4] = 0.3 * u(rng);
    pose[5] = 4.0 + u(rng);
    // A point in front of the camera: back-project a pixel-ish direction at 2-6 m depth.
    const Eigen::Vector3d r(pose[0], pose[1], pose[2]);
    const Eigen::Matrix3d rot = RotationFromRodrigues(r);
    const Eigen::Vector3d p_cam(0.4 * u(rng), 0.3 * u(rng), 1.0);
    const Eigen::Vector3d point_world =
        rot.transpose() * ((4.0 + 2.0 * u(rng)) * p_cam - Eigen::Vector3d(pose[3], pose[4], pose[5]));
    double point[3] = {point_world.x(), point_world.y(), point_world.z()};
    const Eigen::Vector2d observed(600.0 + 50.0 * u(rng), 500.0 + 50.0 * u(rng));
    const double weight = 0.4 + 0.5 * (u(rng) + 1.0);

    std::unique_ptr<ceres::CostFunction> analytic(
        FixedIntrinsicsReprojectionCost::Create(intrinsics, observed, weight, aspect));
    std::unique_ptr<ceres::CostFunction> autodiff(
        FixedIntrinsicsReprojectionError::Create(intrinsics, observed, weight, aspect));
    Eigen::Vector2d ra, rd;
    Eigen::Matrix<double, 2, 6, Eigen::RowMajor> pa, pd;
    Eigen::Matrix<double, 2, 3, Eigen::RowMajor> xa, xd;
    EvaluateCost(*analytic, pose, point, &ra, &pa, &xa);
    EvaluateCost(*autodiff, pose, point, &rd, &pd, &xd);
    EXPECT_NEAR((ra - rd).norm(), 0.0, 1e-9 * (1.0 + rd.norm())) << "trial " << trial;
    EXPECT_LT((pa - pd).norm(), 1e-7 * (1.0 + pd.norm())) << "trial " << trial << "\n" << pa << "\n" << pd;
    EXPECT_LT((xa - xd).norm(), 1e-7 * (1.0 + xd.norm())) << "trial " << trial;
    ++compared;
  }
  EXPECT_EQ(compared, 300);

  // The intrinsics-refining cost (pose, intrinsics, point) against its autodiff functor.
  for (int trial = 0; trial < 100; ++trial) {
    double pose[6], intr[kIntrinsicsBlockSize];
    for (int i = 0; i < 3; ++i) pose[i] = (trial % 2 ? 2.0 : 1e-9) * u(rng);
    pose[3] = 0.3 * u(rng), pose[4] = 0.3 * u(rng), pose[5] = 4.0 + u(rng);
    for (int i = 0; i < kIntrinsicsBlockSize; ++i) intr[i] = intrinsics[i] * (1.0 + 0.2 * u(rng));
    const Eigen::Matrix3d rot = RotationFromRodrigues(Eigen::Vector3d(pose[0], pose[1], pose[2]));
    const Eigen::Vector3d p_cam(0.4 * u(rng), 0.3 * u(rng), 1.0);
    const Eigen::Vector3d xw = rot.transpose() * ((4.0 + 2.0 * u(rng)) * p_cam - Eigen::Vector3d(pose[3], pose[4], pose[5]));
    const double point[3] = {xw.x(), xw.y(), xw.z()};
    const Eigen::Vector2d observed(600.0 + 50.0 * u(rng), 500.0 + 50.0 * u(rng));
    std::unique_ptr<ceres::CostFunction> analytic(ReprojectionCost::Create(observed, 0.7, aspect));
    std::unique_ptr<ceres::CostFunction> autodiff(ReprojectionError::Create(observed, 0.7, aspect));
    const double* parameters[3] = {pose, intr, point};
    Eigen::Vector2d ra, rd;
    Eigen::Matrix<double, 2, 6, Eigen::RowMajor> pa, pd;
    Eigen::Matrix<double, 2, kIntrinsicsBlockSize, Eigen::RowMajor> ia, id;
    Eigen::Matrix<double, 2, 3, Eigen::RowMajor> xa, xd;
    double* ja[3] = {pa.data(), ia.data(), xa.data()};
    double* jd[3] = {pd.data(), id.data(), xd.data()};
    ASSERT_TRUE(analytic->Evaluate(parameters, ra.data(), ja));
    ASSERT_TRUE(autodiff->Evaluate(parameters, rd.data(), jd));
    EXPECT_NEAR((ra - rd).norm(), 0.0, 1e-9 * (1.0 + rd.norm())) << "trial " << trial;
    EXPECT_LT((pa - pd).norm(), 1e-7 * (1.0 + pd.norm())) << "trial " << trial;
    EXPECT_LT((ia - id).norm(), 1e-7 * (1.0 + id.norm())) << "trial " << trial << "\n" << ia << "\n" << id;
    EXPECT_LT((xa - xd).norm(), 1e-7 * (1.0 + xd.norm())) << "trial " << trial;
  }

  // Behind the camera: constant penalty, zero derivatives, in both.
  const double pose[6] = {0.1, -0.2, 0.05, 0.0, 0.0, 0.0};
  const Eigen::Matrix3d rot = RotationFromRodrigues(Eigen::Vector3d(pose[0], pose[1], pose[2]));
  const Eigen::Vector3d behind = rot.transpose() * Eigen::Vector3d(0.1, 0.2, -3.0);
  const double point[3] = {behind.x(), behind.y(), behind.z()};
  std::unique_ptr<ceres::CostFunction> analytic(
      FixedIntrinsicsReprojectionCost::Create(intrinsics, Eigen::Vector2d(1, 2), 0.25, aspect));
  Eigen::Vector2d ra;
  Eigen::Matrix<double, 2, 6, Eigen::RowMajor> pa;
  Eigen::Matrix<double, 2, 3, Eigen::RowMajor> xa;
  EvaluateCost(*analytic, pose, point, &ra, &pa, &xa);
  EXPECT_DOUBLE_EQ(ra.x(), 0.5 * 1e3);
  EXPECT_DOUBLE_EQ(pa.norm() + xa.norm(), 0.0);
}

// The fisheye lens in the analytic costs against the autodiff functors: points up to 80 degrees
// off the axis and on it (the first-order branch below r = 1e-8), every intrinsics entry.
TEST(BundleAdjustmentCost, FisheyeAnalyticJacobiansMatchAutodiff) {
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const double aspect = 0.998;
  for (int trial = 0; trial < 200; ++trial) {
    double pose[6], intr[kIntrinsicsBlockSize] = {750.0, 955.0, 540.0, 0.05, -0.01, 0.003, -0.0008, 0.0};
    for (int i = 0; i < 3; ++i) pose[i] = (trial % 2 ? 2.0 : 1e-9) * u(rng);
    pose[3] = 0.3 * u(rng), pose[4] = 0.3 * u(rng), pose[5] = 4.0 + u(rng);
    for (int i = 3; i < 7; ++i) intr[i] *= 1.0 + 0.5 * u(rng);
    const Eigen::Matrix3d rot = RotationFromRodrigues(Eigen::Vector3d(pose[0], pose[1], pose[2]));
    const double angle = trial % 10 == 0 ? 1e-10 : 1.4 * std::abs(u(rng)), azimuth = 3.0 * u(rng);
    const Eigen::Vector3d p_cam(std::sin(angle) * std::cos(azimuth), std::sin(angle) * std::sin(azimuth), std::cos(angle));
    const Eigen::Vector3d xw = rot.transpose() * ((2.0 + u(rng)) * p_cam - Eigen::Vector3d(pose[3], pose[4], pose[5]));
    const double point[3] = {xw.x(), xw.y(), xw.z()};
    const Eigen::Vector2d observed(900.0 + 300.0 * u(rng), 500.0 + 200.0 * u(rng));
    std::unique_ptr<ceres::CostFunction> analytic(ReprojectionCost::Create(observed, 0.7, aspect, LensModel::kFisheye));
    std::unique_ptr<ceres::CostFunction> autodiff(ReprojectionError::Create(observed, 0.7, aspect, LensModel::kFisheye));
    const double* parameters[3] = {pose, intr, point};
    Eigen::Vector2d ra, rd;
    Eigen::Matrix<double, 2, 6, Eigen::RowMajor> pa, pd;
    Eigen::Matrix<double, 2, kIntrinsicsBlockSize, Eigen::RowMajor> ia, id;
    Eigen::Matrix<double, 2, 3, Eigen::RowMajor> xa, xd;
    double* ja[3] = {pa.data(), ia.data(), xa.data()};
    double* jd[3] = {pd.data(), id.data(), xd.data()};
    ASSERT_TRUE(analytic->Evaluate(parameters, ra.data(), ja));
    ASSERT_TRUE(autodiff->Evaluate(parameters, rd.data(), jd));
    EXPECT_NEAR((ra - rd).norm(), 0.0, 1e-9 * (1.0 + rd.norm())) << "trial " << trial;
    EXPECT_LT((pa - pd).norm(), 1e-7 * (1.0 + pd.norm())) << "trial " << trial;
    EXPECT_LT((ia - id).norm(), 1e-7 * (1.0 + id.norm())) << "trial " << trial << "\n" << ia << "\n" << id;
    EXPECT_LT((xa - xd).norm(), 1e-7 * (1.0 + xd.norm())) << "trial " << trial;
    EXPECT_EQ(ia(0, 7), 0.0);  // the unused fifth distortion entry
    // The fixed-intrinsics cost agrees with the same Jacobians.
    std::unique_ptr<ceres::CostFunction> fixed(
        FixedIntrinsicsReprojectionCost::Create(intr, observed, 0.7, aspect, LensModel::kFisheye));
    Eigen::Vector2d rf;
    Eigen::Matrix<double, 2, 6, Eigen::RowMajor> pf;
    Eigen::Matrix<double, 2, 3, Eigen::RowMajor> xf;
    EvaluateCost(*fixed, pose, point, &rf, &pf, &xf);
    EXPECT_LT((pf - pd).norm(), 1e-7 * (1.0 + pd.norm())) << "trial " << trial;
  }
}

// Exact observations of random points by a four-camera ring; cameras 2 and 3 and all points
// perturbed; the adjustment (gauge: camera 0 fixed, |C1 - C0| held) returns to the truth.
// A share of the observations is then corrupted by 40 px: they are removed as outliers and the
// cameras still come back.
class BundleAdjustmentScene : public ::testing::Test {
 protected:
  void Build(double outlier_share) {
    truth_ = testing::RingRig(4);
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (int p = 0; p < 400; ++p) {
      const Eigen::Vector3d x(0.8 * u(rng), 0.8 * u(rng), 1.0 + 0.8 * u(rng));
      truth_points_.push_back(x);
      data_.points.push_back(x + 0.05 * testing::DrawLastFirst<3>([&] { return u(rng); }));
      for (camera_t c = 0; c < 4; ++c) {
        BAObservation o;
        o.camera = c;
        o.point = p;
        o.pixel = *truth_[c].ImageFromWorld(x);
        o.weight = 0.8;
        if ((u(rng) + 1.0) / 2.0 < outlier_share) {
          o.pixel += Eigen::Vector2d(40.0, -30.0);
          ++corrupted_;
        }
        data_.observations.push_back(o);
      }
    }
    rig_ = testing::NudgeCameras(truth_, 2);
  }

  double MaxRotationErrorDeg() const {
    double worst = 0.0;
    for (camera_t c = 0; c < 4; ++c) {
      worst = std::max(worst, rig_[c].cam_from_world.rotation.angularDistance(truth_[c].cam_from_world.rotation) *
                                  180.0 / M_PI);
    }
    return worst;
  }
  double MaxCenterErrorM() const {
    double worst = 0.0;
    for (camera_t c = 0; c < 4; ++c)
      worst = std::max(worst, (rig_[c].CenterInWorld() - truth_[c].CenterInWorld()).norm());
    return worst;
  }

  Rig truth_, rig_;
  std::vector<Eigen::Vector3d> truth_points_;
  BAProblemData data_;
  int corrupted_ = 0;
};

TEST_F(BundleAdjustmentScene, ExactObservationsReturnToTheTruth) {
  Build(0.0);
  ASSERT_GT(MaxRotationErrorDeg(), 1.0);
  BundleAdjustmentOptions options;
  options.function_tolerance = 1e-12;
  options.compute_covariance = true;
  const BundleAdjustmentSummary summary = BundleAdjust(&rig_, &data_, options);
  ASSERT_TRUE(summary.success) << summary.termination;
  EXPECT_LT(MaxRotationErrorDeg(), 1e-6);
  EXPECT_LT(MaxCenterErrorM(), 1e-7);
  double worst_point = 0.0;
  for (size_t p = 0; p < truth_points_.size(); ++p)
    worst_point = std::max(worst_point, (data_.points[p] - truth_points_[p]).norm());
  EXPECT_LT(worst_point, 1e-7);
  EXPECT_EQ(summary.num_outliers_removed, 0);
  ASSERT_EQ(summary.camera_rms_px.size(), 4u);
  for (double rms : summary.camera_rms_px) EXPECT_LT(rms, 1e-5);
  // The fixed camera has no pose uncertainty; the others have a finite, positive one.
  ASSERT_EQ(summary.uncertainty.size(), 4u);
  for (camera_t c = 1; c < 4; ++c) EXPECT_TRUE(std::isfinite(summary.uncertainty[c].rotation_sigma_deg));
}

// focal_groups: cameras 0-2 share one focal length (in the truth), started up to 3 % apart; camera
// 3 has a focal length of its own (5 % longer) and is left out of the group. The group comes
// back to one focal length, the truth's, and camera 3 to its own.
TEST_F(BundleAdjustmentScene, SharedFocalGroupEndsWithOneFocalLength) {
  Build(0.0);
  // The truth: cameras 0-2 with one focal length, camera 3 with a 5 % longer one; exact pixels.
  const double f_true = truth_[0].fx;
  for (camera_t c = 0; c < 4; ++c) {
    const double f = c == 3 ? 1.05 * f_true : f_true;
    truth_[c].fy *= f / truth_[c].fx;
    truth_[c].fx = f;
  }
  for (BAObservation& o : data_.observations) o.pixel = *truth_[o.camera].ImageFromWorld(truth_points_[o.point]);
  const double start[4] = {1.0, 1.03, 0.98, 1.0};
  for (camera_t c = 0; c < 4; ++c) rig_[c].fx = start[c] * truth_[c].fx, rig_[c].fy = start[c] * truth_[c].fy;
  BundleAdjustmentOptions options;
  options.function_tolerance = 1e-12;
  options.refine_focal = true;
  // Camera 3 put into the group too: the tie forces it off its own focal length (control).
  Rig all_tied = rig_;
  BAProblemData all_tied_data = data_;
  options.focal_groups = {0, 0, 0, 0};
  ASSERT_TRUE(BundleAdjust(&all_tied, &all_tied_data, options).success);
  EXPECT_NEAR(all_tied[3].fx, all_tied[0].fx, 1e-5 * f_true);
  options.focal_groups = {0, 0, 0, -1};
  const BundleAdjustmentSummary summary = BundleAdjust(&rig_, &data_, options);
  ASSERT_TRUE(summary.success) << summary.termination;
  for (camera_t c = 0; c < 3; ++c) EXPECT_NEAR(rig_[c].fx, f_true, 1e-5 * f_true) << c;
  EXPECT_NEAR(rig_[1].fx, rig_[0].fx, 1e-6 * f_true);
  EXPECT_NEAR(rig_[2].fx, rig_[0].fx, 1e-6 * f_true);
  EXPECT_NEAR(rig_[3].fx, 1.05 * f_true, 1e-5 * f_true);
  EXPECT_LT(MaxRotationErrorDeg(), 1e-4);
}

// Loose solves before the outlier removals: the last solve is still as tight as asked, also when
// a loose round finds nothing to remove (exact data).
TEST_F(BundleAdjustmentScene, LooseRemovalRoundsEndWithATightSolve) {
  Build(0.0);
  BundleAdjustmentOptions options;
  options.function_tolerance = 1e-12;
  options.removal_function_tolerance = 1e-2;
  const BundleAdjustmentSummary summary = BundleAdjust(&rig_, &data_, options);
  ASSERT_TRUE(summary.success) << summary.termination;
  EXPECT_EQ(summary.round_iterations.size(), 2u);  // the loose solve, then the tight one
  EXPECT_LT(MaxRotationErrorDeg(), 1e-6);
  EXPECT_LT(MaxCenterErrorM(), 1e-7);
}

TEST_F(BundleAdjustmentScene, CorruptedObservationsAreRemovedAsOutliers) {
  Build(0.05);
  ASSERT_GT(corrupted_, 40);
  BundleAdjustmentOptions options;
  options.function_tolerance = 1e-12;
  const BundleAdjustmentSummary summary = BundleAdjust(&rig_, &data_, options);
  ASSERT_TRUE(summary.success) << summary.termination;
  int removed_corrupted = 0;
  for (const BAObservation& o : data_.observations) {
    const bool corrupted = (o.pixel - *truth_[o.camera].ImageFromWorld(truth_points_[o.point])).norm() > 1.0;
    if (corrupted && !o.inlier) ++removed_corrupted;
  }
  EXPECT_EQ(removed_corrupted, corrupted_);
  EXPECT_LE(summary.num_outliers_removed, corrupted_ + 10);
  EXPECT_LT(MaxRotationErrorDeg(), 1e-4);
  EXPECT_LT(MaxCenterErrorM(), 1e-4);
}

// Points seen only by two opposite cameras (cameras 0 and 2 of the ring, both 1.5 m high) and
// lying on the line between them: the rays are anti-parallel, the depth along the line is free.
// They sit out the adjustment (counted), and the rest of the problem still returns to the truth.
TEST_F(BundleAdjustmentScene, PointsOnTheLineBetweenOppositeCamerasSitOut) {
  Build(0.0);
  const Eigen::Vector3d c0 = truth_[0].CenterInWorld(), c2 = truth_[2].CenterInWorld();
  ASSERT_LT(std::abs((c2 - c0).normalized().dot((Eigen::Vector3d(0, 0, 1.5) - c0).normalized())) - 1.0, 1e-2);
  const int first_line_point = static_cast<int>(data_.points.size());
  for (int k = 0; k < 20; ++k) {
    const Eigen::Vector3d x = c0 + (0.35 + 0.015 * k) * (c2 - c0);
    truth_points_.push_back(x);
    data_.points.push_back(x);
    for (camera_t c : {0, 2}) {
      const auto pixel = truth_[c].ImageFromWorld(x);
      ASSERT_TRUE(pixel.has_value());
      ASSERT_TRUE(truth_[c].IsInImage(*pixel));
      BAObservation o;
      o.camera = c;
      o.point = static_cast<int>(data_.points.size()) - 1;
      o.pixel = *pixel;
      data_.observations.push_back(o);
    }
  }
  BundleAdjustmentOptions options;
  options.function_tolerance = 1e-12;
  const BundleAdjustmentSummary summary = BundleAdjust(&rig_, &data_, options);
  ASSERT_TRUE(summary.success) << summary.termination;
  EXPECT_EQ(summary.num_undetermined_points, 20);
  EXPECT_LT(MaxRotationErrorDeg(), 1e-6);
  EXPECT_LT(MaxCenterErrorM(), 1e-7);
  // Free along the line, they stay on it and near their start (no run-away depth).
  for (size_t p = first_line_point; p < data_.points.size(); ++p) {
    const Eigen::Vector3d d = (c2 - c0).normalized();
    const Eigen::Vector3d off = data_.points[p] - c0;
    EXPECT_LT((off - off.dot(d) * d).norm(), 1e-3);
    EXPECT_LT((data_.points[p] - truth_points_[p]).norm(), 0.05);
  }

}

}  // namespace
}  // namespace epilabel
