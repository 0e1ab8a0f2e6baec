#include "geometry/metrics/metrics.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "geometry/metrics/alignment.h"
#include "tests/draw_order.h"

namespace epilabel {
namespace {

constexpr int kJoints = 17;

// Random but human-sized poses (metres), joint 0 treated as the root in most tests.
Points3d RandomPoses(int num_poses, uint64_t seed, double spread = 0.5) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, spread);
  Points3d poses(num_poses, kJoints);
  for (int n = 0; n < num_poses; ++n) {
    const Eigen::Vector3d offset = testing::DrawLastFirst<3>([&] { return normal(rng); }) + Eigen::Vector3d(0.0, 0.0, 4.0);
    for (int j = 0; j < kJoints; ++j) poses.at(n, j) = offset + testing::DrawLastFirst<3>([&] { return normal(rng); });
  }
  return poses;
}

Eigen::Matrix3d RandomRotation(std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  const Eigen::Vector4d wxyz = testing::DrawLastFirst<4>([&] { return normal(rng); });
  Eigen::Quaterniond q(wxyz[0], wxyz[1], wxyz[2], wxyz[3]);
  return q.normalized().toRotationMatrix();
}

TEST(AlignSimilarity, RecoversAKnownSimilarity) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal;
  std::vector<Eigen::Vector3d> src(20), dst(20);
  const Eigen::Matrix3d r = RandomRotation(rng);
  const double s = 1.7;
  const Eigen::Vector3d t(0.3, -2.0, 5.0);
  for (size_t i = 0; i < src.size(); ++i) {
    src[i] = testing::DrawLastFirst<3>([&] { return normal(rng); });
    dst[i] = s * r * src[i] + t;
  }
  const Sim3d sim = AlignSimilarity(src, dst);
  EXPECT_NEAR(sim.scale, s, 1e-10);
  EXPECT_LT((sim.rotation.toRotationMatrix() - r).norm(), 1e-10);
  EXPECT_LT((sim.translation - t).norm(), 1e-10);
  const Rigid3d rigid = AlignRigid(src, dst);
  EXPECT_LT(RotationAngleDeg(rigid.rotation * Eigen::Quaterniond(r).conjugate()), 1e-6);
}

TEST(AlignSimilarity, IgnoresZeroWeightsAndNonFinitePoints) {
  std::mt19937_64 rng(4);
  std::normal_distribution<double> normal;
  std::vector<Eigen::Vector3d> src(12), dst(12);
  std::vector<double> weights(12, 1.0);
  const Eigen::Matrix3d r = RandomRotation(rng);
  for (size_t i = 0; i < src.size(); ++i) {
    src[i] = testing::DrawLastFirst<3>([&] { return normal(rng); });
    dst[i] = 0.5 * r * src[i];
  }
  dst[3] += Eigen::Vector3d(10.0, 0.0, 0.0);  // an outlier, switched off by its weight
  weights[3] = 0.0;
  dst[7] = Eigen::Vector3d::Constant(kNaN);   // unknown point
  const Sim3d sim = AlignSimilarity(src, dst, weights);
  EXPECT_NEAR(sim.scale, 0.5, 1e-10);
  EXPECT_LT((sim.rotation.toRotationMatrix() - r).norm(), 1e-10);
  // With the outlier counted the fit must differ.
  weights[3] = 1.0;
  EXPECT_GT(std::abs(AlignSimilarity(src, dst, weights).scale - 0.5), 1e-3);
}

TEST(AlignSimilarity, ReturnsAProperRotationForMirroredPoints) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  std::vector<Eigen::Vector3d> src(10), dst(10);
  for (size_t i = 0; i < src.size(); ++i) {
    src[i] = testing::DrawLastFirst<3>([&] { return normal(rng); });
    dst[i] = Eigen::Vector3d(-src[i].x(), src[i].y(), src[i].z());
  }
  const Sim3d sim = AlignSimilarity(src, dst);
  EXPECT_NEAR(sim.rotation.toRotationMatrix().determinant(), 1.0, 1e-12);
  EXPECT_GT(sim.scale, 0.0);
}

