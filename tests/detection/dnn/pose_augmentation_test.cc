#include "detection/dnn/pose_augmentation.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace epilabel {
namespace {

TEST(ScaleAboutCenter, KeepsCentreAndAngle) {
  ImageBox box{10.0, 20.0, 100.0, 200.0, 0.3};
  const ImageBox scaled = ScaleAboutCenter(box, 1.1);
  EXPECT_NEAR(scaled.width, 110.0, 1e-12);
  EXPECT_NEAR(scaled.height, 220.0, 1e-12);
  EXPECT_NEAR((scaled.Center() - box.Center()).norm(), 0.0, 1e-12);
  EXPECT_EQ(scaled.angle, 0.3);
}

TEST(MergePoseEstimates, ScoreWeightedMeanOfAgreeingEstimates) {
  const std::vector<std::vector<Eigen::Vector3d>> estimates = {
      {{100.0, 200.0, 0.5}, {10.0, 10.0, 0.2}},
      {{104.0, 200.0, 0.5}, {12.0, 10.0, 0.6}},
      {{102.0, 206.0, 1.0}, {11.0, 13.0, 0.4}},
  };
  const std::vector<Eigen::Vector3d> merged = MergePoseEstimates(estimates, 20.0);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_NEAR(merged[0].x(), (0.5 * 100 + 0.5 * 104 + 1.0 * 102) / 2.0, 1e-9);
  EXPECT_NEAR(merged[0].y(), (0.5 * 200 + 0.5 * 200 + 1.0 * 206) / 2.0, 1e-9);
  EXPECT_NEAR(merged[0].z(), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(merged[1].x(), (0.2 * 10 + 0.6 * 12 + 0.4 * 11) / 1.2, 1e-9);
  EXPECT_NEAR(merged[1].z(), 0.4, 1e-12);
}

TEST(MergePoseEstimates, AnEstimateOnAnotherLimbIsLeftOutEvenWhenBestScored) {
  // Two crops agree; the third jumped to the other wrist with a higher score. The weighted
  // medoid is one of the two that agree, and the far one is not averaged in.
  const std::vector<std::vector<Eigen::Vector3d>> estimates = {
      {{300.0, 400.0, 0.6}}, {{302.0, 401.0, 0.6}}, {{150.0, 420.0, 0.9}}};
  const std::vector<Eigen::Vector3d> merged = MergePoseEstimates(estimates, 25.0);
  EXPECT_NEAR(merged[0].x(), 301.0, 1e-9);
  EXPECT_NEAR(merged[0].y(), 400.5, 1e-9);
  EXPECT_NEAR(merged[0].z(), 0.7, 1e-12);  // the mean of all three scores
}

TEST(MergePoseEstimates, SingleEstimateUnchangedAndNonFiniteIgnored) {
  const std::vector<Eigen::Vector3d> one = {{1.0, 2.0, 0.3}, {5.0, 6.0, 0.0}};
  const std::vector<Eigen::Vector3d> merged = MergePoseEstimates({one}, 1.0);
  for (size_t j = 0; j < one.size(); ++j) EXPECT_EQ(merged[j], one[j]);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<Eigen::Vector3d> with_nan =
      MergePoseEstimates({{{nan, 2.0, 0.9}}, {{4.0, 8.0, 0.5}}}, 1.0);
  EXPECT_EQ(with_nan[0], Eigen::Vector3d(4.0, 8.0, 0.5));
}

TEST(MergePoseEstimates, RejectsDifferentLengthsAndAcceptsNone) {
  EXPECT_TRUE(MergePoseEstimates({}, 1.0).empty());
  EXPECT_THROW(MergePoseEstimates({{{0.0, 0.0, 1.0}}, {}}, 1.0), std::invalid_argument);
}

}  // namespace
}  // namespace epilabel
