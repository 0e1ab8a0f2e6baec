#include "training/hypotheses.h"

#include <Eigen/Geometry>
#include <gtest/gtest.h>

namespace epilabel {
namespace {

Eigen::Matrix3d Intrinsics() {
  Eigen::Matrix3d K;
  K << 1000, 0, 640, 0, 1000, 360, 0, 0, 1;
  return K;
}

std::vector<Eigen::Vector3d> Pose() {
  return {{0.0, 0.0, 0.0}, {0.2, -0.5, 0.1}, {-0.2, -0.5, -0.1}, {0.15, 0.45, 0.05}, {-0.1, 0.4, 0.2}};
}

std::vector<Eigen::Vector3d> Project(const std::vector<Eigen::Vector3d>& pose, const Eigen::Vector3d& root) {
  std::vector<Eigen::Vector3d> px;
  for (const auto& p : pose) {
    const Eigen::Vector3d h = Intrinsics() * (root + p);
    px.emplace_back(h.x() / h.z(), h.y() / h.z(), 1.0);
  }
  return px;
}

TEST(EstimateRoot, RecoversTheTranslationOfAnExactProjection) {
  const Eigen::Vector3d root(0.3, -0.2, 4.5);
  const auto root_fit = EstimateRoot(Pose(), Project(Pose(), root), Intrinsics());
  ASSERT_TRUE(root_fit.has_value());
  EXPECT_LT((*root_fit - root).norm(), 1e-9);
  // One observed joint is not enough.
  auto one = Project(Pose(), root);
  for (size_t j = 1; j < one.size(); ++j) one[j].z() = 0.0;
  EXPECT_FALSE(EstimateRoot(Pose(), one, Intrinsics()).has_value());
}

// Three hypotheses, each exact on different joints: JPMA takes every joint from the hypothesis
// that reprojects onto the 2D, and the mean where a joint was not seen.
TEST(SelectJointsByReprojection, TakesEachJointFromTheHypothesisClosestIn2D) {
  const Eigen::Vector3d root(0.0, 0.1, 5.0);
  const std::vector<Eigen::Vector3d> truth = Pose();
  auto keypoints = Project(truth, root);
  keypoints[4].z() = 0.0;  // joint 4 not detected
  std::vector<std::vector<Eigen::Vector3d>> hypotheses(3, truth);
  const Eigen::Vector3d off_x(0.1, 0.0, 0.0), off_y(0.0, 0.08, 0.0);
  for (int j = 0; j < 5; ++j) {
    // hypothesis j % 3 is exact at joint j, the others are off by 10 / 8 cm.
    hypotheses[(j + 1) % 3][j] += off_x;
    hypotheses[(j + 2) % 3][j] += off_y;
  }
  const auto selected = SelectJointsByReprojection(hypotheses, keypoints, Intrinsics(), root);
  ASSERT_EQ(selected.size(), 5u);
  for (int j = 0; j < 4; ++j) EXPECT_LT((selected[j] - truth[j]).norm(), 1e-12) << j;
  const Eigen::Vector3d mean4 = truth[4] + (off_x + off_y) / 3.0;
  EXPECT_LT((selected[4] - mean4).norm(), 1e-12);
  // The mean of the hypotheses is off at every joint: the selection is what makes them exact.
  const auto mean = MeanHypothesis(hypotheses);
  for (int j = 0; j < 4; ++j) EXPECT_GT((mean[j] - truth[j]).norm(), 0.03) << j;
}

TEST(HypothesisSpread, IsTheRmsDistanceToTheMean) {
  std::vector<std::vector<Eigen::Vector3d>> hypotheses = {{{0, 0, 0}, {1, 0, 0}}, {{0, 0, 0}, {-1, 0, 0}}};
  const auto spread = HypothesisSpread(hypotheses);
  EXPECT_DOUBLE_EQ(spread[0], 0.0);
  EXPECT_DOUBLE_EQ(spread[1], 1.0);
  EXPECT_EQ(HypothesisSpread({{{2, 0, 0}}})[0], 0.0);
}

double ReprojectionPx(const Eigen::Vector3d& point, const Eigen::Vector3d& root, const Eigen::Vector3d& keypoint) {
  const Eigen::Vector3d h = Intrinsics() * (root + point);
  return (h.hnormalized() - keypoint.head<2>()).norm();
}

TEST(RefineByReprojection, KeepsAPoseThatProjectsOntoItsKeypoints) {
  const Eigen::Vector3d root(0.3, -0.2, 4.5);
  const auto refined = RefineByReprojection(Pose(), {}, Project(Pose(), root), Intrinsics(), root);
  for (size_t j = 0; j < refined.size(); ++j) EXPECT_LT((refined[j] - Pose()[j]).norm(), 1e-9) << j;
}

TEST(RefineByReprojection, WeakPriorMovesJointsOntoTheirRaysStrongPriorKeepsThem) {
  const Eigen::Vector3d root(0.3, -0.2, 4.5);
  const auto keypoints = Project(Pose(), root);
  std::vector<Eigen::Vector3d> predicted = Pose();
  for (auto& p : predicted) p += Eigen::Vector3d(0.04, -0.03, 0.0);  // 4 cm off, about 9 px
  RefineOptions weak;
  weak.steps = 5;
  weak.pixel_sigma = 1.0;
  weak.prior_sigma_m = 10.0;
  const auto on_rays = RefineByReprojection(predicted, {}, keypoints, Intrinsics(), root, weak);
  for (size_t j = 0; j < on_rays.size(); ++j) {
    EXPECT_GT(ReprojectionPx(predicted[j], root, keypoints[j]), 5.0) << j;
    EXPECT_LT(ReprojectionPx(on_rays[j], root, keypoints[j]), 0.01) << j;
    // On the ray through the true point: what is left of the error lies along the ray.
    const Eigen::Vector3d ray = (root + Pose()[j]).normalized();
    const Eigen::Vector3d left = on_rays[j] - Pose()[j];
    EXPECT_LT((left - left.dot(ray) * ray).norm(), 1e-4) << j;
    EXPECT_LT(left.norm(), 0.02) << j;
  }
  // A per-joint sigma: 0.1 mm holds joint 1 in place, 10 m frees the others.
  std::vector<double> sigma(Pose().size(), 10.0);
  sigma[1] = 1e-4;
  const auto mixed = RefineByReprojection(predicted, sigma, keypoints, Intrinsics(), root, weak);
  EXPECT_LT((mixed[1] - predicted[1]).norm(), 0.001);
  EXPECT_LT(ReprojectionPx(mixed[2], root, keypoints[2]), 0.01);
}

TEST(RefineByReprojection, LeavesJointsWithoutKeypointsAsPredicted) {
  const Eigen::Vector3d root(0.3, -0.2, 4.5);
  auto keypoints = Project(Pose(), root);
  keypoints[3].z() = 0.0;
  std::vector<Eigen::Vector3d> predicted = Pose();
  predicted[3] += Eigen::Vector3d(0.1, 0.0, 0.0);
  const auto refined = RefineByReprojection(predicted, {}, keypoints, Intrinsics(), root);
  EXPECT_EQ(refined[3], predicted[3]);
}

}  // namespace
}  // namespace epilabel