TEST(AlignSimilarity, DegenerateInputMatchesCentroids) {
  const std::vector<Eigen::Vector3d> src = {Eigen::Vector3d(1, 2, 3)};
  const std::vector<Eigen::Vector3d> dst = {Eigen::Vector3d(2, 2, 2)};
  const Sim3d sim = AlignSimilarity(src, dst);
  EXPECT_DOUBLE_EQ(sim.scale, 1.0);
  EXPECT_LT(((sim * src[0]) - dst[0]).norm(), 1e-12);
  EXPECT_THROW(AlignSimilarity(src, {}), std::invalid_argument);
  const Sim3d none = AlignSimilarity(std::vector<Eigen::Vector3d>{}, std::vector<Eigen::Vector3d>{});
  EXPECT_DOUBLE_EQ(none.scale, 1.0);
  EXPECT_DOUBLE_EQ(none.translation.norm(), 0.0);
}

BodyPoseMetricsOptions RootOptions() {
  BodyPoseMetricsOptions options;
  options.root_joints = {0};
  options.pss_num_clusters = {5};
  return options;
}

TEST(BodyPoseMetrics, IdentityScoresPerfectly) {
  const Points3d gt = RandomPoses(40, 1);
  const BodyPoseMetrics m = EvaluateBodyPoses(gt, gt, nullptr, RootOptions());
  EXPECT_EQ(m.num_poses, 40);
  EXPECT_EQ(m.num_joints, 40 * kJoints);
  EXPECT_NEAR(m.mpjpe, 0.0, 1e-12);
  EXPECT_NEAR(m.p_mpjpe, 0.0, 1e-9);
  EXPECT_NEAR(m.n_mpjpe, 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(m.pck, 1.0);
  EXPECT_DOUBLE_EQ(m.auc, 1.0);
  ASSERT_EQ(m.pss.size(), 1u);
  EXPECT_DOUBLE_EQ(m.pss[0].score, 1.0);
  EXPECT_EQ(m.pss[0].num_clusters, 5);
}

TEST(BodyPoseMetrics, KnownOffsetsGiveKnownErrors) {
  const Points3d gt = RandomPoses(10, 2);
  Points3d pred = gt;
  // Every joint but the root moves 30 mm along x and 40 mm along y: 50 mm each.
  for (int n = 0; n < pred.num_frames(); ++n)
    for (int j = 1; j < kJoints; ++j) pred.at(n, j) += Eigen::Vector3d(0.03, 0.04, 0.0);
  const BodyPoseMetrics m = EvaluateBodyPoses(pred, gt, nullptr, RootOptions());
  EXPECT_NEAR(m.mpjpe, 0.05 * (kJoints - 1) / kJoints, 1e-12);
  EXPECT_NEAR(m.per_joint_mpjpe[0], 0.0, 1e-12);
  for (int j = 1; j < kJoints; ++j) EXPECT_NEAR(m.per_joint_mpjpe[j], 0.05, 1e-12);
  EXPECT_DOUBLE_EQ(m.pck, 1.0);
  // PCK at 40 mm: only the root joints are within.
  BodyPoseMetricsOptions tight = RootOptions();
  tight.pck_threshold = 0.04;
  EXPECT_NEAR(EvaluateBodyPoses(pred, gt, nullptr, tight).pck, 1.0 / kJoints, 1e-12);
  // A translation of the whole pose changes nothing (root-relative).
  Points3d shifted = gt;
  for (auto* p = shifted.Row(0); p != shifted.Row(0) + kJoints * shifted.num_frames(); ++p) *p += Eigen::Vector3d(1, 2, 3);
  EXPECT_NEAR(EvaluateBodyPoses(shifted, gt, nullptr, RootOptions()).mpjpe, 0.0, 1e-12);
}

TEST(BodyPoseMetrics, RotatedAndScaledCopiesHaveZeroProcrustesError) {
  const Points3d gt = RandomPoses(20, 3);
  Points3d pred = gt;
  std::mt19937_64 rng(7);
  for (int n = 0; n < pred.num_frames(); ++n) {
    const Eigen::Matrix3d r = RandomRotation(rng);
    const double s = 0.5 + 0.1 * n;
    for (int j = 0; j < kJoints; ++j) pred.at(n, j) = s * r * gt.at(n, j) + Eigen::Vector3d(0.1 * n, 0.0, 1.0);
  }
  const BodyPoseMetrics m = EvaluateBodyPoses(pred, gt, nullptr, RootOptions());
  EXPECT_NEAR(m.p_mpjpe, 0.0, 1e-9);
  EXPECT_GT(m.mpjpe, 0.1);
  EXPECT_GT(m.n_mpjpe, 0.05);
}

TEST(BodyPoseMetrics, ScaledCopiesHaveZeroNormalisedError) {
  const Points3d gt = RandomPoses(20, 4);
  Points3d pred = gt;
  for (int n = 0; n < pred.num_frames(); ++n) {
    const Eigen::Vector3d root = gt.at(n, 0);
    for (int j = 0; j < kJoints; ++j) pred.at(n, j) = root + (1.3 + 0.05 * n) * (gt.at(n, j) - root);
  }
  const BodyPoseMetrics m = EvaluateBodyPoses(pred, gt, nullptr, RootOptions());
  EXPECT_NEAR(m.n_mpjpe, 0.0, 1e-12);
  EXPECT_NEAR(m.p_mpjpe, 0.0, 1e-9);
  EXPECT_GT(m.mpjpe, 0.1);
}

TEST(BodyPoseMetrics, MaskedJointsAreIgnored) {
  const Points3d gt = RandomPoses(8, 5);
  Points3d pred = gt;
  FrameJointArray<uint8_t> valid(8, kJoints, 1);
  for (int n = 0; n < 8; ++n) {
    pred.at(n, 5) += Eigen::Vector3d(3.0, 0.0, 0.0);  // a wild joint, masked out
    valid.at(n, 5) = 0;
  }
  pred.at(2, 6) = Eigen::Vector3d::Constant(kNaN);  // unknown prediction: not evaluated
  const BodyPoseMetrics m = EvaluateBodyPoses(pred, gt, &valid, RootOptions());
  EXPECT_NEAR(m.mpjpe, 0.0, 1e-12);
  EXPECT_EQ(m.num_joints, 8 * (kJoints - 1) - 1);
  EXPECT_TRUE(std::isnan(m.per_joint_mpjpe[5]));
  // Pose 2 is incomplete, so PSS scores the other 7.
  EXPECT_EQ(m.pss[0].num_poses, 7);
  // Without the mask the wild joint counts.
  EXPECT_GT(EvaluateBodyPoses(pred, gt, nullptr, RootOptions()).mpjpe, 0.1);
  // A pose whose root is masked takes no part.
  valid.at(0, 0) = 0;
  EXPECT_EQ(EvaluateBodyPoses(pred, gt, &valid, RootOptions()).num_poses, 7);
}

TEST(BodyPoseMetrics, PckAndAucFollowTheirDefinition) {
  FrameJointArray<double> errors(2, 2, kNaN);
  errors.at(0, 0) = 0.010;
  errors.at(0, 1) = 0.100;
  errors.at(1, 0) = 0.200;  // errors.at(1, 1) stays unknown
  EXPECT_NEAR(Pck(errors, 0.150), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(MeanJointError(errors), (0.01 + 0.1 + 0.2) / 3.0, 1e-12);
  // Thresholds 0, 5, ..., 150 mm: 10 mm is within from 10 mm on (29 thresholds), 100 mm from
  // 100 mm on (11 thresholds), 200 mm never.
  EXPECT_NEAR(PckAuc(errors, 0.150, 31), (29.0 + 11.0) / (3.0 * 31.0), 1e-12);
}

TEST(KMeans, FindsSeparatedClustersDeterministically) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(0.0, 0.05);
  const std::vector<Eigen::Vector2d> centres = {{0, 0}, {5, 0}, {0, 5}, {5, 5}};
  Eigen::MatrixXd points(200, 2);
  for (int i = 0; i < 200; ++i) points.row(i) = (centres[i % 4] + testing::DrawLastFirst<2>([&] { return normal(rng); })).transpose();
  const KMeansResult a = KMeans(points, 4, 42);
  const KMeansResult b = KMeans(points, 4, 42);
  EXPECT_TRUE(a.converged);
  EXPECT_EQ(a.assignment, b.assignment);
  EXPECT_EQ(a.centres, b.centres);
  // Points generated from the same centre share a cluster, the others do not.
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(a.assignment[i], a.assignment[i % 4]);
    if (i % 4 != 0) {
      EXPECT_NE(a.assignment[i], a.assignment[0]);
    }
  }
  // Fewer distinct points than k: fewer centres.
  Eigen::MatrixXd two(6, 2);
  two << 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1;
  EXPECT_EQ(KMeans(two, 5, 1).centres.rows(), 2);
}

// Poses built around three hand-made prototypes (a standing pose, arms up, a squat).
Points3d PrototypePoses(int per_prototype, uint64_t seed, std::vector<int>* prototype_of_pose) {
  std::vector<std::vector<Eigen::Vector3d>> prototypes(3, std::vector<Eigen::Vector3d>(kJoints));
  for (int j = 0; j < kJoints; ++j) {
    const double side = (j % 2 == 0) ? 1.0 : -1.0;
    prototypes[0][j] = Eigen::Vector3d(0.2 * side, -0.1 * j, 0.0);             // a vertical chain
    prototypes[1][j] = Eigen::Vector3d(0.1 * j * side, 0.1 * side, 0.05 * j);   // spread sideways
    prototypes[2][j] = Eigen::Vector3d(0.05 * side, 0.02 * j, 0.1 * j * side);  // spread in depth
  }
  for (auto& p : prototypes) {
    const Eigen::Vector3d root = p[0];
    for (auto& q : p) q -= root;
  }
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 0.01);
  Points3d poses(3 * per_prototype, kJoints);
  prototype_of_pose->clear();
  for (int n = 0; n < poses.num_frames(); ++n) {
    const int k = n % 3;
    prototype_of_pose->push_back(k);
    for (int j = 0; j < kJoints; ++j)
      poses.at(n, j) = prototypes[k][j] + (j == 0 ? Eigen::Vector3d::Zero() : testing::DrawLastFirst<3>([&] { return normal(rng); }));
  }
  return poses;
}

TEST(PoseStructureScore, CountsPredictionsInTheirTruthsCluster) {
  std::vector<int> prototype;
  const Points3d gt = PrototypePoses(20, 1, &prototype);
  // Predictions: the truth scaled (PSS is scale invariant) and slightly perturbed.
  Points3d pred = gt;
  std::mt19937_64 rng(2);
  std::normal_distribution<double> normal(0.0, 0.005);
  for (int n = 0; n < pred.num_frames(); ++n)
    for (int j = 0; j < kJoints; ++j) pred.at(n, j) = 2.0 * gt.at(n, j) + testing::DrawLastFirst<3>([&] { return normal(rng); });
  const PssResult all = PoseStructureScore(pred, gt, nullptr, 3, {0}, 7);
  EXPECT_EQ(all.num_clusters, 3);
  EXPECT_EQ(all.num_poses, 60);
  EXPECT_DOUBLE_EQ(all.score, 1.0);
  // Replace every fourth prediction by a pose of the next prototype: those score 0.
  int moved = 0;
  for (int n = 0; n < pred.num_frames(); n += 4) {
    const int other = (n + 1 < pred.num_frames() && prototype[n + 1] != prototype[n]) ? n + 1 : n - 1;
    for (int j = 0; j < kJoints; ++j) pred.at(n, j) = gt.at(other, j);
    ++moved;
  }
  const PssResult some = PoseStructureScore(pred, gt, nullptr, 3, {0}, 7);
  EXPECT_NEAR(some.score, 1.0 - static_cast<double>(moved) / 60.0, 1e-12);
  // The seed fixes the result.
  EXPECT_DOUBLE_EQ(PoseStructureScore(pred, gt, nullptr, 3, {0}, 7).score, some.score);
}

TEST(PoseStructureScore, NormalisationIsRootCentredAndUnitNorm) {
  std::vector<Eigen::Vector3d> pose(kJoints);
  for (int j = 0; j < kJoints; ++j) pose[j] = Eigen::Vector3d(j, 2.0 * j, 1.0) + Eigen::Vector3d(5, 5, 5);
  const Eigen::VectorXd v = NormalizePoseForPss(pose.data(), kJoints, {0});
  EXPECT_NEAR(v.norm(), 1.0, 1e-12);
  EXPECT_NEAR(v.head<3>().norm(), 0.0, 1e-12);
  for (auto& p : pose) p = 3.0 * p;
  EXPECT_LT((NormalizePoseForPss(pose.data(), kJoints, {0}) - v).norm(), 1e-12);
}

TEST(BodyPoseMetrics, RejectsMismatchedShapesAndBadOptions) {
  const Points3d a = RandomPoses(3, 1), b = RandomPoses(4, 1);
  EXPECT_THROW(EvaluateBodyPoses(a, b, nullptr, RootOptions()), std::invalid_argument);
  BodyPoseMetricsOptions bad = RootOptions();
  bad.root_joints = {kJoints};
  EXPECT_THROW(EvaluateBodyPoses(a, a, nullptr, bad), std::invalid_argument);
  bad = RootOptions();
  bad.pck_threshold = 0.0;
  EXPECT_THROW(EvaluateBodyPoses(a, a, nullptr, bad), std::invalid_argument);
}

}  // namespace
}  // namespace epilabel
